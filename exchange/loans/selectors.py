"""Reads of the loans (never write)."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import connection
from django.db.models import Prefetch, QuerySet

from accounts.models import User
from exchange.loans.models import (
    HOLDING_STATUSES,
    Booking,
    BookingStatus,
    Borrowers,
    LendableItem,
    LendablePhoto,
    LoanFeed,
)
from exchange.partners.grounds import PartnerGrantGround
from exchange.partners.models import Scope
from exchange.partners.selectors import granting_authority_ids
from exchange.sharing.grounds import SharingAgreementGround
from exchange.sharing.selectors import sharing_partners_of
from tenants.crossing import CrossingRefused, in_authority, may_cross
from tenants.models import Authority

LENT_STATUSES = (BookingStatus.PICKED_UP, BookingStatus.RETURNED)


def catalogue() -> QuerySet[LendableItem]:
    """The authority's lendable items, with their service, site and first photos."""
    return (LendableItem.objects.filter(is_active=True)
            .select_related("service", "site")
            .prefetch_related(Prefetch("photos", queryset=LendablePhoto.objects.all())))


def items_of_service(service_id: int) -> QuerySet[LendableItem]:
    return LendableItem.objects.filter(service_id=service_id).select_related("service", "site")


def month_bounds(year: int, month: int) -> tuple[date, date]:
    return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])


def bookings_between(start: date, end: date, *, item_id: int | None = None,
                     service_id: int | None = None) -> QuerySet[Booking]:
    """Bookings (not declined nor cancelled) overlapping [start, end], of one item or of
    the items of one service, with their item and borrower: one query."""
    bookings = (Booking.objects.filter(start__lte=end, end__gte=start)
                .exclude(status__in=[BookingStatus.DECLINED, BookingStatus.CANCELLED])
                .select_related("item", "borrower", "borrower_service"))
    if item_id is not None:
        bookings = bookings.filter(item_id=item_id)
    if service_id is not None:
        bookings = bookings.filter(item__service_id=service_id)
    return bookings.order_by("start", "id")


def waiting_bookings(service_id: int) -> QuerySet[Booking]:
    """Requests the service has not answered yet."""
    return (Booking.objects.filter(item__service_id=service_id,
                                   status=BookingStatus.REQUESTED)
            .select_related("item", "borrower", "borrower_service").order_by("start", "id"))


def bookings_of(user: User) -> QuerySet[Booking]:
    return (Booking.objects.filter(borrower=user).select_related("item", "item__service")
            .order_by("-start", "-id"))


HELD_PER_DAY_SQL = """
SELECT day::date, SUM(b.quantity)
FROM generate_series(%(start)s::date, %(end)s::date, interval '1 day') AS day
JOIN loans_booking b
  ON b.item_id = %(item)s AND b.status = ANY(%(statuses)s)
 AND b.start <= day::date AND b."end" >= day::date
GROUP BY day ORDER BY day
"""


def held_per_day(item_id: int, start: date, end: date) -> dict[date, int]:
    """Units held by approved or picked-up bookings on each day of [start, end] that
    has any (the same per-day sum as the stock rule's), in one query."""
    with connection.cursor() as cursor:
        cursor.execute(HELD_PER_DAY_SQL, {"start": start, "end": end, "item": item_id,
                                          "statuses": list(HOLDING_STATUSES)})
        return {day: int(held) for day, held in cursor.fetchall()}


def service_addresses(service_id: int) -> list[str]:
    """Who hears of a loan request: the active members of the owning service."""
    return list(User.objects.filter(service_id=service_id, is_active=True)
                .order_by("email").values_list("email", flat=True))


def feed_of(service_id: int) -> LoanFeed | None:
    return LoanFeed.objects.filter(service_id=service_id).first()


def feed_by_token(token: str) -> LoanFeed | None:
    return LoanFeed.objects.select_related("service").filter(token=token).first()


@dataclass(frozen=True)
class LoanFigures:
    """What the loans of a period saved (docs/architecture.md, "Loans in the
    statistics"): `unit_days` units × days lent, `bookings` loans that took place,
    `purchases_avoided_eur` the declared value of one unit × the units of each loan,
    summed over loans (each loan is a purchase the borrower did not make)."""

    bookings: int
    unit_days: int
    purchases_avoided_eur: Decimal


FIGURES_SQL = """
SELECT COUNT(*),
       COALESCE(SUM((LEAST(b."end", %(end)s) - GREATEST(b.start, %(start)s) + 1) * b.quantity), 0),
       COALESCE(SUM(b.quantity * i.unit_value), 0)
FROM loans_booking b JOIN loans_lendableitem i ON i.id = b.item_id
WHERE b.status = ANY(%(statuses)s) AND b.start <= %(end)s AND b."end" >= %(start)s
"""


def loan_figures(start: date, end: date) -> LoanFigures:
    """Loans picked up (or already returned) whose days meet [start, end], in the
    current schema; days are counted inside the period only. One query."""
    with connection.cursor() as cursor:
        cursor.execute(FIGURES_SQL, {"start": start, "end": end,
                                     "statuses": list(LENT_STATUSES)})
        bookings, unit_days, avoided = cursor.fetchone()
    return LoanFigures(bookings=bookings, unit_days=int(unit_days),
                       purchases_avoided_eur=Decimal(avoided))


# --- Equipment of the authorities sharing with this one (through tenants.crossing) ------

@dataclass(frozen=True)
class SharedItem:
    """An item another authority lends to its sharing partners, read in its schema."""

    authority: Authority
    item: LendableItem


def _open_to_sharing() -> QuerySet[LendableItem]:
    return (LendableItem.objects.filter(is_active=True,
                                        borrowers__in=[Borrowers.SHARING, Borrowers.PARTNERS])
            .select_related("service", "site"))


def shared_catalogue(viewer: Authority) -> list[SharedItem]:
    """The items the authorities sharing with `viewer` lend to their partners: one
    crossing (and one query) per such authority, each checked at the moment of crossing."""
    found: list[SharedItem] = []
    for owner in sharing_partners_of(viewer):
        try:
            with in_authority(owner, ground=SharingAgreementGround(viewer)):
                found += [SharedItem(owner, item) for item in _open_to_sharing()]
        except CrossingRefused:
            continue  # the agreement ended between the list and the crossing
    return found


def shared_item(viewer: Authority, owner_slug: str, item_id: int) -> SharedItem | None:
    """One item `owner_slug` lends to `viewer`, or None (no such authority, no sharing,
    or the item is not open to sharing partners)."""
    owner = sharing_partners_of(viewer).filter(slug=owner_slug).first()
    if owner is None:
        return None
    try:
        with in_authority(owner, ground=SharingAgreementGround(viewer)):
            item = _open_to_sharing().filter(pk=item_id).first()
    except CrossingRefused:
        return None
    return SharedItem(owner, item) if item is not None else None


# --- Equipment lent to a partner with a grant (the partner API) ------------------------

def partner_catalogue(partner, api_key) -> list[SharedItem]:
    """The items open to partners in each authority whose grant lets `api_key` (of
    `partner`) read now: one crossing per authority, the grant checked at each."""
    found: list[SharedItem] = []
    ground = PartnerGrantGround(partner, Scope.LISTINGS_READ, api_key)
    ids = granting_authority_ids(partner, Scope.LISTINGS_READ, api_key)
    for owner in Authority.objects.filter(pk__in=ids).order_by("slug"):
        try:
            with in_authority(owner, ground=ground):
                found += [SharedItem(owner, item) for item in LendableItem.objects.filter(
                    is_active=True, borrowers=Borrowers.PARTNERS)
                    .select_related("service", "site")]
        except CrossingRefused:
            continue  # the grant ended, or the authority stopped being live, meanwhile
    return found


def partner_may_book(partner, api_key, authority: Authority) -> bool:
    """Whether `api_key` (of `partner`) holds `listings:request` in `authority` now: the
    ground alone, before the request's body is read."""
    return may_cross(authority, PartnerGrantGround(partner, Scope.LISTINGS_REQUEST, api_key))
