"""Billing tasks: Stripe calls happen here, after commit, in the public schema."""

from celery import shared_task

from tenants.crossing import in_public
from tenants.models import Authority


@shared_task(name="billing.start_subscription", autoretry_for=(ConnectionError,),
             retry_backoff=True, max_retries=5)
def start_subscription(authority_id: int) -> None:
    from tenants.audit import record_action
    from tenants.billing.services import BillingError
    from tenants.billing.services import start_subscription as start

    with in_public(purpose="start a subscription"):
        authority = Authority.objects.get(pk=authority_id)
        try:
            start(authority)
        except BillingError as error:  # shown in the authority's history on the console
            record_action(None, "billing_failed", authority, error=str(error))


@shared_task(name="billing.push_customer_details")
def push_customer_details(authority_id: int) -> None:
    from tenants.billing.services import push_customer_details as push

    with in_public(purpose="push customer details"):
        push(Authority.objects.get(pk=authority_id))


@shared_task(name="billing.flag_overdue_invoices")
def flag_overdue_invoices() -> int:
    """Daily (CELERY_BEAT_SCHEDULE)."""
    from tenants.billing.services import flag_overdue_invoices as flag

    with in_public(purpose="flag overdue invoices"):
        return flag()
