"""The mail outbox (core.outbox) under the exchange's decisions: stored with the decision,
sent once after commit, retried after a refusal, never sent when the write rolls back."""

from __future__ import annotations

import smtplib
from datetime import timedelta
from unittest import mock

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone

from core import outbox
from core.models import OutboxMessage, OutboxStatus
from exchange.listings.models import ListingStatus
from exchange.listings.services.moderation import approve_listing, request_changes
from tests.exchange.listings.test_services import new_listing, world  # noqa: F401


@pytest.fixture
def new_rows(world):  # noqa: F811
    """The outbox rows written during the test (earlier tests may leave some behind)."""
    before = set(OutboxMessage.objects.values_list("pk", flat=True))
    return lambda: OutboxMessage.objects.exclude(pk__in=before)


def _refusing(*args, **kwargs):
    raise smtplib.SMTPDataError(451, b"4.3.0 try again later")


def test_a_decision_is_stored_with_its_mail_and_sent_once(
        world, new_rows, django_capture_on_commit_callbacks):  # noqa: F811
    listing = new_listing(world, submit=True)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):  # the commit
        approve_listing(listing=listing, actor=world["moderator"])
    [row] = new_rows()
    assert row.kind == "exchange.decision"
    assert row.status == OutboxStatus.SENT
    assert row.attempts == 1
    assert [m.to for m in mail.outbox] == [["camille@chatellerault.example"]]
    assert mail.outbox[0].extra_headers["Message-ID"] == f"<outbox-{row.pk}@collectivrecup>"
    # A second task for the same row (a redelivery, the sweep) sends nothing.
    assert outbox.send(row.pk) == "nothing to do"
    assert row.pk not in outbox.due_here(now=timezone.now() + timedelta(days=1))
    assert len(mail.outbox) == 1


def test_a_refused_mail_stays_pending_and_goes_out_on_the_next_attempt(
        world, new_rows, django_capture_on_commit_callbacks):  # noqa: F811
    listing = new_listing(world, submit=True)
    mail.outbox.clear()
    with mock.patch("django.core.mail.backends.locmem.EmailBackend.send_messages",
                    side_effect=_refusing), django_capture_on_commit_callbacks(execute=True):
        request_changes(listing=listing, actor=world["moderator"], message="Les dimensions ?")
    listing.refresh_from_db()
    assert listing.status == ListingStatus.CHANGES_REQUESTED  # the decision itself stands
    [row] = new_rows()
    assert (row.status, row.attempts) == (OutboxStatus.PENDING, 1)
    assert row.last_error.startswith("SMTPDataError")
    assert mail.outbox == []
    # Not due yet: the sweep leaves it; once due, it is sent, once.
    assert row.pk not in outbox.due_here()
    later = row.next_attempt_at + timedelta(seconds=1)
    assert row.pk in outbox.due_here(now=later)
    outbox.sweep_here(now=later)
    row.refresh_from_db()
    assert (row.status, row.attempts) == (OutboxStatus.SENT, 2)
    assert row.pk not in outbox.due_here(now=later + timedelta(days=1))
    outbox.sweep_here(now=later + timedelta(days=1))
    copies = [m for m in mail.outbox if m.extra_headers["Message-ID"] == row.message_id]
    assert [m.to for m in copies] == [[listing.poster.email]]


def test_nothing_is_stored_or_sent_when_the_decision_rolls_back(
        world, new_rows, django_capture_on_commit_callbacks):  # noqa: F811
    listing = new_listing(world, submit=True)
    mail.outbox.clear()
    with (django_capture_on_commit_callbacks(execute=True) as callbacks,
          pytest.raises(RuntimeError), transaction.atomic()):
        approve_listing(listing=listing, actor=world["moderator"])
        assert new_rows().count() == 1  # inside the transaction, with the write
        raise RuntimeError("the request failed after the decision")
    assert callbacks == []  # nothing left to run after the rollback
    listing.refresh_from_db()
    assert listing.status == ListingStatus.PENDING
    assert new_rows().count() == 0
    assert mail.outbox == []


def test_a_message_is_abandoned_after_its_last_retry(
        world, new_rows, django_capture_on_commit_callbacks):  # noqa: F811
    listing = new_listing(world, submit=True)
    with mock.patch("django.core.mail.backends.locmem.EmailBackend.send_messages",
                    side_effect=_refusing), django_capture_on_commit_callbacks(execute=True):
        approve_listing(listing=listing, actor=world["moderator"])
        [row] = new_rows()
        for _attempt in outbox.RETRY_DELAYS:
            assert outbox.send(row.pk) in ("failed", "abandoned")
    row.refresh_from_db()
    assert row.status == OutboxStatus.ABANDONED
    assert row.attempts == len(outbox.RETRY_DELAYS) + 1
    assert outbox.send(row.pk) == "nothing to do"
