"""Writing transports (issue 18): an agent's request, the logistics team's rounds,
picked up, delivered, cancelled; the teams and their feed tokens.

Who may do what is asked of accounts.permissions; every refusal is an ExchangeError
(its message shown to the user, its code naming the rule, the field it concerns in
`TransportForm.error_fields`). E-mails leave after commit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Service, Site, User
from accounts.permissions import (
    can_cancel_transport,
    can_hand_over_transport,
    can_plan_transport,
    can_refuse_handed_transport,
    can_request_transport,
)
from exchange.listings.errors import ExchangeError
from exchange.listings.models import GIVING_REASONS, ClosureReason, Listing, ListingStatus, Transfer
from exchange.listings.recipients import Recipient
from exchange.listings.services.closure import close_listing, quantity_left
from exchange.logistics import notifications, selectors
from exchange.logistics.grounds import TransportHandOverGround
from exchange.logistics.models import (
    Round,
    Team,
    TransportRequest,
    TransportStatus,
    new_feed_token,
)
from tenants.background import after_commit
from tenants.crossing import CrossingRefused, current_schema, in_authority
from tenants.models import Authority

MAX_FLOOR, MIN_FLOOR = 60, -5


@dataclass(frozen=True)
class Place:
    """One end of a transport: a site of the authority, or an address in free text
    (another authority's, a partner's), and who to ask for there."""

    contact: str
    site: Site | None = None
    address: str = ""
    floor: int = 0
    lift: bool = False


def _require_planner(actor: User) -> None:
    if not can_plan_transport(actor):
        raise ExchangeError(_("Only the logistics team plans transports."), code="forbidden")


def _check_place(place: Place, which: str) -> None:
    if place.site is None and not place.address.strip():
        raise ExchangeError(_("Choose a site or write an address."), code=f"{which}_place")
    if place.site is not None and not place.site.is_active:
        raise ExchangeError(_("This site is no longer active."), code=f"{which}_place")
    if not place.contact.strip():
        raise ExchangeError(_("Say who to ask for on the spot."), code=f"{which}_contact")
    if not MIN_FLOOR <= place.floor <= MAX_FLOOR:
        raise ExchangeError(_("A floor lies between -5 and 60."), code=f"{which}_floor")


def _requested_elsewhere(listing: Listing, transfer: Transfer | None) -> int:
    """Items already in a live transport request of the same source. A delivery that
    recorded its transfer is counted by the listing's quantity left, not here."""
    live = (TransportRequest.objects.filter(listing=listing, transfer=transfer)
            .exclude(status=TransportStatus.CANCELLED)
            .exclude(closing_transfer__isnull=False))
    return live.aggregate(total=Sum("quantity"))["total"] or 0


@transaction.atomic
def request_transport(*, listing: Listing, actor: User, pickup: Place, delivery: Place,
                      quantity: int, wished_from: date, wished_until: date,
                      transfer: Transfer | None = None, notes: str = "",
                      recipient_service: Service | None = None,
                      close_on_delivery: bool = False) -> TransportRequest:
    """Ask for the transport of `quantity` items of a taken listing.

    From a transfer (items given): at most the transfer's quantity, less what other
    live requests of that transfer carry. From a reservation (no transfer): at most the
    items left on the listing, less the same. Wished dates: not in the past, the last
    not before the first. Only the poster may have the delivery close the listing's
    transfer (to `recipient_service`, by the listings' closure service)."""
    listing = Listing.objects.select_for_update().get(pk=listing.pk)
    if not can_request_transport(actor, listing):
        raise ExchangeError(_("You cannot ask for transport of this listing."),
                            code="forbidden")
    if transfer is not None:
        if transfer.listing_id != listing.pk or transfer.reason not in GIVING_REASONS:
            raise ExchangeError(_("Choose a transfer of this listing."), code="transfer")
        available = transfer.quantity
    else:
        if not (listing.status == ListingStatus.PUBLISHED and listing.reserved_for):
            raise ExchangeError(_("This listing is not reserved: choose its transfer."),
                                code="transfer")
        available = quantity_left(listing)
    available -= _requested_elsewhere(listing, transfer)
    if quantity is None or quantity < 1:
        raise ExchangeError(_("The quantity must be at least 1."), code="quantity")
    if quantity > available:
        raise ExchangeError(
            _("At most %(n)s item(s) can still be carried for this listing.")
            % {"n": max(available, 0)}, code="quantity")
    today = timezone.localdate()
    if wished_from < today:
        raise ExchangeError(_("The first wished date is in the past."), code="wished_from")
    if wished_until < wished_from:
        raise ExchangeError(_("The last wished date cannot come before the first."),
                            code="wished_until")
    _check_place(pickup, "pickup")
    _check_place(delivery, "delivery")
    if close_on_delivery:
        if transfer is not None or listing.poster_id != actor.pk:
            raise ExchangeError(
                _("Only the poster of a reserved listing can have the delivery close it."),
                code="close_on_delivery")
        if recipient_service is None:
            raise ExchangeError(_("Choose the service that receives the items."),
                                code="recipient_service")
    return TransportRequest.objects.create(
        listing=listing, transfer=transfer, requested_by=actor,
        pickup_site=pickup.site, pickup_address=pickup.address.strip()[:300],
        pickup_contact=pickup.contact.strip()[:200], pickup_floor=pickup.floor,
        pickup_lift=pickup.lift,
        delivery_site=delivery.site, delivery_address=delivery.address.strip()[:300],
        delivery_contact=delivery.contact.strip()[:200], delivery_floor=delivery.floor,
        delivery_lift=delivery.lift,
        quantity=quantity, wished_from=wished_from, wished_until=wished_until,
        notes=notes.strip()[:1000], recipient_service=recipient_service,
        close_on_delivery=close_on_delivery)


def _locked(transport: TransportRequest) -> TransportRequest:
    return TransportRequest.objects.select_for_update(of=("self",)).select_related(
        "listing").get(pk=transport.pk)


@transaction.atomic
def create_team(*, actor: User, name: str, vehicle: str = "") -> Team:
    _require_planner(actor)
    name = name.strip()[:120]
    if not name:
        raise ExchangeError(_("Give the team a name."), code="name")
    if Team.objects.filter(name__iexact=name).exists():
        raise ExchangeError(_("A team with this name already exists."), code="name")
    return Team.objects.create(name=name, vehicle=vehicle.strip()[:120])


@transaction.atomic
def regenerate_feed_token(*, actor: User, team: Team) -> Team:
    """A new secret URL for the team's calendar: the old one stops working at once."""
    _require_planner(actor)
    team.feed_token = new_feed_token()
    team.save(update_fields=["feed_token"])
    return team


@transaction.atomic
def plan_round(*, actor: User, team: Team, day: date, starts_at: time, ends_at: time,
               transports: list[TransportRequest], note: str = "") -> Round:
    """A new round of `team` on `day` from `starts_at` to `ends_at` carrying
    `transports` (each still requested): they become planned, their requesters are
    told after commit."""
    _require_planner(actor)
    if not team.is_active:
        raise ExchangeError(_("This team is no longer active."), code="team")
    if day < timezone.localdate():
        raise ExchangeError(_("A round cannot be planned in the past."), code="date")
    if ends_at <= starts_at:
        raise ExchangeError(_("The end of the time slot must come after its start."),
                            code="ends_at")
    if not transports:
        raise ExchangeError(_("Choose at least one transport request."), code="transports")
    planned_round = Round.objects.create(team=team, date=day, starts_at=starts_at,
                                         ends_at=ends_at, note=note.strip()[:300],
                                         created_by=actor)
    for transport in transports:
        add_to_round(actor=actor, transport=transport, planned_round=planned_round)
    return planned_round


@transaction.atomic
def add_to_round(*, actor: User, transport: TransportRequest,
                 planned_round: Round) -> TransportRequest:
    """Put a requested transport in a round: planned (its requester is told)."""
    _require_planner(actor)
    transport = _locked(transport)
    if transport.status != TransportStatus.REQUESTED:
        raise ExchangeError(_("Only a transport not yet planned can join a round."),
                            code="state")
    transport.round, transport.status = planned_round, TransportStatus.PLANNED
    transport.planned_at = timezone.now()
    transport.save(update_fields=["round", "status", "planned_at"])
    if transport.is_handed_copy:
        _report_back(transport)
    else:
        after_commit(notifications.transport_planned, transport.pk)
    return transport


@transaction.atomic
def unplan(*, actor: User, transport: TransportRequest) -> TransportRequest:
    """Take a planned transport out of its round: requested again."""
    _require_planner(actor)
    transport = _locked(transport)
    if transport.status != TransportStatus.PLANNED:
        raise ExchangeError(_("Only a planned transport can leave its round."), code="state")
    transport.round, transport.status, transport.planned_at = None, \
        TransportStatus.REQUESTED, None
    transport.save(update_fields=["round", "status", "planned_at"])
    _report_back(transport)
    return transport


@transaction.atomic
def mark_picked_up(*, actor: User, transport: TransportRequest) -> TransportRequest:
    _require_planner(actor)
    transport = _locked(transport)
    if transport.status != TransportStatus.PLANNED:
        raise ExchangeError(_("Only a planned transport can be picked up."), code="state")
    transport.status, transport.picked_up_at = TransportStatus.PICKED_UP, timezone.now()
    transport.save(update_fields=["status", "picked_up_at"])
    _report_back(transport)
    return transport


@transaction.atomic
def mark_delivered(*, actor: User, transport: TransportRequest) -> TransportRequest:
    """Delivered (after picked up; a planned transport is picked up on the way). When
    the request asked it, the listing's transfer is recorded by the listings' closure
    service, in the name of the poster who asked for it: its refusal (e.g. fewer items
    left) refuses the delivery with the same message, nothing half done."""
    _require_planner(actor)
    transport = _locked(transport)
    if transport.status not in (TransportStatus.PLANNED, TransportStatus.PICKED_UP):
        raise ExchangeError(_("Only a planned or picked up transport can be delivered."),
                            code="state")
    now = timezone.now()
    transport.picked_up_at = transport.picked_up_at or now
    transport.status, transport.delivered_at = TransportStatus.DELIVERED, now
    if transport.close_on_delivery and transport.listing.status == ListingStatus.PUBLISHED:
        transport.closing_transfer = close_listing(
            listing=transport.listing, actor=transport.requested_by,
            reason=ClosureReason.EXCHANGED_INTERNAL, quantity=transport.quantity,
            recipient=Recipient.service(transport.recipient_service))
    transport.save(update_fields=["status", "picked_up_at", "delivered_at",
                                  "closing_transfer"])
    if transport.is_handed_copy:
        _report_back(transport)
    else:
        after_commit(notifications.transport_delivered, transport.pk)
    return transport


@transaction.atomic
def cancel_transport(*, actor: User, transport: TransportRequest) -> TransportRequest:
    """The requester or the logistics team cancels a transport not picked up yet."""
    transport = _locked(transport)
    if not can_cancel_transport(actor, transport):
        if transport.is_cancellable:
            raise ExchangeError(_("You cannot cancel this transport."), code="forbidden")
        raise ExchangeError(_("This transport can no longer be cancelled."), code="state")
    transport.status, transport.cancelled_at = TransportStatus.CANCELLED, timezone.now()
    transport.round = None  # out of any round: the board and the sheet skip it
    transport.save(update_fields=["status", "cancelled_at", "round"])
    return transport


# --- Between authorities: handing a request over, and its status coming back ------------


def _current_authority() -> Authority:
    return Authority.all_objects.get(schema_name=current_schema())


def _agreement_refused(other: Authority | None) -> ExchangeError:
    return ExchangeError(
        _("The sharing agreement with %(name)s no longer holds: the transport cannot be "
          "handed over nor followed between your authorities.")
        % {"name": getattr(other, "name", "?")}, code="agreement")


@transaction.atomic
def hand_over(*, actor: User, transport: TransportRequest) -> TransportRequest:
    """« Confier à la logistique de <receiver> »: the giver's planner hands a request
    whose items went to another authority to that authority's logistics team. A copy
    (places and contacts, items, weight, dimensions, dates; no link to the listing,
    which lives here) is written in the receiver's schema through the tenancy layer,
    the ground checked now: the authorities share, the transfer names the receiver.
    The request then leaves this board; its status follows the copy's."""
    _require_planner(actor)
    transport = TransportRequest.objects.select_for_update(of=("self",)).select_related(
        "listing__category", "transfer", "pickup_site", "delivery_site").get(pk=transport.pk)
    if not can_hand_over_transport(actor, transport):
        raise ExchangeError(_("Only a request not yet planned, whose items were given to "
                              "another authority, can be handed over."), code="state")
    transfer = transport.transfer
    receiver = Authority.all_objects.filter(slug=transfer.recipient_authority_slug).first()
    giver = _current_authority()
    if receiver is None:
        raise _agreement_refused(None)
    listing = transport.listing
    weight = selectors.unit_weights([listing]).get(listing.pk)
    try:
        with in_authority(receiver, ground=TransportHandOverGround(giver, receiver,
                                                                    transfer.pk)):
            copy = TransportRequest.objects.create(
                listing=None, requested_by=None,
                pickup_address=transport.pickup_place[:300],
                pickup_contact=transport.pickup_contact, pickup_floor=transport.pickup_floor,
                pickup_lift=transport.pickup_lift,
                delivery_address=transport.delivery_place[:300],
                delivery_contact=transport.delivery_contact,
                delivery_floor=transport.delivery_floor,
                delivery_lift=transport.delivery_lift,
                quantity=transport.quantity, wished_from=transport.wished_from,
                wished_until=transport.wished_until, notes=transport.notes,
                handed_from_slug=giver.slug, handed_from_name=giver.name[:200],
                handed_from_id=transport.pk, handed_transfer_id=transfer.pk,
                items_title=listing.title[:200], items_dimensions=listing.dimensions[:200],
                items_unit_weight_kg=weight)
    except CrossingRefused as refused:
        raise _agreement_refused(receiver) from refused
    transport.handed_to_slug, transport.handed_to_name = receiver.slug, receiver.name[:200]
    transport.handed_to_id = copy.pk
    transport.save(update_fields=["handed_to_slug", "handed_to_name", "handed_to_id"])
    return transport


@transaction.atomic
def refuse_handed_over(*, actor: User, transport: TransportRequest,
                       reason: str) -> TransportRequest:
    """The receiver's planner refuses a handed-over transport, with a reason sent back
    to the giver's request (its agents are told)."""
    _require_planner(actor)
    transport = _locked(transport)
    if not can_refuse_handed_transport(actor, transport):
        raise ExchangeError(_("Only a transport handed over by another authority, not yet "
                              "picked up, can be refused."), code="state")
    reason = (reason or "").strip()[:500]
    if not reason:
        raise ExchangeError(_("Say why the transport is refused."), code="reason")
    transport.status, transport.refused_at = TransportStatus.REFUSED, timezone.now()
    transport.refusal_reason, transport.round = reason, None
    transport.save(update_fields=["status", "refused_at", "refusal_reason", "round"])
    _report_back(transport)
    return transport


REPORTED = ("status", "planned_at", "picked_up_at", "delivered_at", "refused_at",
            "refusal_reason")
TOLD = {TransportStatus.PLANNED: notifications.transport_planned,
        TransportStatus.DELIVERED: notifications.transport_delivered,
        TransportStatus.REFUSED: notifications.transport_refused}


def _report_back(copy: TransportRequest) -> None:
    """Send a handed-over copy's status to the giver's request, in the giver's schema
    through the tenancy layer (the same ground, checked now); the giver's agents get
    the e-mail of the new status after commit. A refused crossing refuses the step."""
    if not copy.is_handed_copy:
        return
    receiver = _current_authority()
    giver = Authority.all_objects.filter(slug=copy.handed_from_slug).first()
    if giver is None:
        raise _agreement_refused(None)
    try:
        with in_authority(giver, ground=TransportHandOverGround(giver, receiver,
                                                                copy.handed_transfer_id)):
            original = TransportRequest.objects.select_for_update().filter(
                pk=copy.handed_from_id, handed_to_slug=receiver.slug).first()
            if original is None:
                raise _agreement_refused(giver)
            for field in REPORTED:
                setattr(original, field, getattr(copy, field))
            original.save(update_fields=list(REPORTED))
            if copy.status in TOLD:
                after_commit(TOLD[copy.status], original.pk)
    except CrossingRefused as refused:
        raise _agreement_refused(giver) from refused
