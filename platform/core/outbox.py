"""Mail that is never lost and never sent twice by the platform.

`record(message, kind=…)` stores an EmailMessage in the outbox of the current schema,
inside the caller's transaction: if the business write rolls back, so does the mail; if
it commits, the mail is there even when the mail server, the broker or the worker is
down. After commit, the `core.send_outbox_message` task sends it; on failure it is
retried with backoff, and a periodic sweep (`due_here`, run by collectivrecup.tasks in
every schema) queues again what is still pending, whatever happened to the first task.

Sending locks the row (`select_for_update(skip_locked=True)`) and marks it sent in the
same transaction: a retry, a redelivered message (acks_late) and the sweep skip a row
already sent or held by another worker. Each attempt carries the same Message-ID
(`<outbox-<uuid>@collectivrecup>`): if the mail server accepted a message but the
database could not record it (it went down in between), the second copy has the same
Message-ID and receivers drop it.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.core.mail import EmailMessage
from django.db import connection, transaction
from django.utils import timezone

from core.models import OutboxMessage, OutboxStatus

log = logging.getLogger(__name__)

SEND_TASK = "core.send_outbox_message"
# Seconds before attempt n+1 (the sweep also picks up what is due); then abandoned.
RETRY_DELAYS = [15, 60, 300, 1800, 3600, 3 * 3600, 6 * 3600, 24 * 3600]
# The task queued after commit sends a new message; the sweep takes it only if that
# has not happened after this long (broker down, task lost with a worker).
FIRST_ATTEMPT_GRACE = timedelta(seconds=20)


def record(message: EmailMessage, *, kind: str = "") -> OutboxMessage:
    """Store `message` in the outbox (in the current transaction) and have a worker send
    it after commit. Attachments are not supported (none of the outbox's mails has one)."""
    assert not message.attachments, "the outbox does not keep attachments"
    row = OutboxMessage.objects.create(
        subject=message.subject, body=message.body, from_email=message.from_email or "",
        to=list(message.to), cc=list(message.cc), reply_to=list(message.reply_to),
        kind=kind[:60], next_attempt_at=timezone.now() + FIRST_ATTEMPT_GRACE)
    # The schema the row is written in: the task runs there, even when the transaction
    # wrote it from another authority's request (a receipt asked of the receiver).
    schema = getattr(connection, "schema_name", None)
    transaction.on_commit(lambda: queue(row.pk, schema=schema))
    return row


def queue(message_id, *, schema: str | None = None) -> bool:
    """Hand one message to a worker (in `schema`, else the current one: the header
    tenant-schemas-celery reads); a broker down is logged: the sweep queues it later."""
    # Imported here: celery's app registry is only complete once Django has loaded.
    from celery import current_app

    try:
        current_app.tasks[SEND_TASK].apply_async(
            args=[str(message_id)], headers={"_schema_name": schema} if schema else None)
    except Exception:
        log.warning("outbox message %s not queued now; the sweep retries", message_id,
                    exc_info=True)
        return False
    return True


def _email(row: OutboxMessage) -> EmailMessage:
    return EmailMessage(subject=row.subject, body=row.body, from_email=row.from_email or None,
                        to=row.to, cc=row.cc, reply_to=row.reply_to,
                        headers={"Message-ID": row.message_id})


def send(message_id, now=None) -> str:
    """Try one message once: "sent", "failed" (to retry), "abandoned", or "nothing to do"
    (already sent, abandoned, unknown, or being sent by another worker right now)."""
    now = now or timezone.now()
    with transaction.atomic():
        row = (OutboxMessage.objects.select_for_update(skip_locked=True)
               .filter(pk=message_id, status=OutboxStatus.PENDING).first())
        if row is None:
            return "nothing to do"
        row.attempts += 1
        try:
            _email(row).send()
        except Exception as error:
            row.last_error = f"{type(error).__name__}: {error}"[:300]
            if row.attempts > len(RETRY_DELAYS):
                row.status, row.next_attempt_at = OutboxStatus.ABANDONED, None
            else:
                row.next_attempt_at = now + timedelta(seconds=RETRY_DELAYS[row.attempts - 1])
            row.save(update_fields=["attempts", "last_error", "status", "next_attempt_at"])
            return "abandoned" if row.status == OutboxStatus.ABANDONED else "failed"
        row.status, row.sent_at, row.last_error, row.next_attempt_at = (
            OutboxStatus.SENT, now, "", None)
        row.save(update_fields=["attempts", "last_error", "status", "next_attempt_at",
                                "sent_at"])
        return "sent"


def due_here(now=None, limit: int = 500) -> list:
    """The ids of the current schema's messages due for an attempt (pending, their next
    attempt time passed)."""
    now = now or timezone.now()
    return list(OutboxMessage.objects.filter(status=OutboxStatus.PENDING,
                                             next_attempt_at__lte=now)
                .order_by("next_attempt_at").values_list("pk", flat=True)[:limit])


def sweep_here(now=None) -> int:
    """Queue every due message of the current schema once; returns how many."""
    return sum(queue(message_id) for message_id in due_here(now))
