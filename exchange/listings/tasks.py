"""Celery tasks of the exchange. Each runs in the schema of the authority that
queued it (tenant-schemas-celery); periodic ones loop over authorities.

Periodic jobs (CELERY_BEAT_SCHEDULE) come in pairs: beat queues `<job>_everywhere` in
the public schema; it queues `<job>` once per live authority, inside that authority's
schema (tenants.crossing.for_each_live_authority), so the worker runs each there. A body
is a call to a service; a failure in one authority never stops the others.

An entry point, like the views: it imports the services, the reminders and the
notifications it runs, and none of them imports it back (services queue a task by its
registered name, tenants.background.queue_by_name; ListingsConfig.ready() imports this
module so that every process knows the names).
"""

from __future__ import annotations

import logging
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.db.models import Q
from django.utils import timezone, translation

from core import sending
from exchange.listings import photos, reminders
from exchange.listings.models import ContactRequest, ContactStatus
from exchange.listings.notifications import contact_message
from exchange.listings.services import expiry, visibility
from exchange.listings.services.contact import SEND_CONTACT_REQUEST
from tenants.background import (
    in_a_live_authority,
    queue_in_every_authority,
    queue_quietly,
)

log = logging.getLogger(__name__)

RETRY_DELAYS = [30, 120, 600, 1800, 3600, 3 * 3600, 6 * 3600]
# Unsent requests older than this are no longer mailed automatically (the poster
# still sees them on the listing page, and the outcome reminder names their senders).
RESEND_WINDOW = timedelta(days=7)


@shared_task(bind=True, max_retries=len(RETRY_DELAYS), name=SEND_CONTACT_REQUEST)
def send_contact_request(self, contact_id: int, retry: bool = True) -> str:
    """Mail one stored contact request; on failure record it and retry with backoff
    (`retry=False`: one attempt only, used when a later sweep tries again).

    Idempotent: the row is claimed before anything is sent (core.sending), so a retry,
    a sweep and a redelivered message never mail twice, and a mail server's « accepted »
    is written even when the database was away meanwhile.
    """
    taken = sending.claim(
        ContactRequest.objects.select_related("listing__poster", "sender__service"),
        contact_id, ready=Q(status__in=[ContactStatus.PENDING, ContactStatus.FAILED]))
    if taken is None:
        return "nothing to do"
    contact = taken.row
    try:
        contact_message(contact).send()
    except Exception as error:
        sending.settle(taken, status=ContactStatus.FAILED,
                       last_error=f"{type(error).__name__}: {error}"[:300])
        failure = error
    else:
        sending.settle(taken, status=ContactStatus.SENT, sent_at=timezone.now(),
                       last_error="")
        return "sent"
    if not retry:
        raise failure
    delay = RETRY_DELAYS[min(self.request.retries, len(RETRY_DELAYS) - 1)]
    raise self.retry(exc=failure, countdown=delay)


def resend_pending_contacts_here(older_than: timedelta = timedelta(minutes=2)) -> int:
    """Queue again the unsent requests of the current authority (after a broker or mail
    outage). Returns how many it tried to queue (a broker still down is only logged).

    - pending: never reached a worker (broker down when queued, or message lost):
      queued with the usual retries;
    - failed, or claimed a while ago (core.sending): one attempt (`retry=False`). Its
      own retry chain may still be running (or may have been lost with a worker, or
      have run out): a sweep never starts another chain, so chains never pile up, and
      a request already sent or being sent is skipped.
    Only requests older than `older_than` and younger than RESEND_WINDOW are taken;
    older ones are left alone (the poster still sees them on the listing page).
    """
    now = timezone.now()
    unsent = ContactRequest.objects.exclude(status=ContactStatus.SENT).filter(
        created_at__gte=now - RESEND_WINDOW, created_at__lte=now - older_than
    ).order_by("created_at")
    pending = list(unsent.filter(status=ContactStatus.PENDING).values_list("pk", flat=True))
    # Failed ones, and claims old enough to check (their worker may be gone: the
    # attempt takes the claim over only then, core.sending).
    failed = list(unsent.filter(Q(status=ContactStatus.FAILED)
                                | Q(pk__in=sending.claims_to_check(unsent, now)))
                  .values_list("pk", flat=True))
    for contact_id in pending:
        queue_quietly(send_contact_request, contact_id)
    for contact_id in failed:
        queue_quietly(send_contact_request, contact_id, retry=False)
    return len(pending) + len(failed)


# --- Periodic jobs -------------------------------------------------------------------

@shared_task(name="exchange.expire_listings")
def expire_listings() -> int:
    """Published listings past their date become expired, in this authority."""
    return expiry.expire_due_listings() if in_a_live_authority("exchange.expire_listings") else 0


@shared_task(name="exchange.send_expiry_reminders")
def send_expiry_reminders() -> int:
    """Tell posters, a week ahead, that their listing expires (once), in this authority."""
    if not in_a_live_authority("exchange.send_expiry_reminders"):
        return 0
    with translation.override(settings.LANGUAGE_CODE):
        return reminders.send_expiry_reminders()


@shared_task(name="exchange.send_outcome_reminders")
def send_outcome_reminders() -> int:
    """Ask posters of contacted, still open listings what happened, in this authority."""
    if not in_a_live_authority("exchange.send_outcome_reminders"):
        return 0
    with translation.override(settings.LANGUAGE_CODE):
        return reminders.send_outcome_reminders()


@shared_task(name="exchange.resend_pending_contacts")
def resend_pending_contacts() -> int:
    """Queue again the contact requests of this authority a broker or mail outage held."""
    if not in_a_live_authority("exchange.resend_pending_contacts"):
        return 0
    return resend_pending_contacts_here(
        older_than=timedelta(seconds=settings.CONTACT_RESEND_AFTER_SECONDS))


@shared_task(name="exchange.expire_listings_everywhere")
def expire_listings_everywhere() -> int:
    return queue_in_every_authority(expire_listings)


@shared_task(name="exchange.send_expiry_reminders_everywhere")
def send_expiry_reminders_everywhere() -> int:
    return queue_in_every_authority(send_expiry_reminders)


@shared_task(name="exchange.send_outcome_reminders_everywhere")
def send_outcome_reminders_everywhere() -> int:
    return queue_in_every_authority(send_outcome_reminders)


@shared_task(name="exchange.resend_pending_contacts_everywhere")
def resend_pending_contacts_everywhere() -> int:
    return queue_in_every_authority(resend_pending_contacts)


@shared_task(name="exchange.share_waiting_listings")
def share_waiting_listings() -> int:
    """The sharing cascade: internal listings without taker after the authority's
    `share_after_days` become shared, in this authority."""
    if not in_a_live_authority("exchange.share_waiting_listings"):
        return 0
    return visibility.share_waiting_listings()


@shared_task(name="exchange.share_waiting_listings_everywhere")
def share_waiting_listings_everywhere() -> int:
    return queue_in_every_authority(share_waiting_listings)


@shared_task(name="exchange.delete_expired_pending_photos")
def delete_expired_pending_photos() -> int:
    """Photos sent ahead of a listing and never attached, past their delay, leave the
    storage, in this authority."""
    if not in_a_live_authority("exchange.delete_expired_pending_photos"):
        return 0
    return photos.delete_expired_pending_photos()


@shared_task(name="exchange.delete_expired_pending_photos_everywhere")
def delete_expired_pending_photos_everywhere() -> int:
    return queue_in_every_authority(delete_expired_pending_photos)
