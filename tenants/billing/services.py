"""Billing writes: the Stripe customer and subscription of an authority that becomes
active, its customer details pushed to Stripe, overdue invoices, and the invoice updates
Stripe's webhook sends.

Manual mode (no STRIPE_SECRET_KEY): nothing calls Stripe; the operator invoices by hand
and the console says so. Stripe calls happen in tasks after commit (tasks.py runs
`start_subscription` and `push_customer_details`), never inside a request's
transaction: the writes that queue them are changes.py's, which sits above the tasks.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Role
from accounts.selectors import addresses_of_role
from core.mail import mail_each_after_commit
from tenants.audit import record_action
from tenants.billing import stripe_api
from tenants.billing.models import BillingProfile, Invoice, InvoiceStatus, StripeEvent
from tenants.billing.plans import plan_by_code, plan_for
from tenants.models import Authority

log = logging.getLogger(__name__)

DAYS_UNTIL_DUE = 30


class BillingError(RuntimeError):
    """Stripe cannot be set up for this authority; the message is for the operator."""


def profile_for(authority: Authority) -> BillingProfile:
    profile, _created = BillingProfile.objects.get_or_create(
        authority=authority, defaults={"legal_name": authority.name})
    return profile


# --- Customer and subscription ---------------------------------------------------------

def _customer_params(profile: BillingProfile) -> dict:
    """What the invoice shows: name, address, and SIRET / Chorus Pro code / purchase
    order as invoice custom fields (Stripe prints up to four)."""
    authority = profile.authority
    fields = [("SIRET", authority.siret), ("Service Chorus Pro", profile.chorus_service_code),
              ("Bon de commande", profile.purchase_order)]
    params = {
        "name": profile.legal_name or authority.name,
        "preferred_locales": ["fr"],
        "metadata": {"authority": authority.slug, "siren": authority.siren},
        "invoice_settings": {
            "custom_fields": [{"name": name, "value": value} for name, value in fields
                              if value] or "",
            "footer": f"{profile.legal_name or authority.name} — SIREN {authority.siren}",
        },
    }
    if profile.billing_email:
        params["email"] = profile.billing_email
    if profile.address_line1:
        params["address"] = {"line1": profile.address_line1, "line2": profile.address_line2,
                             "postal_code": profile.postal_code, "city": profile.city,
                             "country": "FR"}
    return params


def start_subscription(authority: Authority) -> BillingProfile:
    """Create (once) the authority's Stripe customer and its yearly subscription, paid
    on invoice by bank transfer within 30 days. Idempotent: ids already stored are kept,
    and Stripe idempotency keys make a retried task harmless.

    Manual mode: does nothing. Raises BillingError without a population or a price.
    """
    profile = profile_for(authority)
    client = stripe_api.client()
    if client is None or profile.stripe_subscription_id:
        return profile
    plan = plan_for(authority.population)
    if plan is None:
        raise BillingError(_("The authority's population is unknown: no plan applies."))
    if not profile.stripe_customer_id:
        customer = client.v1.customers.create(
            params=_customer_params(profile),
            options={"idempotency_key": f"customer-{authority.pk}"})
        profile.stripe_customer_id = customer.id
        profile.save(update_fields=["stripe_customer_id", "updated_at"])
    prices = client.v1.prices.list(params={"lookup_keys": [plan.lookup_key],
                                           "active": True, "limit": 1})
    if not prices.data:
        raise BillingError(_("No Stripe price has the lookup key %(key)s.")
                           % {"key": plan.lookup_key})
    subscription = client.v1.subscriptions.create(
        params={"customer": profile.stripe_customer_id,
                "items": [{"price": prices.data[0].id}],
                "collection_method": "send_invoice", "days_until_due": DAYS_UNTIL_DUE,
                "metadata": {"authority": authority.slug, "plan": plan.code}},
        options={"idempotency_key": f"subscription-{authority.pk}-{plan.code}"})
    profile.stripe_subscription_id = subscription.id
    profile.plan = plan.code
    profile.save(update_fields=["stripe_subscription_id", "plan", "updated_at"])
    log.info("Authority %s: Stripe subscription on plan %s", authority.slug, plan.code)
    return profile


def push_customer_details(authority: Authority) -> None:
    profile = profile_for(authority)
    client = stripe_api.client()
    if client is None or not profile.stripe_customer_id:
        return
    params = _customer_params(profile)
    params.pop("preferred_locales", None)
    client.v1.customers.update(profile.stripe_customer_id, params=params)


# --- Webhook events --------------------------------------------------------------------

# Invoice events → the status they mean (others use the invoice's own status).
EVENT_STATUS = {
    "invoice.paid": InvoiceStatus.PAID,
    "invoice.payment_succeeded": InvoiceStatus.PAID,
    "invoice.overdue": InvoiceStatus.OVERDUE,
    "invoice.voided": InvoiceStatus.VOID,
    "invoice.marked_uncollectible": InvoiceStatus.UNCOLLECTIBLE,
}


def _date(timestamp) -> datetime | None:
    return datetime.fromtimestamp(timestamp, tz=UTC).date() if timestamp else None


# Among events created in the same second (Stripe's `created` has no finer grain), the
# one further along the invoice's life wins: invoice.paid beats invoice.finalized.
STATUS_PROGRESS = {InvoiceStatus.DRAFT: 0, InvoiceStatus.OPEN: 1, InvoiceStatus.OVERDUE: 2,
                   InvoiceStatus.PAID: 3, InvoiceStatus.VOID: 3,
                   InvoiceStatus.UNCOLLECTIBLE: 3}


def handle_event(event_id: str, event_type: str, data: dict, *, created: int) -> bool:
    """Apply one verified Stripe event; False when it was seen before (a replay).

    `created` is the event's Unix timestamp. The event id is stored in the same
    transaction as its effect: an event is applied exactly once, however many times
    Stripe delivers it. Stripe does not guarantee the order of delivery: an invoice
    event older than the last one applied to that invoice is recorded (applied=False)
    and changes nothing.
    """
    created_at = datetime.fromtimestamp(created, tz=UTC)
    with transaction.atomic():
        try:
            with transaction.atomic():
                record = StripeEvent.objects.create(event_id=event_id, type=event_type,
                                                    created=created_at)
        except IntegrityError:
            return False
        if event_type.startswith("invoice.") and not _apply_invoice(event_type, data,
                                                                    created_at):
            record.applied = False
            record.save(update_fields=["applied"])
    return True


def _is_stale(invoice: Invoice, created_at: datetime, status: str) -> bool:
    """True when an event of `created_at` bringing `status` is older than the last one
    applied to `invoice`."""
    last = invoice.last_event_created
    if last is None:
        return False
    if created_at != last:
        return created_at < last
    return STATUS_PROGRESS.get(status, 0) < STATUS_PROGRESS.get(invoice.status, 0)


def _apply_invoice(event_type: str, invoice: dict, created_at: datetime) -> bool:
    """Bring our copy of the invoice up to the event; False when nothing was applied."""
    profile = (BillingProfile.objects.select_related("authority")
               .filter(stripe_customer_id=invoice.get("customer")).first())
    if profile is None:
        log.warning("Stripe invoice event %s for an unknown customer", event_type)
        return False
    status = EVENT_STATUS.get(event_type) or invoice.get("status") or InvoiceStatus.DRAFT
    if status not in InvoiceStatus.values:
        status = InvoiceStatus.OPEN
    # Locked: two deliveries at once cannot both read the old timestamp.
    existing = (Invoice.objects.select_for_update()
                .filter(stripe_invoice_id=invoice["id"]).first())
    if existing is not None and _is_stale(existing, created_at, status):
        log.info("Stripe event %s older than the invoice's last one: recorded, not applied",
                 event_type)
        return False
    row, _created = Invoice.objects.update_or_create(
        stripe_invoice_id=invoice["id"],
        defaults={"authority": profile.authority, "number": invoice.get("number") or "",
                  "status": status, "amount_due": invoice.get("amount_due") or 0,
                  "currency": invoice.get("currency") or "eur",
                  "due_date": _date(invoice.get("due_date")),
                  "hosted_invoice_url": invoice.get("hosted_invoice_url") or "",
                  "last_event_created": created_at, "updated_at": timezone.now()})
    if status == InvoiceStatus.OVERDUE:
        alert_overdue(row)
    return True


def flag_overdue_invoices(today=None) -> int:
    """Daily: open invoices past their due date become overdue (if Stripe's event was
    missed) and alert the operator. Returns the number flagged."""
    today = today or timezone.localdate()
    flagged = 0
    for invoice in Invoice.objects.filter(status=InvoiceStatus.OPEN, due_date__lt=today):
        invoice.status = InvoiceStatus.OVERDUE
        invoice.save(update_fields=["status"])
        alert_overdue(invoice)
        flagged += 1
    return flagged


def alert_overdue(invoice: Invoice) -> None:
    """Tell the operators once (audit log + e-mail); they decide on suspension."""
    if invoice.overdue_alerted_at:
        return
    invoice.overdue_alerted_at = timezone.now()
    invoice.save(update_fields=["overdue_alerted_at"])
    authority = invoice.authority
    record_action(None, "invoice_overdue", authority, invoice=invoice.number or invoice.pk,
                  amount_due=invoice.amount_due)
    recipients = addresses_of_role(Role.OPERATOR)
    context = {"authority": authority, "invoice": invoice,
               "console_path": f"/operator/authorities/{authority.slug}/"}

    mail_each_after_commit("tenants/billing/email/overdue", context, recipients,
                           language=settings.LANGUAGE_CODE)


def plan_label(profile: BillingProfile | None, authority: Authority) -> str:
    plan = plan_by_code(profile.plan) if profile and profile.plan else plan_for(
        authority.population)
    return plan.label if plan else ""
