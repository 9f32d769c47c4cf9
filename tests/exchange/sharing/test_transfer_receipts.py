"""Transfers to another authority (issue 12, point 2): a live sharing agreement is needed
to record one, and the receiving authority's moderators confirm receipt before it counts
in its figures; declined and expired requests never count."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from analytics import agec
from analytics import selectors as fact_selectors
from analytics.facts import rebuild_facts
from analytics.models import TransferFact
from core.links import authority_host
from exchange.listings.errors import ExchangeError
from exchange.listings.models import Listing, ListingStatus
from exchange.listings.recipients import Recipient
from exchange.listings.services.closure import close_listing, confirm_transfer
from exchange.sharing import receipts
from exchange.sharing import services as sharing
from exchange.sharing.models import ReceiptStatus, TransferReceipt
from exchange.sharing.tasks import expire_transfer_receipts
from tests.accounts.factories import agent, authority_admin, moderator
from tests.conftest import client_for, in_authority
from tests.exchange.listings.factories import published_listing
from tests.exchange.listings.test_api import API, api
from tests.exchange.sharing.sharing_world import _outsider_schema, naintre, share

__all__ = ["_outsider_schema", "naintre"]
pytestmark = pytest.mark.django_db

RECEIPTS = "/listings/moderation/receipts/"
AGGLO_NAME = "Agglomération de Grand Châtellerault"



def this_year() -> tuple[date, date]:
    today = timezone.localdate()
    return date(today.year, 1, 1), date(today.year, 12, 31)


def received_figures(receiver) -> dict:
    """Everything the receiver's figures say it received this year: the report's
    summary, the rows of the received CSV and the AGEC page's donations."""
    start, end = this_year()
    summary = fact_selectors.received_summary(receiver, start, end)
    rows = list(fact_selectors.received_between(receiver, start, end))
    donations = sum((row.donations_eur for row in agec.agec_rows(receiver, start.year)),
                    Decimal("0"))
    return {"transfers": summary["transfers"], "value": summary["value_eur"],
            "rows": len(rows), "agec_donations": donations}


NOTHING = {"transfers": 0, "value": Decimal("0.00"), "rows": 0, "agec_donations": Decimal("0")}


def give_through_the_api(giver, slug: str, capture, **listing_data):
    """The poster of a new listing of `giver` closes it through the API to `slug`."""
    listing_data.setdefault("title", "Tables pliantes")
    listing_data.setdefault("quantity", 4)
    listing_data.setdefault("estimated_value", Decimal("200"))
    with in_authority(giver):
        listing = published_listing(**listing_data)
    with capture(execute=True):
        response = api(giver, listing.poster).post(
            f"{API}/listings/{listing.pk}/close/",
            {"reason": "exchanged_other_authority", "recipient_authority_slug": slug},
            format="json")
    return listing, response


def receiver_moderator(receiver, **kwargs):
    with in_authority(receiver):
        return moderator(**kwargs)


# --- The attack: a transfer into the figures of an authority without agreement --------------

def test_the_api_refuses_a_transfer_to_an_authority_without_agreement(
        chatellerault, naintre, capture):
    before = received_figures(naintre)
    listing, response = give_through_the_api(chatellerault, naintre.slug, capture)
    assert response.status_code == 400
    body = response.json()
    assert "accord de partage" in " ".join(body["errors"]["recipient_authority_slug"])
    with in_authority(chatellerault):
        assert not Listing.objects.get(pk=listing.pk).transfers.exists()
        assert Listing.objects.get(pk=listing.pk).status == ListingStatus.PUBLISHED
    assert not TransferReceipt.objects.filter(receiver=naintre).exists()
    assert not TransferFact.objects.filter(receiver_authority=naintre).exists()
    assert received_figures(naintre) == before == NOTHING


def test_an_ended_agreement_no_longer_allows_transfers(chatellerault, grand_chatellerault):
    agreement = share(chatellerault, grand_chatellerault)
    with in_authority(chatellerault):
        sharing.end_agreement(agreement=agreement, authority=chatellerault,
                              actor=authority_admin())
        listing = published_listing()
        with pytest.raises(ExchangeError) as refused:
            close_listing(listing=listing, actor=listing.poster,
                          reason="exchanged_other_authority",
                          recipient=Recipient.authority("grand-chatellerault"))
        assert refused.value.code == "recipient"
        assert AGGLO_NAME in refused.value.messages[0]
        assert not listing.transfers.exists()


def test_the_close_form_refuses_an_authority_without_agreement(chatellerault, naintre):
    with in_authority(chatellerault):
        listing = published_listing()
    response = client_for(chatellerault, listing.poster).post(
        f"/listings/{listing.pk}/close/", {"reason": "exchanged_other_authority",
                                           "quantity": 10,
                                           "recipient_authority_slug": naintre.slug})
    assert response.status_code == 200
    assert not response.context["form"].is_valid()  # not a choice: no agreement
    assert "recipient_authority_slug" in response.context["form"].errors
    with in_authority(chatellerault):
        assert not listing.transfers.exists()


# --- With an agreement: awaiting receipt, then confirmed, declined or expired ---------------

def test_a_transfer_awaits_receipt_then_counts_once_confirmed(
        chatellerault, grand_chatellerault, capture, mailoutbox):
    share(chatellerault, grand_chatellerault)
    nadia = receiver_moderator(grand_chatellerault, email="nadia@grand-chatellerault.example",
                               first_name="Nadia", last_name="Moreau")
    with in_authority(grand_chatellerault):
        receiving_agent = agent(email="julien@grand-chatellerault.example")
    mailoutbox.clear()
    listing, response = give_through_the_api(chatellerault, "grand-chatellerault", capture)
    assert response.status_code == 201, response.json()
    receipt = TransferReceipt.objects.get(receiver=grand_chatellerault)
    assert (receipt.giver, receipt.status, receipt.quantity, receipt.value_eur,
            receipt.listing_title) == (chatellerault, ReceiptStatus.PENDING, 4,
                                       Decimal("200.00"), "Tables pliantes")
    # The giver counts its transfer; the receiver does not, yet.
    fact = TransferFact.objects.get(authority=chatellerault, transfer_id=receipt.transfer_id)
    assert fact.receiver_authority is None
    assert received_figures(grand_chatellerault) == NOTHING
    # The receiver's moderators (only them) are asked, on their own host.
    [message] = [m for m in mailoutbox if nadia.email in m.to]
    assert receiving_agent.email not in message.to
    assert "Ville de Châtellerault" in message.subject
    assert f"{authority_host('grand-chatellerault')}" in message.body
    assert RECEIPTS in message.body
    assert listing.poster.email not in message.body

    # Nadia confirms from her host: it now counts, once.
    page = client_for(grand_chatellerault, nadia)
    listed = page.get(RECEIPTS).content.decode()
    assert "Tables pliantes" in listed and "Ville de Châtellerault" in listed
    assert listing.poster.email not in listed and listing.poster.last_name not in listed
    assert page.post(f"{RECEIPTS}{receipt.pk}/confirm/").status_code == 302
    receipt.refresh_from_db()
    assert receipt.status == ReceiptStatus.CONFIRMED and receipt.decided_by == "Nadia Moreau"
    counted = {"transfers": 1, "value": Decimal("200.00"), "rows": 1,
               "agec_donations": received_figures(grand_chatellerault)["agec_donations"]}
    assert received_figures(grand_chatellerault) == counted
    assert counted["agec_donations"] == Decimal("200.00")  # chairs have an AGEC category
    again = page.post(f"{RECEIPTS}{receipt.pk}/confirm/", follow=True)
    assert "attend plus" in again.content.decode()
    assert received_figures(grand_chatellerault) == counted
    # A rebuild of the giver's facts keeps the receiver side as confirmed.
    rebuild_facts(chatellerault)
    assert received_figures(grand_chatellerault) == counted
    # The received pages and exports list it.
    assert "Ville de Châtellerault" in page.get("/listings/moderation/received/").content.decode()
    report = page.get("/listings/moderation/report/?period=year&year="
                      f"{timezone.localdate().year}").content.decode()
    assert 'id="received-transfers">1<' in report
    exported = page.get("/listings/moderation/report/export.csv?kind=received&period=year"
                        f"&year={timezone.localdate().year}").content.decode()
    rows = list(csv.DictReader(io.StringIO(exported.lstrip("\ufeff")), delimiter=";"))
    assert [row["giver_authority"] for row in rows] == ["Ville de Châtellerault"]
    # The giver sees the receipt confirmed on its listing.
    detail = client_for(chatellerault, listing.poster).get(
        f"/listings/{listing.pk}/").content.decode()
    assert "Réception confirmée" in detail


def test_the_receivers_mail_waits_in_its_outbox_while_the_mail_server_refuses(
        chatellerault, grand_chatellerault, capture, mailoutbox):
    """The request's mail is written with the transfer, in the receiver's outbox: a mail
    server refusing it then loses nothing; the sweep sends it, once (issue 15)."""
    import smtplib
    from unittest import mock

    from core import outbox
    from core.models import OutboxMessage, OutboxStatus

    share(chatellerault, grand_chatellerault)
    nadia = receiver_moderator(grand_chatellerault, email="nadia@grand-chatellerault.example")
    mailoutbox.clear()
    refusing = smtplib.SMTPDataError(451, b"4.3.0 try again later")
    with mock.patch("django.core.mail.backends.locmem.EmailBackend.send_messages",
                    side_effect=refusing):
        _listing, response = give_through_the_api(chatellerault, "grand-chatellerault",
                                                  capture)
    assert response.status_code == 201, response.json()
    assert [m for m in mailoutbox if nadia.email in m.to] == []
    with in_authority(chatellerault):
        assert not OutboxMessage.objects.filter(kind="sharing.receipt_request").exists()
    with in_authority(grand_chatellerault):
        [row] = OutboxMessage.objects.filter(kind="sharing.receipt_request")
        # Tried once after commit, in the receiver's schema, whoever's request wrote it.
        assert (row.status, row.attempts) == (OutboxStatus.PENDING, 1)
        assert nadia.email in row.to
        later = row.next_attempt_at + timedelta(seconds=1)
        outbox.sweep_here(now=later)
        outbox.sweep_here(now=later + timedelta(days=1))
        row.refresh_from_db()
        assert (row.status, row.attempts) == (OutboxStatus.SENT, 2)
    [message] = [m for m in mailoutbox if nadia.email in m.to]
    assert message.extra_headers["Message-ID"] == row.message_id
    assert "Ville de Châtellerault" in message.subject


def test_a_declined_receipt_never_counts_and_the_giver_sees_why(
        chatellerault, grand_chatellerault, capture):
    share(chatellerault, grand_chatellerault)
    listing, _response = give_through_the_api(chatellerault, "grand-chatellerault", capture)
    receipt = TransferReceipt.objects.get(receiver=grand_chatellerault)
    page = client_for(grand_chatellerault, receiver_moderator(grand_chatellerault))
    empty = page.post(f"{RECEIPTS}{receipt.pk}/decline/", {"reason": "  "}, follow=True)
    assert "Dites pourquoi" in empty.content.decode()
    receipt.refresh_from_db()
    assert receipt.status == ReceiptStatus.PENDING
    page.post(f"{RECEIPTS}{receipt.pk}/decline/", {"reason": "Jamais livrées chez nous"})
    receipt.refresh_from_db()
    assert receipt.status == ReceiptStatus.DECLINED
    assert received_figures(grand_chatellerault) == NOTHING
    with in_authority(grand_chatellerault):
        nadia = moderator()
        with pytest.raises(ExchangeError) as too_late:
            receipts.confirm_receipt(receipt_id=receipt.pk, authority=grand_chatellerault,
                                     actor=nadia)
        assert too_late.value.code == "state"
    assert received_figures(grand_chatellerault) == NOTHING
    detail = client_for(chatellerault, listing.poster).get(
        f"/listings/{listing.pk}/").content.decode()
    assert "Réception refusée" in detail and "Jamais livrées chez nous" in detail


def test_an_unanswered_request_expires_and_never_counts(
        chatellerault, grand_chatellerault, capture, settings):
    settings.TRANSFER_RECEIPT_EXPIRY_DAYS = 30
    share(chatellerault, grand_chatellerault)
    listing, _response = give_through_the_api(chatellerault, "grand-chatellerault", capture)
    receipt = TransferReceipt.objects.get(receiver=grand_chatellerault)
    assert receipt.expires_at - receipt.requested_at >= timedelta(days=30)
    assert expire_transfer_receipts() == 0  # not due yet
    TransferReceipt.objects.filter(pk=receipt.pk).update(
        expires_at=timezone.now() - timedelta(minutes=1))
    assert expire_transfer_receipts.delay().get() == 1
    receipt.refresh_from_db()
    assert receipt.status == ReceiptStatus.EXPIRED
    nadia = receiver_moderator(grand_chatellerault)
    refused = client_for(grand_chatellerault, nadia).post(f"{RECEIPTS}{receipt.pk}/confirm/",
                                                          follow=True)
    assert "attend plus" in refused.content.decode()
    assert received_figures(grand_chatellerault) == NOTHING
    detail = client_for(chatellerault, listing.poster).get(
        f"/listings/{listing.pk}/").content.decode()
    assert "Demande de réception expirée" in detail


def test_above_the_cap_the_receipt_is_asked_once_the_giver_confirms(
        chatellerault, grand_chatellerault, capture, settings):
    settings.FREE_TRANSFER_CAP_PER_UNIT_EUR = Decimal("300")
    share(chatellerault, grand_chatellerault)
    with in_authority(chatellerault):
        listing = published_listing(quantity=1, estimated_value=Decimal("900"))
        with capture(execute=True):
            transfer = close_listing(listing=listing, actor=listing.poster,
                                     reason="exchanged_other_authority",
                                     recipient=Recipient.authority("grand-chatellerault"))
        assert transfer.awaits_confirmation
        assert not TransferReceipt.objects.exists()
        with capture(execute=True):
            confirm_transfer(transfer=transfer, actor=moderator())
    assert TransferReceipt.objects.get(giver=chatellerault).transfer_id == transfer.pk


# --- Who answers, and what the receiver sees -------------------------------------------------

def test_only_the_receivers_moderators_answer(chatellerault, grand_chatellerault, naintre,
                                              capture):
    share(chatellerault, grand_chatellerault)
    give_through_the_api(chatellerault, "grand-chatellerault", capture)
    receipt = TransferReceipt.objects.get(receiver=grand_chatellerault)
    with in_authority(grand_chatellerault):
        receiving_agent = agent()
    as_agent = client_for(grand_chatellerault, receiving_agent)
    assert as_agent.get(RECEIPTS).status_code == 403
    assert as_agent.post(f"{RECEIPTS}{receipt.pk}/confirm/").status_code == 403
    # The giver's moderators and a third authority's: not theirs to answer.
    for authority in (chatellerault, naintre):
        with in_authority(authority):
            someone = moderator(email=f"mod@{authority.slug}.example")
        client = client_for(authority, someone)
        assert "Tables pliantes" not in client.get(RECEIPTS).content.decode()
        assert client.post(f"{RECEIPTS}{receipt.pk}/confirm/").status_code == 404
    receipt.refresh_from_db()
    assert receipt.status == ReceiptStatus.PENDING
    assert received_figures(grand_chatellerault) == NOTHING


def test_the_receipts_page_reads_a_bounded_number_of_queries(
        chatellerault, grand_chatellerault, capture):
    share(chatellerault, grand_chatellerault)
    page = client_for(grand_chatellerault, receiver_moderator(grand_chatellerault))
    give_through_the_api(chatellerault, "grand-chatellerault", capture)
    with CaptureQueriesContext(connection) as one:
        assert page.get(RECEIPTS).status_code == 200
    for _ in range(3):
        give_through_the_api(chatellerault, "grand-chatellerault", capture)
    with CaptureQueriesContext(connection) as four:
        assert page.get(RECEIPTS).content.decode().count('class="pending-receipt"') == 4
    assert len(four) == len(one)


def test_transfers_recorded_before_receipts_leave_the_receivers_figures_until_confirmed(
        chatellerault, grand_chatellerault, capture):
    """The data migration: a fact that named its receiver without its consent (as the
    attack did) becomes a pending receipt the receiver may confirm."""
    import importlib
    from types import SimpleNamespace

    from django.apps import apps

    migration = importlib.import_module(
        "exchange.sharing.migrations.0005_receipts_for_earlier_transfers")
    share(chatellerault, grand_chatellerault)
    give_through_the_api(chatellerault, "grand-chatellerault", capture)
    legacy = TransferReceipt.objects.get(giver=chatellerault)
    TransferFact.objects.filter(authority=chatellerault, transfer_id=legacy.transfer_id
                                ).update(receiver_authority=grand_chatellerault)
    legacy.delete()  # as before receipts existed
    assert received_figures(grand_chatellerault)["transfers"] == 1
    connection.set_schema_to_public()  # as `migrate_schemas` runs shared apps' migrations
    migration.ask_receivers_to_confirm(apps, SimpleNamespace(connection=connection))
    assert received_figures(grand_chatellerault) == NOTHING
    receipt = TransferReceipt.objects.get(giver=chatellerault)
    assert (receipt.receiver, receipt.status, receipt.quantity) == (
        grand_chatellerault, ReceiptStatus.PENDING, 4)
    with in_authority(grand_chatellerault):
        receipts.confirm_receipt(receipt_id=receipt.pk, authority=grand_chatellerault,
                                 actor=moderator())
    assert received_figures(grand_chatellerault)["transfers"] == 1
