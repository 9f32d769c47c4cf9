"""Scheduled jobs of the platform itself (public schema). The export task is
tenants/offboarding/tasks.py's; billing's are tenants/billing/tasks.py's."""

import logging

from celery import shared_task

from tenants.lifecycle import send_trial_reminders as _send_trial_reminders
from tenants.provisioning import ProvisioningError
from tenants.provisioning import refill_spares as _refill_spares
from tenants.sso.services import prune_expired_handoffs

log = logging.getLogger(__name__)


@shared_task(name="tenants.send_trial_reminders")
def send_trial_reminders() -> int:
    """Daily (CELERY_BEAT_SCHEDULE): trial-end reminders to authorities' administrators."""
    return _send_trial_reminders()


@shared_task(name="tenants.refill_spare_schemas")
def refill_spare_schemas() -> int:
    """Queued after each provisioning commits, and every ten minutes (CELERY_BEAT_SCHEDULE):
    tops the pool of spare schemas up (tenants/provisioning.py). Returns how many were
    built; without a usable template (no pg_dump), 0 and a warning: provisioning falls
    back to migrating meanwhile."""
    try:
        return _refill_spares()
    except ProvisioningError:
        log.warning("spare schemas not refilled: template unavailable", exc_info=True)
        return 0


@shared_task(name="tenants.prune_sign_in_handoffs")
def prune_sign_in_handoffs() -> int:
    """Every five minutes: ProConnect hand-offs left unused past their minute."""
    return prune_expired_handoffs()
