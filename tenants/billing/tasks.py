"""Billing tasks: Stripe calls happen here, after commit, in the public schema. They run
services.py's functions; changes.py queues them."""

from celery import shared_task

from tenants.audit import record_action
from tenants.billing import services
from tenants.crossing import in_public
from tenants.models import Authority


@shared_task(name="billing.start_subscription", autoretry_for=(ConnectionError,),
             retry_backoff=True, max_retries=5)
def start_subscription(authority_id: int) -> None:
    with in_public(purpose="start a subscription"):
        authority = Authority.objects.get(pk=authority_id)
        try:
            services.start_subscription(authority)
        except services.BillingError as error:  # shown in the authority's history
            record_action(None, "billing_failed", authority, error=str(error))


@shared_task(name="billing.push_customer_details")
def push_customer_details(authority_id: int) -> None:
    with in_public(purpose="push customer details"):
        services.push_customer_details(Authority.objects.get(pk=authority_id))


@shared_task(name="billing.flag_overdue_invoices")
def flag_overdue_invoices() -> int:
    """Daily (CELERY_BEAT_SCHEDULE)."""
    with in_public(purpose="flag overdue invoices"):
        return services.flag_overdue_invoices()
