"""Periodic jobs of the statistics (CELERY_BEAT_SCHEDULE), in the pair pattern of
exchange/listings/tasks.py: beat queues `<job>_everywhere` in the public schema, which queues
`<job>` once per authority serving data, run in that authority's schema."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from analytics.campaigns import open_campaign, previous_semester
from tenants.background import in_a_live_authority, queue_in_every_authority
from tenants.selectors import current_authority


@shared_task(name="analytics.open_weight_campaign")
def open_weight_campaign() -> str:
    """Open this authority's weight campaign for the semester just ended (idempotent)."""
    if not in_a_live_authority("analytics.open_weight_campaign"):
        return "not in a live authority"
    year, semester = previous_semester(timezone.localdate())
    campaign, created = open_campaign(current_authority(), year, semester)
    return f"{campaign} {'opened' if created else 'already open'}"


@shared_task(name="analytics.open_weight_campaigns_everywhere")
def open_weight_campaigns_everywhere() -> int:
    return queue_in_every_authority(open_weight_campaign)
