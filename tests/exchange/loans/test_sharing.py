"""Borrowing by the agents of a sharing partner: read and written in the owner's schema
through the tenancy layer only, while an agreement holds, for items open to partners."""

from __future__ import annotations

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from exchange.loans import services
from exchange.loans.models import Booking, Borrowers
from exchange.loans.services import LoanError
from exchange.sharing.models import AgreementStatus, SharingAgreement
from tests.accounts.factories import ServiceFactory, agent
from tests.conftest import client_for, in_authority
from tests.exchange.loans.factories import day, lendable, lender
from tests.exchange.sharing.factories import SharingAgreementFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(chatellerault, grand_chatellerault):
    """Châtellerault lends a shared marquee and internal tables; the agglomeration's
    agent borrows."""
    with in_authority(chatellerault):
        owner = lender(email="preteur@chatellerault.example")
        shared = lendable(owner, title="Barnum partagé", quantity=4,
                          borrowers=Borrowers.SHARING)
        internal = lendable(owner, title="Tables internes", quantity=10)
    with in_authority(grand_chatellerault):
        borrower = agent(email="lea@grand-chatellerault.example", first_name="Léa",
                         service=ServiceFactory(name="Événements"))
    return {"owner": owner, "shared": shared, "internal": internal, "borrower": borrower}


@pytest.fixture
def agreement(chatellerault, grand_chatellerault):
    return SharingAgreementFactory(proposer=chatellerault, recipient=grand_chatellerault)


def test_a_partners_agent_sees_and_books_only_items_open_to_partners(
        chatellerault, grand_chatellerault, world, agreement, capture):
    client = client_for(grand_chatellerault, world["borrower"])
    page = client.get("/loans/shared/")
    assert [(e.authority.slug, e.item.title) for e in page.context["shared"]] == [
        ("chatellerault", "Barnum partagé")]
    path = f"/loans/shared/chatellerault/{world['shared'].pk}/"
    assert client.get(path).status_code == 200
    assert client.get(f"/loans/shared/chatellerault/{world['internal'].pk}/").status_code == 404
    with capture(execute=True):
        response = client.post(path, {"start": day(2).isoformat(),
                                      "end": day(3).isoformat(), "quantity": "3"})
    assert response.status_code == 302
    with in_authority(chatellerault):
        booking = Booking.objects.get(item=world["shared"])
        assert (booking.borrower_id, booking.borrower_authority, booking.borrower_email) == (
            None, "grand-chatellerault", "lea@grand-chatellerault.example")
        assert "Agglomération de Grand Châtellerault" in booking.borrower_name
    assert [m.to for m in mail.outbox] == [[world["owner"].email]]
    # The owner decides as for its own agents; the answer goes to the partner's agent.
    mail.outbox.clear()
    with in_authority(chatellerault), capture(execute=True):
        services.approve_booking(booking=booking, actor=world["owner"])
    assert [m.to for m in mail.outbox] == [["lea@grand-chatellerault.example"]]
    # Above the stock left: refused on the field, values kept.
    response = client.post(path, {"start": day(3).isoformat(), "end": day(3).isoformat(),
                                  "quantity": "2"})
    assert response.status_code == 400
    assert list(response.context["form"].errors) == ["quantity"]


def test_without_an_agreement_nothing_is_seen_nor_booked(grand_chatellerault, world):
    client = client_for(grand_chatellerault, world["borrower"])
    assert client.get("/loans/shared/").context["shared"] == []
    path = f"/loans/shared/chatellerault/{world['shared'].pk}/"
    assert client.get(path).status_code == 404
    with in_authority(grand_chatellerault), pytest.raises(LoanError) as raised:
        services.request_shared_booking(
            viewer=grand_chatellerault, owner_slug="chatellerault",
            item_id=world["shared"].pk, actor=world["borrower"], start=day(1), end=day(1),
            quantity=1)
    assert raised.value.code == "not_found"


def test_an_ended_agreement_refuses_at_the_moment_of_booking(
        chatellerault, grand_chatellerault, world, agreement):
    client = client_for(grand_chatellerault, world["borrower"])
    path = f"/loans/shared/chatellerault/{world['shared'].pk}/"
    assert client.get(path).status_code == 200
    SharingAgreement.objects.filter(pk=agreement.pk).update(status=AgreementStatus.ENDED)
    response = client.post(path, {"start": day(1).isoformat(), "end": day(1).isoformat(),
                                  "quantity": "1"})
    assert response.status_code == 404
    with in_authority(chatellerault):
        assert not Booking.objects.filter(item=world["shared"]).exists()


def test_the_shared_catalogue_costs_the_same_queries_whatever_the_number_of_items(
        chatellerault, grand_chatellerault, world, agreement):
    client = client_for(grand_chatellerault, world["borrower"])

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/loans/shared/").status_code == 200
        return len(queries)

    before = count()
    with in_authority(chatellerault):
        for n in range(5):
            lendable(world["owner"], title=f"Grille {n}", quantity=3,
                     borrowers=Borrowers.PARTNERS)
    assert count() == before
    assert len(client.get("/loans/shared/").context["shared"]) == 6
