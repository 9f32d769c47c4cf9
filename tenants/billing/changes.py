"""Billing changes Stripe must learn of: saved now, sent to Stripe by a billing task
once the transaction commits.

The tasks (tasks.py) run services.py's Stripe calls; the writes that queue them live
here, above the tasks, so that services and tasks never import each other. Called by
the billing pages (details) and, when an authority becomes active, by the lifecycle
(`schedule_subscription`, registered in apps.py through tenants.lifecycle.on_activated).
"""

from __future__ import annotations

from django.db import transaction

from tenants.audit import record_action
from tenants.billing import stripe_api
from tenants.billing.models import BillingProfile
from tenants.billing.services import profile_for
from tenants.billing.tasks import push_customer_details, start_subscription
from tenants.identity import save_siret
from tenants.models import Authority


def schedule_subscription(authority: Authority) -> None:
    """After commit, have a worker create the Stripe customer and subscription."""
    if stripe_api.is_manual():
        return
    transaction.on_commit(lambda: start_subscription.delay(authority.pk))


def update_billing_details(authority: Authority, *, data: dict, actor=None,
                           by_operator: bool) -> BillingProfile:
    """Save the details shown on invoices (audited); Stripe's customer follows after
    commit when there is one."""
    data = dict(data)
    with transaction.atomic():
        if "siret" in data:  # the authority's own field, shared with the AGEC declaration
            save_siret(authority, data.pop("siret"))
        profile = profile_for(authority)
        for name, value in data.items():
            setattr(profile, name, value)
        profile.full_clean()
        profile.save()
        record_action(actor, "billing_updated", authority,
                      by="operator" if by_operator else "authority_admin")
        if profile.stripe_customer_id and not stripe_api.is_manual():
            transaction.on_commit(lambda: push_customer_details.delay(authority.pk))
    return profile
