"""The partner pages: an authority admin's (grants, agreement, keys), the operator's
console (partners, keys, webhooks); roles and isolation between authorities."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from exchange.partners.models import ApiKey, Partner, PartnerAuditEntry, PartnerGrant
from tenants.models import OperatorAction
from tests.accounts.factories import agent, authority_admin, moderator, operator
from tests.conftest import client_for, in_authority, verified_operator_client
from tests.exchange.partners.factories import accept, api_key, grant, partner, siret
from tests.exchange.partners.test_partner_api import FEED, partner_client

pytestmark = pytest.mark.django_db

PAGE = "/listings/partners/"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def admin(chatellerault):
    with in_authority(chatellerault):
        return authority_admin(email="admin@chatellerault.example")


def test_only_authority_admins_see_the_page(chatellerault):
    with in_authority(chatellerault):
        an_agent, a_moderator = agent(), moderator()
    assert client_for(chatellerault, an_agent).get(PAGE).status_code == 403
    assert client_for(chatellerault, a_moderator).get(PAGE).status_code == 403
    assert client_for(chatellerault).get(PAGE).status_code == 302
    for path in ("grants/", "keys/", "new/"):
        assert client_for(chatellerault, an_agent).post(PAGE + path, {}).status_code == 403


def test_an_admin_grants_with_an_agreement_then_creates_a_key_shown_once(chatellerault, admin):
    ressourcerie = partner(legal_name="Envie Poitou")
    page = client_for(chatellerault, admin)
    response = page.post(PAGE + "grants/", {
        "partner": ressourcerie.pk, "scopes": ["listings:read", "listings:request"],
        "agreement": SimpleUploadedFile("convention.pdf", PDF, "application/pdf"),
        "agreement_reference": "CONV-2026-07", "valid_from": "2026-01-01",
        "valid_until": "2027-12-31"})
    assert response.status_code == 302
    the_grant = PartnerGrant.objects.get(authority=chatellerault, partner=ressourcerie)
    assert the_grant.scopes == ["listings:read", "listings:request"]
    assert the_grant.agreement_reference == "CONV-2026-07"
    download = page.get(f"{PAGE}grants/{the_grant.pk}/agreement.pdf")
    assert download.status_code == 200 and b"".join(download.streaming_content) == PDF

    response = page.post(PAGE + "keys/", {"partner": ressourcerie.pk, "name": "Stock"})
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    key = ApiKey.objects.get(partner=ressourcerie)
    full_key = response.context["new_key"]["secret"]
    assert full_key.startswith(key.prefix + ".") and full_key in response.content.decode()
    assert full_key.split(".")[1] not in key.secret_hash  # only a digest is kept
    assert full_key not in page.get(PAGE).content.decode()  # shown once
    # Nothing until the partner accepts the grant from its e-mailed link.
    assert partner_client(full_key).get(FEED).status_code == 403
    accept(the_grant)
    assert partner_client(full_key).get(FEED).status_code == 200

    assert page.post(f"{PAGE}keys/{key.pk}/revoke/").status_code == 302
    assert partner_client(full_key).get(FEED).status_code == 401
    actions = set(PartnerAuditEntry.objects.filter(authority=chatellerault)
                  .values_list("action", flat=True))
    assert actions == {"grant_created", "grant_accepted", "key_created", "key_revoked"}
    assert not any("." in str(entry.details) and full_key in str(entry.details)
                   for entry in PartnerAuditEntry.objects.all())


@pytest.mark.parametrize("upload, message", [
    (SimpleUploadedFile("convention.pdf", b"GIF89a not a pdf", "application/pdf"), "PDF"),
    (SimpleUploadedFile("big.pdf", b"%PDF-" + b"0" * (10 * 1024 * 1024), "application/pdf"),
     "10"),
])
def test_a_bad_agreement_is_refused_with_a_message_and_nothing_saved(
        chatellerault, admin, upload, message):
    ressourcerie = partner()
    response = client_for(chatellerault, admin).post(PAGE + "grants/", {
        "partner": ressourcerie.pk, "scopes": ["listings:read"], "agreement": upload})
    assert response.status_code == 400
    assert message in str(response.context["grant_form"].errors["agreement"])
    assert not PartnerGrant.objects.exists()


def test_no_key_for_a_partner_the_authority_does_not_grant(chatellerault, admin):
    stranger = partner()
    response = client_for(chatellerault, admin).post(PAGE + "keys/", {
        "partner": stranger.pk, "name": "Stock"})
    assert response.status_code == 400 and not ApiKey.objects.exists()


def test_an_admin_adds_a_partner_and_a_bad_siret_is_explained(chatellerault, admin):
    page = client_for(chatellerault, admin)
    data = {"legal_name": "Association Les Copains d'abord", "kind": "association",
            "siret": "12345678901234", "contact_name": "Lou", "contact_email": "lou@asso.example",
            "departements": "86, 79"}
    response = page.post(PAGE + "new/", data)
    assert response.status_code == 400
    assert response.context["partner_form"].errors["siret"]
    data["siret"] = siret(424242)
    assert page.post(PAGE + "new/", data).status_code == 302
    assert Partner.objects.get().departements == ["79", "86"]


def test_an_admin_of_b_cannot_touch_a_grant_or_key_of_a(chatellerault, grand_chatellerault,
                                                        admin):
    ressourcerie = partner()
    the_grant = grant(chatellerault, ressourcerie)
    key, _full = api_key(ressourcerie, authority=chatellerault)
    with in_authority(grand_chatellerault):
        other = authority_admin(email="admin@grand-chatellerault.example")
    page = client_for(grand_chatellerault, other)
    assert page.post(f"{PAGE}grants/{the_grant.pk}/revoke/").status_code == 404
    assert page.post(f"{PAGE}keys/{key.pk}/revoke/").status_code == 404
    assert page.get(f"{PAGE}grants/{the_grant.pk}/agreement.pdf").status_code == 404
    assert "cr_" not in page.get(PAGE).content.decode()
    the_grant.refresh_from_db()
    key.refresh_from_db()
    assert the_grant.revoked_at is None and key.revoked_at is None
    # A's admin revokes the grant.
    assert client_for(chatellerault, admin).post(
        f"{PAGE}grants/{the_grant.pk}/revoke/").status_code == 302
    the_grant.refresh_from_db()
    assert the_grant.revoked_at is not None


def test_the_admin_page_query_count_is_bounded(chatellerault, admin,
                                               django_assert_max_num_queries):
    for _n in range(4):
        the_partner = partner()
        grant(chatellerault, the_partner)
        api_key(the_partner, authority=chatellerault)
        api_key(the_partner)  # operator-issued: listed too
    page = client_for(chatellerault, admin)
    with django_assert_max_num_queries(16):
        response = page.get(PAGE)
    assert response.status_code == 200 and len(response.context["key_rows"]) == 8


# --- Operator console -------------------------------------------------------------------

def test_the_operator_creates_a_partner_a_key_and_a_webhook(db):
    the_operator = operator()
    console = verified_operator_client(the_operator)
    response = console.post("/operator/partners/new/", {
        "legal_name": "Emmaüs Châtellerault", "kind": "insertion", "siret": siret(77),
        "contact_name": "Sam", "contact_email": "sam@emmaus.example", "departements": "86"})
    assert response.status_code == 302
    emmaus = Partner.objects.get()
    response = console.post("/operator/partners/keys/", {"partner": emmaus.pk,
                                                         "name": "Export"})
    assert response.status_code == 200
    assert response.context["new_key"]["secret"] in response.content.decode()
    response = console.post("/operator/partners/webhooks/", {
        "partner": emmaus.pk, "url": "https://emmaus.example/hooks"})
    assert response.status_code == 200
    assert emmaus.webhooks.get().secret in response.content.decode()
    key = ApiKey.objects.get()
    assert console.post(f"/operator/partners/keys/{key.pk}/revoke/").status_code == 302
    assert set(OperatorAction.objects.values_list("action", flat=True)) >= {
        "partner_created", "partner_key_created", "partner_webhook_created",
        "partner_key_revoked"}
    assert "Emmaüs Châtellerault" in console.get("/operator/partners/").content.decode()


def test_the_console_pages_are_for_operators_only(chatellerault):
    assert client_for(None).get("/operator/partners/").status_code == 302
    with in_authority(chatellerault):
        an_admin = authority_admin()
    # The console does not exist on an authority's host.
    assert client_for(chatellerault, an_admin).get("/operator/partners/").status_code == 404
