"""Billing reads for the console."""

from django.db.models import QuerySet

from tenants.billing.models import BillingProfile, Invoice, InvoiceStatus
from tenants.billing.plans import plan_for
from tenants.billing.stripe_api import is_manual
from tenants.models import Authority


def overdue_invoices() -> QuerySet[Invoice]:
    return (Invoice.objects.filter(status=InvoiceStatus.OVERDUE)
            .select_related("authority").order_by("due_date"))


def billing_of(authority: Authority) -> dict:
    profile = BillingProfile.objects.filter(authority=authority).first()
    return {
        "manual": is_manual(), "profile": profile,
        "plan": plan_for(authority.population),
        "invoices": list(Invoice.objects.filter(authority=authority)[:20]),
    }
