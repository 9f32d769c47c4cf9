"""Scheduled jobs of the platform itself (public schema). The export task is
tenants/offboarding/tasks.py's; billing's are tenants/billing/tasks.py's."""

from celery import shared_task

from tenants.lifecycle import send_trial_reminders as _send_trial_reminders
from tenants.sso.services import prune_expired_handoffs


@shared_task(name="tenants.send_trial_reminders")
def send_trial_reminders() -> int:
    """Daily (CELERY_BEAT_SCHEDULE): trial-end reminders to authorities' administrators."""
    return _send_trial_reminders()


@shared_task(name="tenants.prune_sign_in_handoffs")
def prune_sign_in_handoffs() -> int:
    """Every five minutes: ProConnect hand-offs left unused past their minute."""
    return prune_expired_handoffs()
