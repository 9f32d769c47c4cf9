"""Billing: plans by population; Stripe customer and subscription (send_invoice, 30 days)
when an authority becomes active, driven through the real `stripe` library and recorded
responses; the signed webhook (bad signature, replay, overdue alert); manual mode."""

from __future__ import annotations

from datetime import date

import pytest
from django.core import mail

from tenants.billing import services, stripe_api
from tenants.billing.models import BillingProfile, Invoice, InvoiceStatus, StripeEvent
from tenants.billing.plans import plan_for
from tenants.lifecycle import change_status
from tenants.models import Authority, AuthorityStatus, OperatorAction
from tests.accounts.factories import agent, authority_admin, operator
from tests.conftest import client_for, in_authority, verified_operator_client
from tests.tenants.factories import BillingProfileFactory, InvoiceFactory
from tests.tenants.stripe_fake import RecordedStripe, event_payload, recorded_invoice, sign

pytestmark = pytest.mark.django_db

SECRET = "whsec_test_secret"
ROUTES = {
    ("POST", "/v1/customers"): "customers_create.json",
    ("GET", "/v1/prices"): "prices_list.json",
    ("POST", "/v1/subscriptions"): "subscriptions_create.json",
    ("POST", "/v1/customers/*"): "customers_update.json",
}


@pytest.fixture
def stripe_mode(settings, monkeypatch):
    settings.STRIPE_SECRET_KEY = "sk_test_not_a_real_key"
    settings.STRIPE_WEBHOOK_SECRET = SECRET
    fake = RecordedStripe(ROUTES)
    monkeypatch.setattr(stripe_api, "HTTP_CLIENT", fake)
    return fake


@pytest.fixture
def manual_mode(settings, monkeypatch):
    settings.STRIPE_SECRET_KEY = ""
    settings.STRIPE_WEBHOOK_SECRET = ""
    fake = RecordedStripe({})  # any request would fail the test
    monkeypatch.setattr(stripe_api, "HTTP_CLIENT", fake)
    return fake


def in_trial(authority: Authority) -> Authority:
    Authority.objects.filter(pk=authority.pk).update(status=AuthorityStatus.TRIAL)
    authority.refresh_from_db()
    return authority


def with_details(authority: Authority) -> BillingProfile:
    Authority.objects.filter(pk=authority.pk).update(siret="21860066600018")
    authority.refresh_from_db()
    return BillingProfileFactory(
        authority=authority, legal_name="Ville de Châtellerault",
        address_line1="78 boulevard Blossac", postal_code="86100", city="Châtellerault",
        billing_email="comptabilite@chatellerault.example",
        chorus_service_code="SERV-FIN-01", purchase_order="BC-2026-117")


@pytest.mark.parametrize(("population", "code"), [(800, "xs"), (3500, "xs"), (3501, "s"),
                                                  (31000, "m"), (100001, "l"), (None, None)])
def test_plans_follow_population_brackets(population, code):
    plan = plan_for(population)
    assert (plan.code if plan else None) == code


def test_becoming_active_creates_a_customer_and_a_send_invoice_subscription(
        chatellerault, stripe_mode, django_capture_on_commit_callbacks):
    with_details(chatellerault)
    with django_capture_on_commit_callbacks(execute=True):
        change_status(in_trial(chatellerault), AuthorityStatus.ACTIVE, operator())

    customer, prices, subscription = stripe_mode.requests
    assert (customer.method, customer.path) == ("POST", "/v1/customers")
    assert customer.fields["name"] == "Ville de Châtellerault"
    assert customer.fields["address[line1]"] == "78 boulevard Blossac"
    assert customer.fields["address[country]"] == "FR"
    assert customer.fields["email"] == "comptabilite@chatellerault.example"
    assert [(customer.fields[f"invoice_settings[custom_fields][{i}][name]"],
             customer.fields[f"invoice_settings[custom_fields][{i}][value]"])
            for i in range(3)] == [("SIRET", "21860066600018"),
                                   ("Service Chorus Pro", "SERV-FIN-01"),
                                   ("Bon de commande", "BC-2026-117")]
    assert "SIREN 218600666" in customer.fields["invoice_settings[footer]"]
    assert customer.headers["Idempotency-Key"] == f"customer-{chatellerault.pk}"
    assert (prices.method, prices.path) == ("GET", "/v1/prices")
    assert prices.fields["lookup_keys[0]"] == "collectivrecup_m_yearly"  # 31 000 inhabitants
    assert (subscription.method, subscription.path) == ("POST", "/v1/subscriptions")
    assert subscription.fields["collection_method"] == "send_invoice"
    assert subscription.fields["days_until_due"] == "30"
    assert subscription.fields["customer"] == "cus_TEST0001"
    assert subscription.fields["items[0][price]"] == "price_TEST_M"

    profile = BillingProfile.objects.get(authority=chatellerault)
    assert (profile.stripe_customer_id, profile.stripe_subscription_id, profile.plan) == (
        "cus_TEST0001", "sub_TEST0001", "m")
    # Again (a retried task, a reactivation): nothing more is created.
    services.start_subscription(chatellerault)
    assert len(stripe_mode.requests) == 3


def test_no_price_for_the_plan_is_a_clear_error(chatellerault, stripe_mode):
    stripe_mode.routes[("GET", "/v1/prices")] = "prices_list_empty.json"
    with pytest.raises(services.BillingError, match="collectivrecup_m_yearly"):
        services.start_subscription(chatellerault)
    assert not BillingProfile.objects.get(authority=chatellerault).stripe_subscription_id


def test_an_authority_without_population_is_reported_on_the_console(
        chatellerault, stripe_mode, django_capture_on_commit_callbacks):
    Authority.objects.filter(pk=chatellerault.pk).update(population=None)
    with django_capture_on_commit_callbacks(execute=True):
        change_status(in_trial(chatellerault), AuthorityStatus.ACTIVE, operator())
    action = OperatorAction.objects.get(authority=chatellerault, action="billing_failed")
    assert "population" in action.details["error"]
    assert [r.path for r in stripe_mode.requests] == []
    console = verified_operator_client(operator()).get("/operator/").content.decode()
    assert "Population inconnue" not in console  # the list shows a dash, the page says why
    assert '<td class="plan">—</td>' in console


def test_the_console_shows_each_authority_plan(chatellerault, manual_mode):
    console = verified_operator_client(operator()).get("/operator/").content.decode()
    # Châtellerault (31 000) and Grand Châtellerault (84 000).
    assert console.count('<td class="plan">20 000 à 100 000 habitants</td>') == 2


def test_manual_mode_calls_nothing_and_the_console_says_so(
        chatellerault, manual_mode, django_capture_on_commit_callbacks, client):
    with django_capture_on_commit_callbacks(execute=True):
        change_status(in_trial(chatellerault), AuthorityStatus.ACTIVE, operator())
    assert manual_mode.requests == []
    assert services.start_subscription(chatellerault).stripe_customer_id == ""
    console = verified_operator_client(operator())
    assert "Facturation manuelle" in console.get("/operator/").content.decode()
    page = console.get("/operator/authorities/chatellerault/").content.decode()
    assert "Facturation manuelle" in page and "20 000 à 100 000 habitants" in page
    response = client_for(None).post("/billing/stripe/webhook/", data="{}",
                                     content_type="application/json")
    assert response.status_code == 404


# --- Webhook -------------------------------------------------------------------------------

def post_event(payload: str, signature: str | None):
    headers = {"HTTP_STRIPE_SIGNATURE": signature} if signature else {}
    return client_for(None).post("/billing/stripe/webhook/", data=payload,
                                 content_type="application/json", **headers)


@pytest.fixture
def customer(chatellerault, stripe_mode) -> BillingProfile:
    profile = with_details(chatellerault)
    profile.stripe_customer_id = "cus_TEST0001"
    profile.save()
    return profile


def test_a_bad_signature_is_refused_and_changes_nothing(customer):
    payload = event_payload("evt_TEST0001", "invoice.paid", recorded_invoice(status="paid"))
    assert post_event(payload, sign(payload, "whsec_someone_else")).status_code == 400
    assert post_event(payload, None).status_code == 400
    assert post_event(payload, sign(payload, SECRET, timestamp=1_000_000_000)) \
        .status_code == 400  # too old: a replay of a captured request
    tampered = payload.replace("390000", "1")
    assert post_event(tampered, sign(payload, SECRET)).status_code == 400
    assert not StripeEvent.objects.exists() and not Invoice.objects.exists()


def test_invoice_events_update_the_invoice_and_a_replay_is_a_no_op(customer):
    sent = event_payload("evt_TEST0001", "invoice.finalized", recorded_invoice())
    response = post_event(sent, sign(sent, SECRET))
    assert (response.status_code, response.content) == (200, b"ok")
    invoice = Invoice.objects.get(stripe_invoice_id="in_TEST0001")
    assert (invoice.authority, invoice.status, invoice.amount_due, invoice.number,
            invoice.due_date) == (customer.authority, InvoiceStatus.OPEN, 390000,
                                  "TEST0001-0001", date(2026, 1, 31))

    paid = event_payload("evt_TEST0002", "invoice.paid", recorded_invoice(status="paid"))
    assert post_event(paid, sign(paid, SECRET)).status_code == 200
    assert Invoice.objects.get().status == InvoiceStatus.PAID

    # Stripe delivers evt_TEST0001 again: acknowledged, not applied (it would reopen).
    response = post_event(sent, sign(sent, SECRET))
    assert (response.status_code, response.content) == (200, b"replay")
    assert Invoice.objects.get().status == InvoiceStatus.PAID
    assert StripeEvent.objects.count() == 2


def test_an_older_event_arriving_late_does_not_reopen_a_paid_invoice(customer):
    """Stripe sent invoice.finalized (12:00) then invoice.paid (12:05) but delivered
    them the other way round: the invoice stays paid, the late event is recorded."""
    finalized_at, paid_at = 1767268800, 1767268800 + 300
    paid = event_payload("evt_TEST0011", "invoice.paid", recorded_invoice(status="paid"),
                         created=paid_at)
    assert post_event(paid, sign(paid, SECRET)).status_code == 200
    late = event_payload("evt_TEST0010", "invoice.finalized", recorded_invoice(),
                         created=finalized_at)
    response = post_event(late, sign(late, SECRET))
    assert (response.status_code, response.content) == (200, b"ok")
    invoice = Invoice.objects.get(stripe_invoice_id="in_TEST0001")
    assert invoice.status == InvoiceStatus.PAID
    assert invoice.last_event_created.timestamp() == paid_at
    events = {e.event_id: (e.applied, e.created.timestamp()) for e in StripeEvent.objects.all()}
    assert events == {"evt_TEST0011": (True, paid_at), "evt_TEST0010": (False, finalized_at)}
    # A late invoice.overdue neither reopens it nor alerts anyone.
    overdue = event_payload("evt_TEST0012", "invoice.overdue", recorded_invoice(),
                            created=finalized_at + 60)
    assert post_event(overdue, sign(overdue, SECRET)).status_code == 200
    invoice.refresh_from_db()
    assert (invoice.status, invoice.overdue_alerted_at) == (InvoiceStatus.PAID, None)
    # A newer event still applies (Stripe voids it after a refund, say).
    voided = event_payload("evt_TEST0013", "invoice.voided", recorded_invoice(status="void"),
                           created=paid_at + 60)
    assert post_event(voided, sign(voided, SECRET)).status_code == 200
    assert Invoice.objects.get().status == InvoiceStatus.VOID


def test_events_of_the_same_second_keep_the_furthest_status(customer):
    paid = event_payload("evt_TEST0021", "invoice.paid", recorded_invoice(status="paid"))
    finalized = event_payload("evt_TEST0020", "invoice.finalized", recorded_invoice())
    for payload in (paid, finalized):  # same `created`, delivered paid first
        assert post_event(payload, sign(payload, SECRET)).status_code == 200
    assert Invoice.objects.get().status == InvoiceStatus.PAID
    assert StripeEvent.objects.get(event_id="evt_TEST0020").applied is False


def test_an_overdue_invoice_alerts_the_operators_once(customer,
                                                     django_capture_on_commit_callbacks):
    watcher = operator()
    mail.outbox.clear()
    for event_id in ("evt_TEST0003", "evt_TEST0004"):
        payload = event_payload(event_id, "invoice.overdue", recorded_invoice())
        with django_capture_on_commit_callbacks(execute=True):
            assert post_event(payload, sign(payload, SECRET)).status_code == 200
    invoice = Invoice.objects.get()
    assert invoice.status == InvoiceStatus.OVERDUE
    alerts = [m for m in mail.outbox if watcher.email in m.to]
    assert len(alerts) == 1
    assert "Ville de Châtellerault" in alerts[0].subject
    assert "3\xa0900,00 €" in alerts[0].body and "/operator/authorities/chatellerault/" \
        in alerts[0].body
    assert OperatorAction.objects.filter(action="invoice_overdue",
                                         authority=customer.authority).count() == 1
    page = verified_operator_client(watcher).get("/operator/").content.decode()
    assert 'id="overdue-invoices"' in page and "TEST0001-0001" in page


def test_open_invoices_past_due_become_overdue_daily(customer):
    InvoiceFactory(authority=customer.authority, stripe_invoice_id="in_TEST0009",
                   status=InvoiceStatus.OPEN, due_date=date(2026, 1, 31), amount_due=100)
    assert services.flag_overdue_invoices(today=date(2026, 1, 31)) == 0
    assert services.flag_overdue_invoices(today=date(2026, 2, 1)) == 1
    assert Invoice.objects.get().status == InvoiceStatus.OVERDUE


def test_the_webhook_lives_on_the_bare_host_only(chatellerault, customer):
    payload = event_payload("evt_TEST0005", "invoice.paid", recorded_invoice())
    response = client_for(chatellerault).post("/billing/stripe/webhook/", data=payload,
                                              content_type="application/json",
                                              HTTP_STRIPE_SIGNATURE=sign(payload, SECRET))
    assert response.status_code == 404


# --- Billing details -----------------------------------------------------------------------

DETAILS = {"legal_name": "Commune de Châtellerault", "siret": "218 600 666 00018",
           "address_line1": "78 boulevard Blossac", "address_line2": "", "postal_code": "86100",
           "city": "Châtellerault", "billing_email": "compta@chatellerault.example",
           "chorus_service_code": "FIN", "purchase_order": "BC-1"}


def test_the_admin_edits_its_billing_details_and_stripe_follows(
        chatellerault, customer, stripe_mode, django_capture_on_commit_callbacks):
    with in_authority(chatellerault):
        admin = authority_admin()
    client = client_for(chatellerault, admin)
    assert client.get("/admin/billing/").status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/admin/billing/", DETAILS)
    assert response.status_code == 302
    profile = BillingProfile.objects.get(authority=chatellerault)
    assert (profile.legal_name, profile.authority.siret, profile.purchase_order) == (
        "Commune de Châtellerault", "21860066600018", "BC-1")
    (update,) = stripe_mode.requests
    assert (update.method, update.path) == ("POST", "/v1/customers/cus_TEST0001")
    assert update.fields["name"] == "Commune de Châtellerault"
    assert update.fields["invoice_settings[custom_fields][0][value]"] == "21860066600018"
    assert update.fields["invoice_settings[custom_fields][2][value]"] == "BC-1"
    assert OperatorAction.objects.filter(action="billing_updated", authority=chatellerault,
                                         details__by="authority_admin").exists()


def test_a_bad_siret_is_explained_and_nothing_is_saved(chatellerault, manual_mode):
    with in_authority(chatellerault):
        admin = authority_admin()
    response = client_for(chatellerault, admin).post("/admin/billing/",
                                                     {**DETAILS, "siret": "1234"})
    assert response.status_code == 400
    assert "Un SIRET compte 14 chiffres." in response.content.decode()
    assert Authority.objects.get(pk=chatellerault.pk).siret == ""
    assert not BillingProfile.objects.filter(authority=chatellerault,
                                             legal_name=DETAILS["legal_name"]).exists()


def test_billing_details_role_checks_and_isolation(chatellerault, grand_chatellerault,
                                                   manual_mode):
    unverified, console = client_for(None, operator()), verified_operator_client(operator())
    with in_authority(chatellerault):
        member = agent()
    assert client_for(chatellerault, member).get("/admin/billing/").status_code == 403
    assert client_for(chatellerault).get("/admin/billing/").status_code == 302
    with in_authority(grand_chatellerault):
        other_admin = authority_admin(email="admin@grand-chatellerault.example")
    # Its own SIRET: one of another authority's SIREN is refused (tests/analytics/test_agec).
    client_for(grand_chatellerault, other_admin).post(
        "/admin/billing/", {**DETAILS, "legal_name": "Agglo", "siret": "20007067000019"})
    assert BillingProfile.objects.get(authority=grand_chatellerault).legal_name == "Agglo"
    assert not BillingProfile.objects.filter(authority=chatellerault,
                                             legal_name="Agglo").exists()
    # The operator's page needs a verified operator; it edits the authority named.
    assert unverified.get(
        "/operator/authorities/chatellerault/billing/")["Location"] == "/operator/verify/"
    response = console.post("/operator/authorities/chatellerault/billing/",
                            {**DETAILS, "purchase_order": "BC-OP"})
    assert response.status_code == 302
    assert BillingProfile.objects.get(authority=chatellerault).purchase_order == "BC-OP"
    assert OperatorAction.objects.filter(action="billing_updated", authority=chatellerault,
                                         details__by="operator").exists()
