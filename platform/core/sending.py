"""Sending a row's message out once (a mail, a webhook): claim, send, settle.

Sending inside the transaction that locks the row cannot tell a retry what happened
when the database goes away between the other side's « accepted » and the commit: the
row rolls back to "pending" and the message goes out again. So each attempt runs in
three steps:

1. **claim**, in a short transaction of its own: the row is locked, checked to be ready,
   and marked `sending` with the claim's time (the database's clock); the worker's
   database session also takes an advisory lock named after the row, held while it sends.
2. **send**, outside any transaction.
3. **settle**: the outcome is written (sent, or back to a retry state) where the row is
   still this claim's. While the database cannot be reached, settling is tried again
   for up to SETTLE_WINDOW: the worker keeps « accepted » until it can write it.

A row left `sending` has lost its worker, or is waiting for the database with it. The
next attempt (a redelivered task, the sweep) takes the claim over:
- at once when the advisory lock is free and the database has not restarted since the
  claim: the holder's session ended while the server ran, so its process died (a worker
  killed mid-send) and cannot settle any more;
- otherwise only after STALE_CLAIM, longer than a send and a settle window put together:
  after a database restart every advisory lock is gone, and the holder may be alive.

What remains is the window no sender can close: a process killed between the other
side's « accepted » and its settle. Mails carry one Message-ID per row and webhooks one
delivery id, so that the receiver can drop such a copy.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import DatabaseError, connection, transaction
from django.db.models import F, Model, Q, QuerySet

log = logging.getLogger(__name__)

SENDING = "sending"
# How long a worker keeps trying to write an outcome while the database is away.
SETTLE_WINDOW = timedelta(minutes=5)
SETTLE_PAUSE_SECONDS = 1.0
# A claim older than this is taken over even when its holder may be alive (database
# restarted meanwhile): longer than a send (EMAIL_TIMEOUT, the webhook timeout) plus
# SETTLE_WINDOW.
STALE_CLAIM = timedelta(minutes=15)
# The sweeps look at a `sending` row only once it is this old: a send in progress
# normally settles well within it.
CHECK_CLAIMS_AFTER = timedelta(seconds=30)


@dataclass
class Claim:
    """A row this worker is sending: `row` as read when claimed (status `sending`), or,
    `settled`, a row `decide` gave its final outcome without sending (core.sending.claim)."""

    row: Model
    key: str
    claimed_at: datetime | None
    settled: bool = False


def lock_key(row: Model) -> str:
    """The advisory lock's name: schema, table and primary key."""
    return f"{connection.schema_name}.{row._meta.db_table}.{row.pk}"


def _claim_time_and_lock(key: str) -> tuple[datetime, bool]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT now(), pg_try_advisory_lock(hashtextextended(%s, 0))", [key])
        return cursor.fetchone()


def _unlock(key: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_unlock(hashtextextended(%s, 0))", [key])


def _take_over(key: str, claimed_at: datetime) -> datetime | None:
    """The new claim's time if a `sending` row's claim (made at `claimed_at`) may be
    taken over (see the module): this session then holds the row's advisory lock.
    None when it may not."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_try_advisory_lock(hashtextextended(%s, 0)), "
            "pg_postmaster_start_time() < %s, now() - %s > %s, now()",
            [key, claimed_at, claimed_at, STALE_CLAIM])
        free, no_restart_since, stale, now = cursor.fetchone()
    if not free:
        return None
    if no_restart_since or stale:
        return now
    _unlock(key)
    return None


def claim(queryset: QuerySet, pk, *, ready: Q, count_attempt: bool = True,
          decide: Callable[[Model], dict | None] | None = None) -> Claim | None:
    """Claim the row `pk` of `queryset` if it is `ready` (a Q on its status and the
    like) or a `sending` row whose holder is gone; None when there is nothing to do now
    (already settled, not ready, being sent by another worker, or locked by one).

    `decide(row)`, run under the row's lock before the claim, may instead return the
    fields of a final outcome that needs no sending (a webhook whose access ended): they
    are written in that same transaction and the Claim comes back `settled`. A database
    error there rolls everything back: the row stays as it was, for the next attempt."""
    with transaction.atomic():
        row = (queryset.select_for_update(skip_locked=True, of=("self",))
               .filter(Q(pk=pk) & (ready | Q(status=SENDING))).first())
        if row is None:
            return None
        key = lock_key(row)
        if row.status == SENDING:
            claimed_at = _take_over(key, row.claimed_at)
            if claimed_at is None:
                return None
            log.warning("%s %s: taking over a claim whose worker is gone",
                        row._meta.label, row.pk)
        else:
            claimed_at, locked = _claim_time_and_lock(key)
            if not locked:  # another session holds the name (a hash collision): later
                return None
        final = decide(row) if decide is not None else None
        if final is not None:
            type(row).objects.filter(pk=row.pk).update(**final)
            _unlock(key)
            for name, value in final.items():
                setattr(row, name, value)
            return Claim(row=row, key=key, claimed_at=row.claimed_at, settled=True)
        fields = {"status": SENDING, "claimed_at": claimed_at}
        if count_attempt:
            fields["attempts"] = F("attempts") + 1
        type(row).objects.filter(pk=row.pk).update(**fields)
    row.status, row.claimed_at = SENDING, claimed_at
    if count_attempt:
        row.attempts += 1
    return Claim(row=row, key=key, claimed_at=claimed_at)


def _may_reconnect() -> bool:
    """A new session can only be opened outside a transaction (a task's case; a caller's
    transaction is the caller's to retry)."""
    return not connection.in_atomic_block


def _drop_session() -> None:
    """Close a broken session: the next query opens a new one (django-tenants sets its
    search path again)."""
    connection.close()


def settle(taken: Claim, **fields) -> bool:
    """Write the outcome (`fields`, a new status among them) where the row is still this
    claim's, then let the advisory lock go. While the database cannot be reached (and
    outside a transaction), tried again every SETTLE_PAUSE_SECONDS for SETTLE_WINDOW.
    False when the claim had been taken over meanwhile (nothing written)."""
    deadline = time.monotonic() + SETTLE_WINDOW.total_seconds()
    model = type(taken.row)
    while True:
        try:
            written = model.objects.filter(
                pk=taken.row.pk, status=SENDING, claimed_at=taken.claimed_at,
            ).update(**fields)
            break
        except DatabaseError:
            if not _may_reconnect() or time.monotonic() > deadline:
                raise
            log.warning("%s %s: outcome not written yet (database unreachable), retrying",
                        model._meta.label, taken.row.pk)
            _drop_session()
            time.sleep(SETTLE_PAUSE_SECONDS)
    with contextlib.suppress(DatabaseError):  # the session gone: its lock went with it
        _unlock(taken.key)
    return written == 1


def claims_to_check(queryset: QuerySet, now: datetime) -> QuerySet:
    """The `sending` rows of `queryset` old enough for a sweep to try them again (the
    attempt then decides whether the claim may be taken over)."""
    return queryset.filter(status=SENDING, claimed_at__lte=now - CHECK_CLAIMS_AFTER)
