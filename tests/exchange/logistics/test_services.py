"""Transport rules (issue 18), through the services every entry point calls: who may
ask and plan, each rule of a request, each status change, the e-mails, the closing of a
reservation's transfer on delivery, and the database's own constraints."""

from datetime import time, timedelta

import pytest
from django.core import mail
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.permissions import can_plan_transport, can_request_transport
from exchange.listings.errors import ExchangeError
from exchange.listings.models import ClosureReason, ListingStatus
from exchange.listings.services.closure import quantity_left
from exchange.logistics import selectors, services
from exchange.logistics.models import TransportRequest, TransportStatus
from tests.accounts.factories import (
    ServiceFactory,
    SiteFactory,
    agent,
    authority_admin,
    logistics,
    moderator,
)
from tests.conftest import in_authority
from tests.exchange.listings.factories import published_listing
from tests.exchange.logistics.helpers import ask, given_listing, place, plan, reserved_listing, team

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate


def _code(excinfo):
    return excinfo.value.code


# --- Who may ask, who may plan -------------------------------------------------------


def test_the_poster_and_the_receiving_service_may_ask_others_may_not(chatellerault):
    with in_authority(chatellerault):
        sports = ServiceFactory(name="Sports")
        listing, _transfer = given_listing(to_service=sports)
        taker = agent(service=sports)
        stranger = agent()
        assert can_request_transport(listing.poster, listing)
        assert can_request_transport(taker, listing)
        assert not can_request_transport(stranger, listing)
        assert not can_request_transport(logistics(), listing)


def test_a_listing_neither_reserved_nor_given_takes_no_transport(chatellerault):
    with in_authority(chatellerault):
        listing = published_listing()
        assert not can_request_transport(listing.poster, listing)
        with pytest.raises(ExchangeError) as refused:
            ask(listing, listing.poster)
        assert _code(refused) == "forbidden"


def test_a_stranger_is_refused_by_the_service(chatellerault):
    with in_authority(chatellerault):
        listing = reserved_listing()
        with pytest.raises(ExchangeError) as refused:
            ask(listing, agent())
        assert _code(refused) == "forbidden"
        assert not TransportRequest.objects.exists()


def test_logistics_and_admins_plan_agents_and_moderators_do_not(chatellerault):
    with in_authority(chatellerault):
        assert can_plan_transport(logistics())
        assert can_plan_transport(authority_admin())
        assert not can_plan_transport(agent())
        assert not can_plan_transport(moderator())


def test_an_agent_cannot_plan_a_round(chatellerault):
    with in_authority(chatellerault):
        listing = reserved_listing()
        transport = ask(listing, listing.poster)
        with pytest.raises(ExchangeError) as refused:
            plan(listing.poster, [transport])
        assert _code(refused) == "forbidden"
        transport.refresh_from_db()
        assert transport.status == TransportStatus.REQUESTED


# --- The request's rules ---------------------------------------------------------------


def test_a_reservation_carries_at_most_the_items_left(chatellerault):
    with in_authority(chatellerault):
        listing = reserved_listing(quantity=5)
        with pytest.raises(ExchangeError) as refused:
            ask(listing, listing.poster, quantity=6)
        assert _code(refused) == "quantity"
        ask(listing, listing.poster, quantity=3)
        # Three are already on their way: two more at most.
        with pytest.raises(ExchangeError) as refused:
            ask(listing, listing.poster, quantity=3)
        assert "2" in refused.value.messages[0]
        assert ask(listing, listing.poster, quantity=2).quantity == 2


def test_a_transfer_carries_at_most_its_quantity(chatellerault):
    with in_authority(chatellerault):
        listing, transfer = given_listing(quantity=4)
        with pytest.raises(ExchangeError) as refused:
            ask(listing, listing.poster, transfer=transfer, quantity=5)
        assert _code(refused) == "quantity"
        assert ask(listing, listing.poster, transfer=transfer, quantity=4).quantity == 4


def test_a_quantity_below_one_is_refused(chatellerault):
    with in_authority(chatellerault):
        listing = reserved_listing()
        with pytest.raises(ExchangeError) as refused:
            ask(listing, listing.poster, quantity=0)
        assert _code(refused) == "quantity"


def test_a_transfer_of_another_listing_is_refused(chatellerault):
    with in_authority(chatellerault):
        listing, _ = given_listing()
        _other, foreign_transfer = given_listing(poster=listing.poster)
        with pytest.raises(ExchangeError) as refused:
            ask(listing, listing.poster, transfer=foreign_transfer)
        assert _code(refused) == "transfer"


def test_a_discarded_transfer_is_not_a_transport_source(chatellerault):
    from exchange.listings.services.closure import close_listing

    with in_authority(chatellerault):
        listing = reserved_listing()
        discarded = close_listing(listing=listing, actor=listing.poster,
                                  reason=ClosureReason.DISCARDED, quantity=1)
        with pytest.raises(ExchangeError) as refused:
            ask(listing, listing.poster, transfer=discarded)
        assert _code(refused) == "transfer"


def test_wished_dates_not_in_the_past_and_ordered(chatellerault):
    with in_authority(chatellerault):
        listing = reserved_listing()
        with pytest.raises(ExchangeError) as refused:
            ask(listing, listing.poster, wished_from=TODAY() - timedelta(days=1))
        assert _code(refused) == "wished_from"
        with pytest.raises(ExchangeError) as refused:
            ask(listing, listing.poster, wished_from=TODAY() + timedelta(days=3),
                wished_until=TODAY() + timedelta(days=2))
        assert _code(refused) == "wished_until"
        assert ask(listing, listing.poster, wished_from=TODAY(), wished_until=TODAY())


def test_each_end_needs_a_place_and_a_contact(chatellerault):
    with in_authority(chatellerault):
        listing = reserved_listing()
        with pytest.raises(ExchangeError) as refused:
            ask(listing, listing.poster, pickup=services.Place(contact="Marc"))
        assert _code(refused) == "pickup_place"
        with pytest.raises(ExchangeError) as refused:
            ask(listing, listing.poster, delivery=place(contact="  "))
        assert _code(refused) == "delivery_contact"
        with pytest.raises(ExchangeError) as refused:
            ask(listing, listing.poster, delivery=place(floor=61))
        assert _code(refused) == "delivery_floor"
        inactive = SiteFactory(is_active=False)
        with pytest.raises(ExchangeError) as refused:
            ask(listing, listing.poster, pickup=place(site=inactive))
        assert _code(refused) == "pickup_place"


def test_an_address_in_free_text_stands_for_another_authority(chatellerault):
    with in_authority(chatellerault):
        listing = reserved_listing()
        transport = ask(listing, listing.poster, delivery=place(
            address="Mairie de Naintré, 1 place de la République, 86530 Naintré"))
        assert transport.delivery_site is None
        assert transport.delivery_place.startswith("Mairie de Naintré")


def test_only_the_poster_of_a_reservation_may_close_on_delivery(chatellerault):
    with in_authority(chatellerault):
        sports = ServiceFactory()
        listing, transfer = given_listing(to_service=sports)
        with pytest.raises(ExchangeError) as refused:
            ask(listing, listing.poster, transfer=transfer, close_on_delivery=True,
                recipient_service=sports)
        assert _code(refused) == "close_on_delivery"
        reserved = reserved_listing()
        with pytest.raises(ExchangeError) as refused:
            ask(reserved, reserved.poster, close_on_delivery=True)
        assert _code(refused) == "recipient_service"


# --- Database constraints ---------------------------------------------------------------


@pytest.mark.parametrize("change", [
    {"quantity": 0},
    {"wished_until_before": True},
    {"pickup_site": None, "pickup_address": ""},
    {"delivery_site": None, "delivery_address": ""},
    {"pickup_floor": 99},
    {"status": TransportStatus.PLANNED},  # planned without a round
    {"close_on_delivery": True},  # no receiving service
])
def test_the_database_refuses_what_the_rules_refuse(chatellerault, change):
    with in_authority(chatellerault):
        listing = reserved_listing()
        transport = ask(listing, listing.poster)
        if change.pop("wished_until_before", False):
            change["wished_until"] = transport.wished_from - timedelta(days=1)
        for field, value in change.items():
            setattr(transport, field, value)
        with pytest.raises(IntegrityError), transaction.atomic():
            transport.save()


def test_a_round_slot_ends_after_it_starts_in_the_database(chatellerault):
    from exchange.logistics.models import Round

    with in_authority(chatellerault), pytest.raises(IntegrityError), transaction.atomic():
        Round.objects.create(team=team(), date=TODAY(), starts_at=time(10),
                             ends_at=time(9))


# --- Status changes and e-mails ------------------------------------------------------------


def test_requested_planned_picked_up_delivered_with_two_emails(chatellerault, capture):
    with in_authority(chatellerault):
        sports = ServiceFactory()
        taker = agent(service=sports, email="julien@chatellerault.example")
        listing, transfer = given_listing(to_service=sports)
        planner = logistics()
        transport = ask(listing, taker, transfer=transfer)
        assert transport.status == TransportStatus.REQUESTED
        mail.outbox.clear()
        with capture(execute=True):
            planned_round = plan(planner, [transport])
        transport.refresh_from_db()
        assert (transport.status, transport.round) == (TransportStatus.PLANNED, planned_round)
        assert sorted(m.to[0] for m in mail.outbox) == sorted(
            [taker.email, listing.poster.email])
        assert mail.outbox[0].subject.startswith("Transport planifié")  # in French
        mail.outbox.clear()
        services.mark_picked_up(actor=planner, transport=transport)
        transport.refresh_from_db()
        assert transport.status == TransportStatus.PICKED_UP
        assert mail.outbox == []
        with capture(execute=True):
            services.mark_delivered(actor=planner, transport=transport)
        transport.refresh_from_db()
        assert transport.status == TransportStatus.DELIVERED
        assert transport.delivered_at is not None
        assert len(mail.outbox) == 2
        assert mail.outbox[0].subject.startswith("Livré")


def test_no_email_before_commit(chatellerault, capture):
    with in_authority(chatellerault):
        listing = reserved_listing()
        transport = ask(listing, listing.poster)
        mail.outbox.clear()
        with capture(execute=False) as callbacks:
            plan(logistics(), [transport])
        assert mail.outbox == []
        # Other after-commit work may be queued too (the per-authority cache's
        # invalidation): running them all sends the planning e-mail, once.
        for callback in callbacks:
            callback()
        assert [message.subject.split(" ")[:2] for message in mail.outbox] == [
            ["Transport", "planifié"]]


def test_transitions_out_of_order_are_refused(chatellerault):
    with in_authority(chatellerault):
        listing = reserved_listing()
        planner = logistics()
        transport = ask(listing, listing.poster)
        for step in (services.mark_picked_up, services.mark_delivered, services.unplan):
            with pytest.raises(ExchangeError) as refused:
                step(actor=planner, transport=transport)
            assert _code(refused) == "state"
        planned_round = plan(planner, [transport])
        with pytest.raises(ExchangeError) as refused:
            services.add_to_round(actor=planner, transport=transport,
                                  planned_round=planned_round)
        assert _code(refused) == "state"
        services.mark_delivered(actor=planner, transport=transport)
        with pytest.raises(ExchangeError) as refused:
            services.cancel_transport(actor=planner, transport=transport)
        assert _code(refused) == "state"


def test_unplanning_puts_a_transport_back_among_the_unplanned(chatellerault):
    with in_authority(chatellerault):
        listing = reserved_listing()
        planner = logistics()
        transport = ask(listing, listing.poster)
        plan(planner, [transport])
        services.unplan(actor=planner, transport=transport)
        assert list(selectors.unplanned()) == [transport]


def test_the_requester_cancels_a_planned_transport_a_stranger_cannot(chatellerault):
    with in_authority(chatellerault):
        listing = reserved_listing()
        transport = ask(listing, listing.poster)
        plan(logistics(), [transport])
        with pytest.raises(ExchangeError) as refused:
            services.cancel_transport(actor=agent(), transport=transport)
        assert _code(refused) == "forbidden"
        services.cancel_transport(actor=listing.poster, transport=transport)
        transport.refresh_from_db()
        assert (transport.status, transport.round) == (TransportStatus.CANCELLED, None)
        # Cancelled items may be asked for again.
        assert ask(listing, listing.poster, quantity=10).quantity == 10


def test_a_round_in_the_past_or_with_a_backwards_slot_is_refused(chatellerault):
    with in_authority(chatellerault):
        listing = reserved_listing()
        planner = logistics()
        transport = ask(listing, listing.poster)
        with pytest.raises(ExchangeError) as refused:
            plan(planner, [transport], day=TODAY() - timedelta(days=1))
        assert _code(refused) == "date"
        with pytest.raises(ExchangeError) as refused:
            services.plan_round(actor=planner, team=team("A"), day=TODAY(),
                                starts_at=time(14), ends_at=time(13),
                                transports=[transport])
        assert _code(refused) == "ends_at"
        with pytest.raises(ExchangeError) as refused:
            services.plan_round(actor=planner, team=team("B"), day=TODAY(),
                                starts_at=time(8), ends_at=time(9), transports=[])
        assert _code(refused) == "transports"


# --- Delivery closes a reservation's transfer ------------------------------------------------


def test_delivery_of_a_reservation_records_the_transfer_through_closure(chatellerault):
    with in_authority(chatellerault):
        sports = ServiceFactory()
        listing = reserved_listing(quantity=3)
        planner = logistics()
        transport = ask(listing, listing.poster, quantity=3, close_on_delivery=True,
                        recipient_service=sports)
        plan(planner, [transport])
        services.mark_delivered(actor=planner, transport=transport)
        listing.refresh_from_db()
        transport.refresh_from_db()
        assert listing.status == ListingStatus.CLOSED
        closing = transport.closing_transfer
        assert (closing.reason, closing.quantity, closing.recipient_service) == (
            ClosureReason.EXCHANGED_INTERNAL, 3, sports)
        assert closing.actor == listing.poster


def test_delivery_of_part_of_a_reservation_leaves_the_rest(chatellerault):
    with in_authority(chatellerault):
        listing = reserved_listing(quantity=10)
        planner = logistics()
        transport = ask(listing, listing.poster, quantity=4, close_on_delivery=True,
                        recipient_service=ServiceFactory())
        plan(planner, [transport])
        services.mark_delivered(actor=planner, transport=transport)
        listing.refresh_from_db()
        assert listing.status == ListingStatus.PUBLISHED
        assert quantity_left(listing) == 6
        # The four delivered are counted once (by the transfer): six may still go.
        assert ask(listing, listing.poster, quantity=6).quantity == 6


def test_a_closure_refused_refuses_the_delivery_with_its_message(chatellerault):
    from exchange.listings.services.closure import close_listing

    with in_authority(chatellerault):
        listing = reserved_listing(quantity=5)
        planner = logistics()
        transport = ask(listing, listing.poster, quantity=4, close_on_delivery=True,
                        recipient_service=ServiceFactory())
        plan(planner, [transport])
        # Meanwhile the poster gave 3 of the 5 items elsewhere: 2 left, 4 to close.
        close_listing(listing=listing, actor=listing.poster,
                      reason=ClosureReason.DISCARDED, quantity=3)
        with pytest.raises(ExchangeError) as refused:
            services.mark_delivered(actor=planner, transport=transport)
        assert _code(refused) == "quantity_left"
        transport.refresh_from_db()
        assert transport.status == TransportStatus.PLANNED


def test_delivery_without_closing_leaves_the_listing_alone(chatellerault):
    with in_authority(chatellerault):
        listing = reserved_listing(quantity=3)
        planner = logistics()
        transport = ask(listing, listing.poster, quantity=3)
        plan(planner, [transport])
        services.mark_delivered(actor=planner, transport=transport)
        listing.refresh_from_db()
        assert listing.status == ListingStatus.PUBLISHED
        assert quantity_left(listing) == 3


# --- Teams, tokens, isolation ----------------------------------------------------------------


def test_regenerating_a_token_retires_the_old_one(chatellerault):
    with in_authority(chatellerault):
        the_team = services.create_team(actor=logistics(), name="Camion 1")
        old = the_team.feed_token
        services.regenerate_feed_token(actor=authority_admin(), team=the_team)
        assert selectors.team_by_token(old) is None
        assert selectors.team_by_token(the_team.feed_token) == the_team
        with pytest.raises(ExchangeError) as refused:
            services.regenerate_feed_token(actor=agent(), team=the_team)
        assert _code(refused) == "forbidden"
        with pytest.raises(ExchangeError) as refused:
            services.create_team(actor=logistics(), name="camion 1")
        assert _code(refused) == "name"


def test_another_authority_never_sees_a_request(chatellerault, grand_chatellerault):
    with in_authority(chatellerault):
        listing = reserved_listing()
        ask(listing, listing.poster)
        the_team = team()
        token = the_team.feed_token
    with in_authority(grand_chatellerault):
        assert list(selectors.unplanned()) == []
        assert selectors.team_by_token(token) is None
        assert not TransportRequest.objects.exists()


def test_board_reads_the_rounds_of_the_week_in_site_order(chatellerault):
    with in_authority(chatellerault):
        planner = logistics()
        zebra, alpha = SiteFactory(name="Zèbre"), SiteFactory(name="Atelier")
        listing_z = reserved_listing()
        listing_a = reserved_listing()
        stop_z = ask(listing_z, listing_z.poster, pickup=place(site=zebra))
        stop_a = ask(listing_a, listing_a.poster, pickup=place(site=alpha))
        monday, sunday = selectors.week_of(TODAY())
        planned_round = plan(planner, [stop_z, stop_a])
        [found] = selectors.rounds_between(monday, sunday)
        assert found == planned_round
        assert found.ordered_stops == [stop_a, stop_z]
