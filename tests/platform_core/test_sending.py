"""Claim, send, settle (core.sending) through its three users: the mail outbox, contact
requests and partners' webhooks. A message handed over is never handed over again by
a retry, a sweep or a redelivered task, a live worker's claim is left alone, a dead
worker's claim is taken over, and an outcome is written even when the first write fails.

Another worker is played by a second database session (psycopg) holding the row's
advisory lock; its process dying, by that session closing."""

from __future__ import annotations

import time
from datetime import timedelta
from unittest import mock

import psycopg
import pytest
from django.core import mail
from django.db import OperationalError, connection
from django.db.models import Q
from django.db.models.query import QuerySet

from core import outbox, sending
from core.models import OutboxMessage, OutboxStatus
from exchange.listings.models import ContactRequest, ContactStatus
from exchange.listings.tasks import resend_pending_contacts_here, send_contact_request
from exchange.partners import webhooks
from exchange.partners.models import DeliveryStatus, WebhookDelivery
from tests.accounts.factories import agent
from tests.conftest import in_authority
from tests.exchange.listings.factories import published_listing
from tests.exchange.partners.test_partner_webhooks import hooked, receiver  # noqa: F401

pytestmark = pytest.mark.django_db


def _db_now():
    with connection.cursor() as cursor:
        cursor.execute("SELECT now(), pg_postmaster_start_time()")
        return cursor.fetchone()


def _minutes_ago(minutes: int):
    """A claim time that many minutes ago, but after the server's start (a machine's
    server may have started just before the tests): a claim from before a restart is
    the other rule."""
    now, started = _db_now()
    return max(now - timedelta(minutes=minutes), started + timedelta(seconds=1))


class OtherWorker:
    """A second database session that holds a row's advisory lock, as a worker sending
    it does; `die()` closes the session, as the kernel does when that worker is killed."""

    def __init__(self, row):
        self.session = psycopg.connect(**connection.get_connection_params(), autocommit=True)
        [self.pid] = self.session.execute(
            "SELECT pg_backend_pid() FROM pg_advisory_lock(hashtextextended(%s, 0))",
            [sending.lock_key(row)]).fetchone()

    def die(self) -> None:
        """Close the session and wait until its server process has gone (the server
        ends it, and releases its locks, a moment after the client hangs up)."""
        self.session.close()
        for _attempt in range(500):
            with connection.cursor() as cursor:
                cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s",
                               [self.pid])
                if cursor.fetchone()[0] == 0:
                    return
            time.sleep(0.01)
        raise AssertionError(f"the server process {self.pid} outlived its session")


def _claimed(model, row, claimed_at):
    model.objects.filter(pk=row.pk).update(status=sending.SENDING, claimed_at=claimed_at,
                                           attempts=1)
    row.refresh_from_db()
    return row


def _message(chatellerault, claimed_at=None) -> OutboxMessage:
    with in_authority(chatellerault):
        row = OutboxMessage.objects.create(subject="Votre annonce", body="Publiée.",
                                           to=["camille@chatellerault.example"],
                                           kind="exchange.decision")
        if claimed_at is not None:
            _claimed(OutboxMessage, row, claimed_at)
    return row


def _copies(row) -> int:
    return sum(m.extra_headers.get("Message-ID") == row.message_id for m in mail.outbox)


def test_a_message_a_live_worker_is_sending_is_left_to_it_and_taken_over_when_it_dies(
        chatellerault):
    now, _started = _db_now()
    row = _message(chatellerault, claimed_at=now)
    with in_authority(chatellerault):  # the lock's name carries the schema
        worker = OtherWorker(row)
        assert outbox.send(row.pk) == "nothing to do"
        row.refresh_from_db()
        assert (row.status, row.attempts) == (sending.SENDING, 1)
        assert _copies(row) == 0
        worker.die()  # its session, and the lock, go with the process
        assert outbox.send(row.pk) == "sent"
        row.refresh_from_db()
        assert (row.status, row.attempts) == (OutboxStatus.SENT, 2)
        assert outbox.send(row.pk) == "nothing to do"
    assert _copies(row) == 1


def test_after_a_database_restart_a_claim_is_taken_over_only_once_stale(chatellerault):
    # Claimed before the server (re)started: every advisory lock went with the restart,
    # and the worker may be alive, waiting to write « accepted ». Left alone until stale.
    _now, started = _db_now()
    row = _message(chatellerault, claimed_at=started - timedelta(seconds=1))
    with in_authority(chatellerault):
        with mock.patch.object(sending, "STALE_CLAIM", timedelta(days=36500)):
            assert outbox.send(row.pk) == "nothing to do"
        assert _copies(row) == 0
        OutboxMessage.objects.filter(pk=row.pk).update(
            claimed_at=started - sending.STALE_CLAIM - timedelta(minutes=1))
        assert outbox.send(row.pk) == "sent"
    assert _copies(row) == 1


def test_an_accepted_mail_is_written_even_when_the_first_write_fails(chatellerault):
    """The database is away when the mail server has just accepted the message: the
    worker keeps « accepted » and writes it once it can; nothing is sent again."""
    row = _message(chatellerault)
    real_update, failures = QuerySet.update, []

    def update_failing_once(queryset, **fields):
        if fields.get("status") == OutboxStatus.SENT and not failures:
            failures.append(fields)
            raise OperationalError("server closed the connection unexpectedly")
        return real_update(queryset, **fields)

    # A task runs outside any transaction and opens a new session; the test's own
    # session (inside its rolled-back transaction) stands in for it.
    with (in_authority(chatellerault),
          mock.patch.object(QuerySet, "update", update_failing_once),
          mock.patch.object(sending, "_may_reconnect", return_value=True),
          mock.patch.object(sending, "_drop_session") as dropped,
          mock.patch.object(sending, "SETTLE_PAUSE_SECONDS", 0)):
        assert outbox.send(row.pk) == "sent"
    assert len(failures) == 1 and dropped.call_count == 1
    with in_authority(chatellerault):
        row.refresh_from_db()
        assert (row.status, row.attempts) == (OutboxStatus.SENT, 1)
        assert outbox.send(row.pk) == "nothing to do"
    assert _copies(row) == 1


def test_inside_a_callers_transaction_a_failed_write_is_raised_not_retried(chatellerault):
    row = _message(chatellerault)
    with (in_authority(chatellerault),
          mock.patch.object(QuerySet, "update", side_effect=[1, OperationalError("gone")]),
          pytest.raises(OperationalError)):
        outbox.send(row.pk)


def test_a_claim_taken_over_meanwhile_is_not_overwritten(chatellerault):
    row = _message(chatellerault)
    with in_authority(chatellerault):
        taken = sending.claim(OutboxMessage.objects.all(), row.pk,
                              ready=Q(status=OutboxStatus.PENDING))
        assert taken.row.status == sending.SENDING
        OutboxMessage.objects.filter(pk=row.pk).update(
            claimed_at=taken.claimed_at + timedelta(seconds=1))  # another worker's
        assert sending.settle(taken, status=OutboxStatus.SENT) is False
        row.refresh_from_db()
        assert row.status == sending.SENDING


def test_the_sweep_checks_claims_once_they_are_old_enough(chatellerault):
    now, _started = _db_now()
    fresh = _message(chatellerault, claimed_at=now)
    old = _message(chatellerault, claimed_at=now - sending.CHECK_CLAIMS_AFTER
                   - timedelta(seconds=1))
    with in_authority(chatellerault):
        due = outbox.due_here(now=now)
    assert old.pk in due
    assert fresh.pk not in due


def test_a_contact_request_a_live_worker_is_sending_is_not_mailed_again(chatellerault):
    with in_authority(chatellerault):
        listing = published_listing()
        contact = ContactRequest.objects.create(listing=listing, sender=agent(),
                                                message="Toujours disponible ?")
        _claimed(ContactRequest, contact, _minutes_ago(5))
        worker = OtherWorker(contact)
        mail.outbox.clear()
        # The sweep takes a claim this old back to the task, which leaves it to its worker.
        assert resend_pending_contacts_here(older_than=timedelta(0)) == 1
        assert send_contact_request.run(contact.pk, retry=False) == "nothing to do"
        assert mail.outbox == []
        worker.die()
        assert send_contact_request.run(contact.pk, retry=False) == "sent"
        contact.refresh_from_db()
        assert (contact.status, contact.attempts) == (ContactStatus.SENT, 2)
        assert send_contact_request.run(contact.pk, retry=False) == "nothing to do"
    assert len(mail.outbox) == 1


def test_a_webhook_a_live_worker_is_posting_is_not_posted_again(
        chatellerault, hooked):  # noqa: F811
    posted = []
    webhooks.enqueue("listing.offered", chatellerault, {"listing_id": 1})
    delivery = WebhookDelivery.objects.get()
    _claimed(WebhookDelivery, delivery, _minutes_ago(5))
    assert webhooks.due_deliveries() == [delivery.pk]
    worker = OtherWorker(delivery)
    assert webhooks.deliver(delivery.pk, send=lambda *args: posted.append(args) or 200) == (
        "nothing to do")
    worker.die()
    assert webhooks.deliver(delivery.pk, send=lambda *args: posted.append(args) or 200) == (
        DeliveryStatus.DELIVERED)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == (
        DeliveryStatus.DELIVERED, 2, 200)
    assert len(posted) == 1


def test_a_database_error_before_sending_leaves_the_delivery_as_it_was(
        chatellerault, hooked):  # noqa: F811
    """PostgreSQL stopping while the worker checks the partner's access (after locking
    the row, before any POST): nothing is claimed, the next attempt finds it due."""
    posted = []
    webhooks.enqueue("listing.offered", chatellerault, {"listing_id": 1})
    delivery = WebhookDelivery.objects.get()
    with (mock.patch.object(webhooks, "still_served",
                            side_effect=OperationalError("server closed the connection")),
          pytest.raises(OperationalError)):
        webhooks.deliver(delivery.pk, send=lambda *args: posted.append(args) or 200)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.claimed_at) == (
        DeliveryStatus.PENDING, 0, None)
    assert webhooks.deliver(delivery.pk, send=lambda *args: posted.append(args) or 200) == (
        DeliveryStatus.DELIVERED)
    assert len(posted) == 1
