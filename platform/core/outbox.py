"""Mail that is never lost and never sent twice by the platform.

`record(message, kind=…)` stores an EmailMessage in the outbox of the current schema,
inside the caller's transaction: if the business write rolls back, so does the mail; if
it commits, the mail is there even when the mail server, the broker or the worker is
down. After commit, the `core.send_outbox_message` task sends it; on failure it is
retried with backoff, and a periodic sweep (`due_here`, run by collectivrecup.tasks in
every schema) queues again what is still pending, whatever happened to the first task.

Sending claims the row, sends outside any transaction, then settles the outcome
(core.sending): a retry, a redelivered message (acks_late) and the sweep skip a row
already sent or being sent; a mail server's « accepted » is written even when the
database was away meanwhile; a claim whose worker died is taken over. Each attempt
carries the same Message-ID (`<outbox-<uuid>@collectivrecup>`): in the one window no
sender closes (a worker killed between the server's « accepted » and the write), the
second copy has the same Message-ID and receivers drop it.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.core.mail import EmailMessage
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from core import sending
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
    (already sent, abandoned, unknown, or being sent by another worker right now).

    Claimed, sent outside any transaction, then settled (core.sending): a mail server's
    « accepted » is written even if the database was away for a while meanwhile."""
    now = now or timezone.now()
    taken = sending.claim(OutboxMessage.objects.all(), message_id,
                          ready=Q(status=OutboxStatus.PENDING))
    if taken is None:
        return "nothing to do"
    row = taken.row
    try:
        _email(row).send()
    except Exception as error:
        last_error = f"{type(error).__name__}: {error}"[:300]
        if row.attempts > len(RETRY_DELAYS):
            sending.settle(taken, status=OutboxStatus.ABANDONED, next_attempt_at=None,
                           last_error=last_error)
            outcome = "abandoned"
        else:
            sending.settle(taken, status=OutboxStatus.PENDING, last_error=last_error,
                           next_attempt_at=now + timedelta(seconds=RETRY_DELAYS[row.attempts - 1]))
            outcome = "failed"
        log.info("outbox message %s: %s (attempt %d)", row.pk, outcome, row.attempts)
        return outcome
    log.info("outbox message %s: accepted by the mail server (attempt %d)", row.pk,
             row.attempts)
    sending.settle(taken, status=OutboxStatus.SENT, sent_at=now, last_error="",
                   next_attempt_at=None)
    return "sent"


def due_here(now=None, limit: int = 500) -> list:
    """The ids of the current schema's messages due for an attempt: pending with their
    next attempt time passed, and claims old enough to check (core.sending)."""
    now = now or timezone.now()
    due = list(OutboxMessage.objects.filter(status=OutboxStatus.PENDING,
                                            next_attempt_at__lte=now)
               .order_by("next_attempt_at").values_list("pk", flat=True)[:limit])
    return due + list(sending.claims_to_check(OutboxMessage.objects.all(), now)
                      .order_by("claimed_at").values_list("pk", flat=True)[:limit])


def sweep_here(now=None) -> int:
    """Queue every due message of the current schema once; returns how many."""
    return sum(queue(message_id) for message_id in due_here(now))
