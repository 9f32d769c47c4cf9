"""Periodic jobs of the loans, in pairs like the listings' (exchange/listings/tasks.py):
beat queues `loans.send_late_reminders_everywhere` in the public schema; it queues
`loans.send_late_reminders` once per live authority (tenants.background)."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings
from django.utils import translation

from exchange.loans import services
from tenants.background import in_a_live_authority, queue_in_every_authority


@shared_task(name="loans.send_late_reminders")
def send_late_reminders() -> int:
    """Remind borrowers of late returns (once a day per booking), in this authority."""
    if not in_a_live_authority("loans.send_late_reminders"):
        return 0
    with translation.override(settings.LANGUAGE_CODE):
        return services.send_late_reminders()


@shared_task(name="loans.send_late_reminders_everywhere")
def send_late_reminders_everywhere() -> int:
    return queue_in_every_authority(send_late_reminders)
