"""Free transfers outside the authority: the legal cap per unit (a moderator confirms
above it, or refuses), and the PDF transfer record both authorities download."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from pypdf import PdfReader

from accounts.models import Role, User
from analytics.models import TransferFact
from exchange.listings.errors import ExchangeError
from exchange.listings.models import Listing, ListingStatus
from exchange.listings.recipients import Recipient
from exchange.listings.selectors import exchange_settings
from exchange.listings.services.closure import close_listing, confirm_transfer, quantity_left
from tests.accounts.factories import agent, moderator
from tests.conftest import client_for, in_authority
from tests.exchange.listings.factories import published_listing
from tests.exchange.sharing.sharing_world import _outsider_schema, confirm_receipts, naintre, share

__all__ = ["_outsider_schema", "naintre"]
pytestmark = pytest.mark.django_db


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)



@pytest.fixture(autouse=True)
def _sharing(chatellerault, grand_chatellerault):
    """Transfers to another authority need a live agreement (issue 12)."""
    share(chatellerault, grand_chatellerault)


def give_to_agglo(listing, capture, **kwargs):
    with capture(execute=True):
        return close_listing(listing=listing, actor=listing.poster,
                             reason="exchanged_other_authority",
                             recipient=Recipient.authority("grand-chatellerault"),
                             **kwargs)


def test_below_the_cap_the_transfer_counts_at_once(chatellerault, grand_chatellerault,
                                                   capture):
    with in_authority(chatellerault):
        listing = published_listing(quantity=2, estimated_value=Decimal("600"))  # 300 / unit
        transfer = give_to_agglo(listing, capture)
        assert not transfer.confirmation_required
        assert Listing.objects.get(pk=listing.pk).status == ListingStatus.CLOSED
    assert confirm_receipts(grand_chatellerault) == 1
    assert TransferFact.objects.filter(transfer_id=transfer.pk, authority=chatellerault,
                                       receiver_authority=grand_chatellerault).exists()


def test_above_the_cap_a_moderator_confirms_then_it_closes_and_counts(
        chatellerault, grand_chatellerault, capture, settings):
    settings.FREE_TRANSFER_CAP_PER_UNIT_EUR = Decimal("300")
    with in_authority(chatellerault):
        listing = published_listing(quantity=2, estimated_value=Decimal("900"))  # 450 / unit
        transfer = give_to_agglo(listing, capture, quantity=2)
        assert transfer.awaits_confirmation
        listing.refresh_from_db()
        assert listing.status == ListingStatus.PUBLISHED  # still open, items reserved
        assert quantity_left(listing) == 0
        with pytest.raises(ExchangeError):
            close_listing(listing=listing, actor=listing.poster, reason="discarded")
        assert not TransferFact.objects.filter(transfer_id=transfer.pk,
                                               authority=chatellerault).exists()
        with pytest.raises(ExchangeError) as not_moderator:
            confirm_transfer(transfer=transfer, actor=listing.poster)
        assert not_moderator.value.code == "forbidden"
        nadia = moderator()
    queue = client_for(chatellerault, nadia)
    page = queue.get("/listings/moderation/transfers/").content.decode()
    assert listing.title in page
    with capture(execute=True):
        response = queue.post(f"/listings/moderation/transfers/{transfer.pk}/confirm/")
    assert response.status_code == 302
    with in_authority(chatellerault):
        transfer.refresh_from_db()
        assert transfer.confirmed_by == nadia and transfer.confirmed_at is not None
        assert Listing.objects.get(pk=listing.pk).status == ListingStatus.CLOSED
    assert confirm_receipts(grand_chatellerault) == 1
    fact = TransferFact.objects.get(transfer_id=transfer.pk, authority=chatellerault)
    assert fact.receiver_authority == grand_chatellerault
    assert fact.value_eur == Decimal("900.00")


def test_a_moderator_refuses_and_the_items_are_available_again(chatellerault, capture):
    with in_authority(chatellerault):
        listing = published_listing(quantity=4, estimated_value=Decimal("2000"))
        transfer = give_to_agglo(listing, capture, quantity=3)
        nadia = moderator()
    page = client_for(chatellerault, nadia)
    response = page.post(f"/listings/moderation/transfers/{transfer.pk}/refuse/",
                         {"reason": "Valeur trop élevée : passer par une délibération."})
    assert response.status_code == 302
    with in_authority(chatellerault):
        assert not listing.transfers.exists()
        assert quantity_left(listing) == 4
        history = list(listing.events.values_list("message", flat=True))
    assert any("délibération" in message for message in history)


def test_the_confirmation_pages_are_for_moderators(chatellerault):
    with in_authority(chatellerault):
        someone = agent()
    client = client_for(chatellerault, someone)
    assert client.get("/listings/moderation/transfers/").status_code == 403
    assert client.post("/listings/moderation/transfers/1/confirm/").status_code == 403


def test_the_close_form_warns_above_the_cap(chatellerault):
    with in_authority(chatellerault):
        dear = published_listing(quantity=1, estimated_value=Decimal("1200"))
        cheap = published_listing(quantity=10, estimated_value=Decimal("100"))
    client = client_for(chatellerault, dear.poster)
    assert "2022-791" in client.get(f"/listings/{dear.pk}/close/").content.decode()
    other = client_for(chatellerault, cheap.poster)
    assert "2022-791" not in other.get(f"/listings/{cheap.pk}/close/").content.decode()


def test_both_authorities_download_the_record_and_a_third_cannot(
        chatellerault, grand_chatellerault, naintre, capture):
    with in_authority(chatellerault):
        listing = published_listing(title="Tables pliantes", quantity=12,
                                    estimated_value=Decimal("240"))
        transfer = give_to_agglo(listing, capture, quantity=12, inventory_number="INV-2024-0042")
    giver = client_for(chatellerault, listing.poster)
    response = giver.get(f"/listings/{listing.pk}/transfers/{transfer.pk}/record.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content)
    for expected in ("Ville de Châtellerault", "218600666",
                     "Agglomération de Grand Châtellerault", "200070670", "Tables pliantes",
                     "12", "20,00", "240,00", "INV-2024-0042", "2022-791", "L. 3212-2"):
        assert expected in text, expected
    assert confirm_receipts(grand_chatellerault) == 1
    # The receiving authority, from its own host: listed, then downloaded.
    with in_authority(grand_chatellerault):
        agglo_moderator = moderator(email="mod@grand-chatellerault.example")
        agglo_agent = agent(email="ag@grand-chatellerault.example")
    receiver = client_for(grand_chatellerault, agglo_moderator)
    received = receiver.get("/listings/moderation/received/").content.decode()
    url = f"/listings/moderation/received/chatellerault/{transfer.pk}/record.pdf"
    assert url in received
    copy = receiver.get(url)
    assert copy.status_code == 200
    assert "INV-2024-0042" in pdf_text(copy.content)
    assert client_for(grand_chatellerault, agglo_agent).get(url).status_code == 403
    # A third authority: nothing, even with the right numbers.
    with in_authority(naintre):
        outsider = moderator(email="mod@outsider.example")
    assert client_for(naintre, outsider).get(url).status_code == 404
    # Another agent of the giver may not download it either (no value for them).
    with in_authority(chatellerault):
        colleague = agent()
    assert client_for(chatellerault, colleague).get(
        f"/listings/{listing.pk}/transfers/{transfer.pk}/record.pdf").status_code == 403


def test_a_record_for_a_partner_and_an_agreement_reference(chatellerault, capture):
    with in_authority(chatellerault):
        listing = published_listing(quantity=1, estimated_value=Decimal("50"))
        with capture(execute=True):
            transfer = close_listing(
                listing=listing, actor=listing.poster, reason="given_to_partner",
                recipient=Recipient.named("Emmaüs Châtellerault"),
                agreement_reference="CONV-2026-07")
    response = client_for(chatellerault, listing.poster).get(
        f"/listings/{listing.pk}/transfers/{transfer.pk}/record.pdf")
    text = pdf_text(response.content)
    assert "Emmaüs Châtellerault" in text and "CONV-2026-07" in text


def test_no_record_while_awaiting_confirmation(chatellerault, capture):
    with in_authority(chatellerault):
        listing = published_listing(quantity=1, estimated_value=Decimal("5000"))
        transfer = give_to_agglo(listing, capture)
    response = client_for(chatellerault, listing.poster).get(
        f"/listings/{listing.pk}/transfers/{transfer.pk}/record.pdf")
    assert response.status_code == 404


def test_a_rebuild_leaves_out_transfers_awaiting_confirmation(chatellerault, capture):
    from analytics.facts import rebuild_facts

    with in_authority(chatellerault):
        listing = published_listing(quantity=2, estimated_value=Decimal("1000"))
        pending = give_to_agglo(listing, capture, quantity=1)
        assert pending.awaits_confirmation
    rebuild_facts(chatellerault)
    assert not TransferFact.objects.filter(authority=chatellerault,
                                           transfer_id=pending.pk).exists()
    with in_authority(chatellerault), capture(execute=True):
        confirm_transfer(transfer=pending, actor=moderator())
    assert rebuild_facts(chatellerault)["created"] == 0  # written on confirmation already
    assert TransferFact.objects.filter(authority=chatellerault,
                                       transfer_id=pending.pk).exists()


def test_moderators_are_emailed_when_a_transfer_awaits_them(chatellerault, capture, mailoutbox):
    with in_authority(chatellerault):
        nadia = moderator(email="nadia@chatellerault.example")
        listing = published_listing(title="Photocopieur couleur", quantity=1,
                                    estimated_value=Decimal("1200"))
        mailoutbox.clear()
        give_to_agglo(listing, capture)
    [message] = [m for m in mailoutbox if nadia.email in m.to]
    assert "Photocopieur couleur" in message.subject
    assert "/listings/moderation/transfers/" in message.body
    assert "Agglomération de Grand Châtellerault" in message.body


def test_no_email_below_the_cap(chatellerault, capture, mailoutbox):
    with in_authority(chatellerault):
        moderator(email="nadia@chatellerault.example")
        listing = published_listing(quantity=2, estimated_value=Decimal("100"))
        mailoutbox.clear()
        give_to_agglo(listing, capture)
    assert not [m for m in mailoutbox if "nadia@chatellerault.example" in m.to]


def test_the_value_above_the_cap_is_emailed_to_active_moderators_only(chatellerault, capture,
                                                                      mailoutbox):
    """Issue 12: the e-mail reveals a value above the cap; `contact_cc` may be any
    address (a shared mailbox, someone outside): it must not receive it."""
    with in_authority(chatellerault):
        rules = exchange_settings()
        rules.contact_cc = ["achats@outside.example", "dst@chatellerault.example"]
        rules.save()
        nadia = moderator(email="nadia@chatellerault.example")
        moderator(email="former@chatellerault.example", is_active=False)
        agent(email="dst@chatellerault.example")
        listing = published_listing(title="Photocopieur couleur", quantity=1,
                                    estimated_value=Decimal("1200"), approver=nadia)
        mailoutbox.clear()
        give_to_agglo(listing, capture)
        # The active moderator accounts: Nadia, and the administrator who signed the
        # sharing agreement (administrators moderate too).
        moderators = sorted(User.objects.filter(roles__contains=[Role.MODERATOR],
                                                is_active=True).values_list("email", flat=True))
    assert nadia.email in moderators
    assert len(moderators) == 2
    [message] = [m for m in mailoutbox if "Photocopieur couleur" in m.subject]
    assert message.recipients() == moderators
    assert "former@chatellerault.example" not in message.recipients()
    assert not {"achats@outside.example", "dst@chatellerault.example"} & set(
        message.recipients())
