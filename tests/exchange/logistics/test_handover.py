"""Handing a transport over between authorities (issue 18): the giver's planner hands a
request whose items went to a sharing partner to the partner's logistics team; the copy
lives in the receiver's schema only (written through tenants/crossing.py), the
receiver's planner plans it like their own, and its status comes back to the giver's
request, whose agents get the e-mails. An agreement that ends refuses the crossing."""

from __future__ import annotations

from datetime import time

import pytest
from django.core import mail
from django.utils import timezone

from exchange.listings.errors import ExchangeError
from exchange.listings.models import ClosureReason
from exchange.listings.recipients import Recipient
from exchange.listings.services.closure import close_listing
from exchange.logistics import selectors, services
from exchange.logistics.grounds import TransportHandOverGround
from exchange.logistics.models import TransportRequest, TransportStatus
from exchange.sharing.models import AgreementStatus, SharingAgreement
from tenants.models import Authority
from tests.accounts.factories import agent, logistics
from tests.conftest import client_for, in_authority
from tests.exchange.listings.factories import published_listing
from tests.exchange.logistics.helpers import ask, team
from tests.exchange.sharing.sharing_world import share

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(chatellerault, grand_chatellerault, capture):
    """Châtellerault gave 3 cupboards to the agglomeration; its agent asked for their
    transport. Each authority has a planner."""
    share(chatellerault, grand_chatellerault)
    with in_authority(chatellerault):
        giver_agent = agent(email="paul@chatellerault.example")
        listing = published_listing(poster=giver_agent, quantity=5, title="Armoire haute",
                                    dimensions="200 × 100 × 45 cm")
        with capture(execute=True):
            transfer = close_listing(
                listing=listing, actor=giver_agent, quantity=3,
                reason=ClosureReason.EXCHANGED_OTHER_AUTHORITY,
                recipient=Recipient.authority(grand_chatellerault))
        transport = ask(listing, giver_agent, transfer=transfer, quantity=3)
        giver_planner = logistics(email="logistique@chatellerault.example")
    with in_authority(grand_chatellerault):
        receiver_planner = logistics(email="logistique@grand-chatellerault.example")
        receiver_team = team("Camion de l'agglo")
    mail.outbox.clear()
    return {"giver_agent": giver_agent, "transport": transport, "transfer": transfer,
            "giver_planner": giver_planner, "receiver_planner": receiver_planner,
            "team": receiver_team}


def hand(chatellerault, world):
    with in_authority(chatellerault):
        return services.hand_over(actor=world["giver_planner"], transport=world["transport"])


def the_copy(grand_chatellerault):
    with in_authority(grand_chatellerault):
        return TransportRequest.objects.get(handed_from_slug="chatellerault")


def test_the_hand_over_writes_a_copy_in_the_receivers_schema_only(
        chatellerault, grand_chatellerault, world):
    original = hand(chatellerault, world)
    assert original.handed_to_slug == "grand-chatellerault"
    copy = the_copy(grand_chatellerault)
    assert copy.listing_id is None and copy.requested_by_id is None
    assert (copy.items_title, copy.items_dimensions, copy.quantity) == (
        "Armoire haute", "200 × 100 × 45 cm", 3)
    assert copy.handed_from_id == original.pk and original.handed_to_id == copy.pk
    assert copy.pickup_address == original.pickup_place
    assert copy.pickup_contact == original.pickup_contact
    assert copy.wished_from == original.wished_from
    with in_authority(chatellerault):
        # The giver holds its own request only, and it left the giver's board.
        assert TransportRequest.objects.filter(handed_from_slug__gt="").count() == 0
        assert TransportRequest.objects.count() == 1
        assert world["transport"].pk not in [t.pk for t in selectors.unplanned()]
    with in_authority(grand_chatellerault):
        assert [t.pk for t in selectors.unplanned()] == [copy.pk]


def test_the_receivers_planner_plans_and_delivers_and_the_giver_sees_it(
        chatellerault, grand_chatellerault, world, capture):
    hand(chatellerault, world)
    copy = the_copy(grand_chatellerault)
    planner = world["receiver_planner"]
    with in_authority(grand_chatellerault), capture(execute=True):
        services.plan_round(actor=planner, team=world["team"], day=timezone.localdate(),
                            starts_at=time(8), ends_at=time(12), transports=[copy])
    with in_authority(chatellerault):
        original = TransportRequest.objects.get(pk=world["transport"].pk)
        assert original.status == TransportStatus.PLANNED and original.planned_at
    assert [m.to for m in mail.outbox] == [["paul@chatellerault.example"]]
    assert "Agglomération de Grand Châtellerault" in mail.outbox[0].body
    with in_authority(grand_chatellerault), capture(execute=True):
        services.mark_picked_up(actor=planner, transport=copy)
        services.mark_delivered(actor=planner, transport=copy)
    with in_authority(chatellerault):
        original = TransportRequest.objects.get(pk=world["transport"].pk)
        assert original.status == TransportStatus.DELIVERED
        assert original.picked_up_at and original.delivered_at
    assert len(mail.outbox) == 2 and mail.outbox[1].to == ["paul@chatellerault.example"]
    # The giver's agent follows it on their own host: « Livré ».
    client = client_for(chatellerault, world["giver_agent"])
    page = client.get(f"/logistics/requests/{world['transport'].pk}/",
                      HTTP_ACCEPT_LANGUAGE="fr")
    assert page.status_code == 200
    assert "Livré" in page.content.decode()


def test_a_refusal_goes_back_with_its_reason(chatellerault, grand_chatellerault, world,
                                             capture):
    hand(chatellerault, world)
    copy = the_copy(grand_chatellerault)
    with in_authority(grand_chatellerault):
        with pytest.raises(ExchangeError) as empty:
            services.refuse_handed_over(actor=world["receiver_planner"], transport=copy,
                                        reason="  ")
        assert empty.value.code == "reason"
        with capture(execute=True):
            services.refuse_handed_over(actor=world["receiver_planner"], transport=copy,
                                        reason="Pas de camion cette semaine")
    with in_authority(chatellerault):
        original = TransportRequest.objects.get(pk=world["transport"].pk)
    assert original.status == TransportStatus.REFUSED
    assert original.refusal_reason == "Pas de camion cette semaine"
    assert [m.to for m in mail.outbox] == [["paul@chatellerault.example"]]
    assert "Pas de camion cette semaine" in mail.outbox[0].body


def test_without_an_agreement_the_hand_over_is_refused(chatellerault, grand_chatellerault,
                                                       world):
    SharingAgreement.objects.update(status=AgreementStatus.ENDED)
    with pytest.raises(ExchangeError) as refused:
        hand(chatellerault, world)
    assert refused.value.code == "agreement"
    assert "Agglomération de Grand Châtellerault" in refused.value.messages[0]
    with in_authority(grand_chatellerault):
        assert not TransportRequest.objects.exists()
    with in_authority(chatellerault):
        assert TransportRequest.objects.get(pk=world["transport"].pk).handed_to_slug == ""


def test_an_agreement_ended_meanwhile_refuses_the_status_coming_back(
        chatellerault, grand_chatellerault, world):
    hand(chatellerault, world)
    copy = the_copy(grand_chatellerault)
    SharingAgreement.objects.update(status=AgreementStatus.ENDED)
    with in_authority(grand_chatellerault), pytest.raises(ExchangeError) as refused:
        services.plan_round(actor=world["receiver_planner"], team=world["team"],
                            day=timezone.localdate(), starts_at=time(8),
                            ends_at=time(12), transports=[copy])
    assert refused.value.code == "agreement"
    with in_authority(chatellerault):
        assert TransportRequest.objects.get(pk=world["transport"].pk).status == \
            TransportStatus.REQUESTED


def test_a_third_authority_is_never_a_target(chatellerault, grand_chatellerault, world):
    ground = TransportHandOverGround(chatellerault, grand_chatellerault,
                                     world["transfer"].pk)
    third = Authority(pk=0, slug="poitiers", schema_name="poitiers", status="active")
    assert not ground.holds(third)
    with in_authority(chatellerault):
        assert ground.holds(grand_chatellerault)
        # A ground naming another receiver than the transfer's does not hold.
        assert not TransportHandOverGround(chatellerault, chatellerault,
                                           world["transfer"].pk).holds(chatellerault)


def test_only_a_planner_hands_over_and_the_agent_sees_no_button(
        chatellerault, grand_chatellerault, world):
    with in_authority(chatellerault), pytest.raises(ExchangeError) as forbidden:
        services.hand_over(actor=world["giver_agent"], transport=world["transport"])
    assert forbidden.value.code == "forbidden"
    url = f"/logistics/requests/{world['transport'].pk}/"
    agent_page = client_for(chatellerault, world["giver_agent"]).get(url)
    assert "hand-over" not in agent_page.content.decode()
    planner_page = client_for(chatellerault, world["giver_planner"]).get(url)
    assert f"{url}hand-over/" in planner_page.content.decode()
    response = client_for(chatellerault, world["giver_planner"]).post(f"{url}hand-over/")
    assert response.status_code == 302
    with in_authority(grand_chatellerault):
        assert TransportRequest.objects.filter(handed_from_slug="chatellerault").count() == 1
    # The receiver's agents do not follow the copy; its planner does.
    copy = the_copy(grand_chatellerault)
    with in_authority(grand_chatellerault):
        receiver_agent = agent(email="lea@grand-chatellerault.example")
    copy_url = f"/logistics/requests/{copy.pk}/"
    assert client_for(grand_chatellerault, receiver_agent).get(copy_url).status_code == 404
    page = client_for(grand_chatellerault, world["receiver_planner"]).get(copy_url)
    assert page.status_code == 200 and "Armoire haute" in page.content.decode()


def test_the_receivers_board_round_and_round_sheet_show_the_copy(
        chatellerault, grand_chatellerault, world):
    hand(chatellerault, world)
    copy = the_copy(grand_chatellerault)
    client = client_for(grand_chatellerault, world["receiver_planner"])
    board = client.get("/logistics/board/")
    assert board.status_code == 200
    assert "Armoire haute" in board.content.decode()
    assert "Ville de Châtellerault" in board.content.decode()
    with in_authority(grand_chatellerault):
        planned = services.plan_round(
            actor=world["receiver_planner"], team=world["team"], day=timezone.localdate(),
            starts_at=time(8), ends_at=time(12), transports=[copy])
    sheet = client.get(f"/logistics/rounds/{planned.pk}/sheet.pdf")
    assert sheet.status_code == 200 and sheet["Content-Type"] == "application/pdf"
    assert client.get(f"/logistics/rounds/{planned.pk}/").status_code == 200
