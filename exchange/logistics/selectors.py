"""Reading transports: an agent's requests, the listings they may ask transport for, the
logistics board (unplanned requests, rounds of a day or a week), a round's stops in
site order, a team by its feed token. Reads never write."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from django.db.models import F, Prefetch, Q, QuerySet
from django.db.models.functions import Coalesce

from accounts.models import Site, User
from analytics.models import ReferenceItem
from exchange.listings.models import GIVING_REASONS, Listing, ListingStatus, Transfer
from exchange.logistics.models import Round, Team, TransportRequest, TransportStatus

STOP_RELATED = ("listing__category", "requested_by", "pickup_site", "delivery_site",
                "recipient_service")


def _with_related(queryset: QuerySet) -> QuerySet:
    return queryset.select_related(*STOP_RELATED, "round__team")


def my_transports(user: User) -> QuerySet[TransportRequest]:
    """The requests `user` made, and those on the listings `user` posted."""
    return _with_related(TransportRequest.objects.filter(
        Q(requested_by=user) | Q(listing__poster=user))).order_by("-created_at", "-id")


def requestable_listings(user: User, limit: int = 50) -> QuerySet[Listing]:
    """Taken listings `user` posted, or whose items went to `user`'s service: where a
    transport may be asked (accounts.permissions.can_request_transport decides)."""
    mine = Q(poster=user)
    if user.service_id is not None:
        mine |= Q(transfers__recipient_service_id=user.service_id)
    taken = (Q(status=ListingStatus.PUBLISHED) & ~Q(reserved_for="")) | Q(
        transfers__reason__in=GIVING_REASONS)
    ids = Listing.objects.filter(mine).filter(taken).values("pk")
    return Listing.objects.filter(pk__in=ids).select_related("site").order_by(
        "-updated_at")[:limit]


def giving_transfers(listing: Listing) -> QuerySet[Transfer]:
    return listing.transfers.filter(reason__in=GIVING_REASONS).select_related(
        "recipient_service")


def active_sites() -> QuerySet[Site]:
    return Site.objects.filter(is_active=True)


def active_teams() -> QuerySet[Team]:
    return Team.objects.filter(is_active=True)


def unplanned() -> QuerySet[TransportRequest]:
    """Requests waiting for a round, the earliest wished first: own requests not
    handed to another authority, and the copies other authorities handed over."""
    return _with_related(TransportRequest.objects.filter(
        status=TransportStatus.REQUESTED, handed_to_slug="")).order_by("wished_from", "id")


def site_order(queryset: QuerySet[TransportRequest]) -> QuerySet[TransportRequest]:
    """A round's stops grouped by pickup place (site name, else address), then by
    delivery place: the order of the round sheet."""
    return queryset.annotate(
        pickup_key=Coalesce(F("pickup_site__name"), F("pickup_address")),
        delivery_key=Coalesce(F("delivery_site__name"), F("delivery_address")),
    ).order_by("pickup_key", "delivery_key", "id")


def round_stops(planned_round: Round) -> QuerySet[TransportRequest]:
    return site_order(_with_related(planned_round.stops.all()))


def rounds_between(first: date, last: date, team: Team | None = None) -> QuerySet[Round]:
    """Rounds from `first` to `last` (inclusive) with their stops in site order: a
    fixed number of queries whatever the number of rounds and stops."""
    stops = site_order(TransportRequest.objects.select_related(*STOP_RELATED))
    rounds = Round.objects.filter(date__range=(first, last)).select_related("team")
    if team is not None:
        rounds = rounds.filter(team=team)
    return rounds.prefetch_related(Prefetch("stops", queryset=stops, to_attr="ordered_stops"))


def week_of(day: date) -> tuple[date, date]:
    monday = day - timedelta(days=day.weekday())
    return monday, monday + timedelta(days=6)


def team_by_token(token: str) -> Team | None:
    if not token:
        return None
    return Team.objects.filter(feed_token=token, is_active=True).first()


def unit_weights(listings) -> dict[int, Decimal]:
    """The reference weight of one item of each listing (by its category's reference
    item, as the statistics count it), in one query; listings without one are absent."""
    codes = {listing.pk: listing.category.reference_code for listing in listings
             if listing.category.reference_code}
    weights = dict(ReferenceItem.objects.filter(code__in=set(codes.values()))
                   .values_list("code", "typical_weight_kg"))
    return {pk: weights[code] for pk, code in codes.items() if code in weights}
