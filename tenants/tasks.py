"""Scheduled jobs of the platform itself (public schema)."""

from celery import shared_task

from tenants.lifecycle import send_trial_reminders as _send_trial_reminders


@shared_task(name="tenants.send_trial_reminders")
def send_trial_reminders() -> int:
    """Daily (CELERY_BEAT_SCHEDULE): trial-end reminders to authorities' administrators."""
    return _send_trial_reminders()


@shared_task(name="tenants.build_authority_export")
def build_authority_export(export_id: int) -> None:
    """Build one authority export (tenants/offboarding/export.py), progress on its row."""
    from tenants.offboarding.export import build_export

    build_export(export_id)
