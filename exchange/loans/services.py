"""Writes of the loans: lendable items and their photos, bookings (request, approve,
decline, cancel), pickup and return, damage, late-return reminders.

The stock rule: on every day, the units of an item held by its approved or picked-up
bookings never exceed its quantity. PostgreSQL answers it, not a Python loop: the item's
row is locked (`SELECT … FOR UPDATE`), so two decisions on the same item take turns, then
one aggregate over `generate_series` gives the busiest day of the requested period
(`peak_held`)."""

from __future__ import annotations

import uuid
from datetime import date

from django.core.files.base import ContentFile
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.permissions import (
    can_borrow,
    can_cancel_booking,
    can_lend,
    can_manage_lendable_item,
    can_manage_loans_of,
)
from exchange.listings.errors import ExchangeError
from exchange.listings.photos import MAX_PHOTOS, cleaned_jpegs
from exchange.loans import notifications
from exchange.loans.models import (
    HOLDING_STATUSES,
    Booking,
    BookingPhoto,
    BookingStatus,
    Borrowers,
    DamageNote,
    LendableItem,
    LendablePhoto,
    LoanFeed,
    PhotoStage,
)
from exchange.partners.grounds import PartnerGrantGround
from exchange.partners.models import Scope
from exchange.sharing.grounds import SharingAgreementGround
from exchange.sharing.selectors import sharing_partners_of
from tenants.background import after_commit
from tenants.crossing import CrossingRefused, in_authority
from tenants.models import Authority

ITEM_FIELDS = ("title", "description", "quantity", "conditions", "unit_value", "borrowers",
               "site", "is_active")
MAX_BOOKING_DAYS = 92  # a loan is for an event or a season, not a gift


class LoanError(ExchangeError):
    """A rule of the loans refused the action; `code` names the rule (and the field).
    A photo that is not a real image raises the listings' ExchangeError
    (exchange.listings.photos): callers catch ExchangeError."""


def today() -> date:
    return timezone.localdate()


# --- Lendable items -------------------------------------------------------------------

def _check_item(data: dict) -> None:
    if not (data.get("title") or "").strip():
        raise LoanError(_("Give the item a title."), code="title")
    quantity = data.get("quantity")
    if quantity is None or quantity < 1:
        raise LoanError(_("The quantity in stock is at least 1."), code="quantity")
    if data.get("borrowers", Borrowers.AUTHORITY) not in Borrowers.values:
        raise LoanError(_("Choose who may borrow the item."), code="borrowers")
    value = data.get("unit_value")
    if value is not None and value < 0:
        raise LoanError(_("A value cannot be negative."), code="unit_value")


@transaction.atomic
def create_item(*, actor: User, service=None, **data) -> LendableItem:
    """Register equipment `service` (by default the actor's) lends."""
    service = service or actor.service
    if not can_lend(actor) or service is None or not can_manage_loans_of(actor, service.pk):
        raise LoanError(_("You cannot register equipment for this service."),
                        code="forbidden")
    _check_item(data)
    feed_for(service)  # the service's calendar feed exists once it lends something
    return LendableItem.objects.create(
        service=service, created_by=actor,
        **{k: v for k, v in data.items() if k in ITEM_FIELDS})


@transaction.atomic
def update_item(*, item: LendableItem, actor: User, **data) -> LendableItem:
    item = LendableItem.objects.select_for_update().get(pk=item.pk)
    if not can_manage_lendable_item(actor, item):
        raise LoanError(_("You cannot change this item."), code="forbidden")
    merged = {field: getattr(item, field) for field in ITEM_FIELDS} | data
    _check_item(merged)
    for field in ITEM_FIELDS:
        if field in data:
            setattr(item, field, data[field])
    item.save()
    return item


@transaction.atomic
def add_item_photo(*, item: LendableItem, actor: User, upload) -> LendablePhoto:
    """A photo of the item, checked and cleaned like a listing's (exchange.listings.photos)."""
    item = LendableItem.objects.select_for_update().get(pk=item.pk)
    if not can_manage_lendable_item(actor, item):
        raise LoanError(_("You cannot add photos to this item."), code="forbidden")
    if item.photos.count() >= MAX_PHOTOS:
        raise LoanError(_("An item has %(max)s photos at most.") % {"max": MAX_PHOTOS},
                        code="too_many_photos")
    full, (width, height), thumbnail = cleaned_jpegs(upload)
    position = (item.photos.aggregate(last=Max("position"))["last"] or 0) + 1
    photo = LendablePhoto(item=item, position=position, width=width, height=height)
    name = uuid.uuid4().hex
    photo.image.save(f"items/{item.pk}/{name}.jpg", ContentFile(full), save=False)
    photo.thumbnail.save(f"items/{item.pk}/{name}-thumb.jpg", ContentFile(thumbnail),
                         save=False)
    photo.save()
    return photo


def note_damage(*, item: LendableItem, actor: User, note: str, quantity: int = 1,
                booking: Booking | None = None) -> DamageNote:
    """Damage noted on the item: a line of its history (never edited nor deleted)."""
    if not can_manage_lendable_item(actor, item):
        raise LoanError(_("You cannot note damage on this item."), code="forbidden")
    if not (note or "").strip():
        raise LoanError(_("Describe the damage."), code="damage_note")
    if quantity < 1 or quantity > item.quantity:
        raise LoanError(_("Between 1 and %(max)s units can be damaged.")
                        % {"max": item.quantity}, code="damaged")
    return DamageNote.objects.create(item=item, booking=booking, quantity=quantity,
                                     note=note.strip(), recorded_by=actor)


def feed_for(service) -> LoanFeed:
    """The service's secret iCalendar address, made on first use."""
    feed, _created = LoanFeed.objects.get_or_create(service=service)
    return feed


# --- The stock rule -------------------------------------------------------------------

PEAK_SQL = """
SELECT COALESCE(MAX(held), 0) FROM (
    SELECT day, SUM(b.quantity) AS held
    FROM generate_series(%(start)s::date, %(end)s::date, interval '1 day') AS day
    JOIN loans_booking b
      ON b.item_id = %(item)s AND b.status = ANY(%(statuses)s)
     AND b.start <= day::date AND b."end" >= day::date AND b.id <> %(exclude)s
    GROUP BY day
) AS per_day
"""


def peak_held(item_id: int, start: date, end: date, *, exclude: int | None = None) -> int:
    """The most units of the item held on one day of [start, end] by approved or
    picked-up bookings (other than `exclude`): one query."""
    with connection.cursor() as cursor:
        cursor.execute(PEAK_SQL, {"start": start, "end": end, "item": item_id,
                                  "statuses": list(HOLDING_STATUSES),
                                  "exclude": exclude or 0})
        return cursor.fetchone()[0]


def _check_stock(item: LendableItem, start: date, end: date, quantity: int,
                 exclude: int | None = None) -> None:
    """Call with the item's row locked."""
    free = item.quantity - peak_held(item.pk, start, end, exclude=exclude)
    if quantity > free:
        raise LoanError(
            _("Only %(free)s of %(stock)s are free on these dates: other bookings hold "
              "the rest.") % {"free": max(free, 0), "stock": item.quantity},
            code="overbooked")


def _check_request(item: LendableItem, start, end, quantity) -> None:
    if start is None:
        raise LoanError(_("Choose the first day of the loan."), code="start")
    if end is None:
        raise LoanError(_("Choose the last day of the loan."), code="end")
    if start < today():
        raise LoanError(_("The loan cannot start in the past."), code="start")
    if end < start:
        raise LoanError(_("The last day cannot be before the first."), code="end")
    if (end - start).days + 1 > MAX_BOOKING_DAYS:
        raise LoanError(_("A loan lasts %(max)s days at most.") % {"max": MAX_BOOKING_DAYS},
                        code="end")
    if quantity is None or quantity < 1:
        raise LoanError(_("Borrow at least one unit."), code="quantity")
    if quantity > item.quantity:
        raise LoanError(_("There are only %(stock)s in stock.") % {"stock": item.quantity},
                        code="quantity")


# --- Bookings -------------------------------------------------------------------------

@transaction.atomic
def request_booking(*, item: LendableItem, actor: User, start: date, end: date,
                    quantity: int, purpose: str = "") -> Booking:
    """An agent asks to borrow `quantity` units from `start` to `end` (days included).
    Refused at once when the approved bookings already hold too many units those days;
    the owning service decides."""
    if not can_borrow(actor):
        raise LoanError(_("You cannot borrow equipment."), code="forbidden")
    item = LendableItem.objects.select_for_update().get(pk=item.pk)
    if not item.is_active:
        raise LoanError(_("This item is no longer lent."), code="inactive")
    _check_request(item, start, end, quantity)
    _check_stock(item, start, end, quantity)
    booking = Booking.objects.create(item=item, borrower=actor,
                                     borrower_service=actor.service, quantity=quantity,
                                     start=start, end=end, purpose=(purpose or "").strip())
    after_commit(notifications.booking_requested, booking.pk)
    return booking


def request_shared_booking(*, viewer: Authority, owner_slug: str, item_id: int, actor: User,
                           start: date, end: date, quantity: int,
                           purpose: str = "") -> Booking:
    """An agent of `viewer` asks to borrow an item of an authority that shares with it
    and lends it to its sharing partners. The booking is written in the owner's schema,
    through the tenancy layer (the agreement is checked at the moment of crossing); the
    owner's service decides like for its own agents, and mails the agent's address."""
    if not can_borrow(actor):
        raise LoanError(_("You cannot borrow equipment."), code="forbidden")
    owner = sharing_partners_of(viewer).filter(slug=owner_slug).first()
    if owner is None:
        raise LoanError(_("This item is not lent to your authority."), code="not_found")
    label = f"{actor.first_name} {actor.last_name}"
    if actor.service_id:
        label += f" ({actor.service.name})"
    label += f" — {viewer.name}"
    try:
        with in_authority(owner, ground=SharingAgreementGround(viewer)), \
                transaction.atomic():
            item = (LendableItem.objects.select_for_update()
                    .filter(pk=item_id, is_active=True,
                            borrowers__in=[Borrowers.SHARING, Borrowers.PARTNERS]).first())
            if item is None:
                raise LoanError(_("This item is not lent to your authority."),
                                code="not_found")
            _check_request(item, start, end, quantity)
            _check_stock(item, start, end, quantity)
            booking = Booking.objects.create(
                item=item, borrower=None, borrower_authority=viewer.slug,
                borrower_label=label[:300], borrower_email=actor.email, quantity=quantity,
                start=start, end=end, purpose=(purpose or "").strip())
            after_commit(notifications.booking_requested, booking.pk)
    except CrossingRefused as refused:
        raise LoanError(_("This item is not lent to your authority."),
                        code="not_found") from refused
    return booking


def request_partner_booking(*, partner, api_key, authority: Authority, item_id: int,
                            start: date, end: date, quantity: int,
                            purpose: str = "") -> Booking:
    """A partner with a grant (`listings:request`) of `authority` asks to borrow an item
    open to partners, through the partner API. Written in the authority's schema through
    the tenancy layer (the grant is checked at the moment of crossing); the owning
    service decides, and its answer goes to the partner's contact address."""
    ground = PartnerGrantGround(partner, Scope.LISTINGS_REQUEST, api_key)
    try:
        with in_authority(authority, ground=ground), transaction.atomic():
            item = (LendableItem.objects.select_for_update()
                    .filter(pk=item_id, is_active=True, borrowers=Borrowers.PARTNERS).first())
            if item is None:
                raise LoanError(_("This item is not lent to partners."), code="not_found")
            _check_request(item, start, end, quantity)
            _check_stock(item, start, end, quantity)
            booking = Booking.objects.create(
                item=item, borrower=None, borrower_partner_id=partner.pk,
                borrower_label=f"{partner.legal_name} ({partner.contact_name})"[:300],
                borrower_email=partner.contact_email, quantity=quantity, start=start,
                end=end, purpose=(purpose or "").strip())
            after_commit(notifications.booking_requested, booking.pk)
    except CrossingRefused as refused:
        raise LoanError(_("This item is not lent to partners."), code="not_found") from refused
    return booking


def _locked(booking: Booking) -> tuple[Booking, LendableItem]:
    """The item's row first (the stock rule's lock), then the booking's."""
    item = LendableItem.objects.select_for_update().get(pk=booking.item_id)
    booking = Booking.objects.select_for_update().get(pk=booking.pk)
    booking.item = item
    return booking, item


def _decide(booking: Booking, actor: User) -> tuple[Booking, LendableItem]:
    booking, item = _locked(booking)
    if not can_manage_lendable_item(actor, item):
        raise LoanError(_("Only the service that lends the item decides."), code="forbidden")
    if booking.status != BookingStatus.REQUESTED:
        raise LoanError(_("This booking was already answered."), code="state")
    return booking, item


@transaction.atomic
def approve_booking(*, booking: Booking, actor: User, message: str = "") -> Booking:
    """The owning service says yes, if the stock still allows it on every day."""
    booking, item = _decide(booking, actor)
    _check_stock(item, booking.start, booking.end, booking.quantity, exclude=booking.pk)
    booking.status = BookingStatus.APPROVED
    booking.decision_message = (message or "").strip()
    booking.decided_by, booking.decided_at = actor, timezone.now()
    booking.save()
    after_commit(notifications.booking_decided, booking.pk)
    return booking


@transaction.atomic
def decline_booking(*, booking: Booking, actor: User, message: str) -> Booking:
    """The owning service says no, and why."""
    booking, _item = _decide(booking, actor)
    if not (message or "").strip():
        raise LoanError(_("Tell the agent why you decline."), code="message")
    booking.status = BookingStatus.DECLINED
    booking.decision_message = message.strip()
    booking.decided_by, booking.decided_at = actor, timezone.now()
    booking.save()
    after_commit(notifications.booking_decided, booking.pk)
    return booking


@transaction.atomic
def cancel_booking(*, booking: Booking, actor: User) -> Booking:
    booking, _item = _locked(booking)
    if not can_cancel_booking(actor, booking):
        raise LoanError(_("You cannot cancel this booking."), code="forbidden")
    if booking.status not in (BookingStatus.REQUESTED, BookingStatus.APPROVED):
        raise LoanError(_("Only a booking not yet picked up can be cancelled."),
                        code="state")
    booking.status = BookingStatus.CANCELLED
    booking.save(update_fields=["status"])
    return booking


def _add_photos(booking: Booking, stage: str, uploads) -> None:
    for upload in uploads or ():
        full, _size, thumbnail = cleaned_jpegs(upload)
        photo = BookingPhoto(booking=booking, stage=stage)
        name = uuid.uuid4().hex
        photo.image.save(f"bookings/{booking.pk}/{name}.jpg", ContentFile(full), save=False)
        photo.thumbnail.save(f"bookings/{booking.pk}/{name}-thumb.jpg",
                             ContentFile(thumbnail), save=False)
        photo.save()


@transaction.atomic
def record_pickup(*, booking: Booking, actor: User, condition: str = "",
                  photos=()) -> Booking:
    """The owning service hands the items over, noting their condition."""
    booking, item = _locked(booking)
    if not can_manage_lendable_item(actor, item):
        raise LoanError(_("Only the service that lends the item records the pickup."),
                        code="forbidden")
    if booking.status != BookingStatus.APPROVED:
        raise LoanError(_("Only an approved booking can be picked up."), code="state")
    if len(photos or ()) > MAX_PHOTOS:
        raise LoanError(_("%(max)s photos at most.") % {"max": MAX_PHOTOS}, code="photos")
    booking.status = BookingStatus.PICKED_UP
    booking.picked_up_at = timezone.now()
    booking.pickup_condition = (condition or "").strip()
    booking.save()
    _add_photos(booking, PhotoStage.PICKUP, photos)
    return booking


@transaction.atomic
def record_return(*, booking: Booking, actor: User, condition: str = "", damaged: int = 0,
                  damage_note: str = "", photos=()) -> Booking:
    """The items come back: their condition, and any damage noted on the item."""
    booking, item = _locked(booking)
    if not can_manage_lendable_item(actor, item):
        raise LoanError(_("Only the service that lends the item records the return."),
                        code="forbidden")
    if booking.status != BookingStatus.PICKED_UP:
        raise LoanError(_("The items cannot come back before they were picked up."),
                        code="state")
    if damaged < 0 or damaged > booking.quantity:
        raise LoanError(_("Between 0 and %(max)s units can be damaged.")
                        % {"max": booking.quantity}, code="damaged")
    if damaged and not (damage_note or "").strip():
        raise LoanError(_("Describe the damage."), code="damage_note")
    if len(photos or ()) > MAX_PHOTOS:
        raise LoanError(_("%(max)s photos at most.") % {"max": MAX_PHOTOS}, code="photos")
    booking.status = BookingStatus.RETURNED
    booking.returned_at = timezone.now()
    booking.return_condition = (condition or "").strip()
    booking.save()
    if damaged:
        note_damage(item=item, actor=actor, note=damage_note, quantity=damaged,
                    booking=booking)
    _add_photos(booking, PhotoStage.RETURN, photos)
    return booking


@transaction.atomic
def send_late_reminders() -> int:
    """Remind the borrowers of picked-up bookings past their last day, once a day at
    most per booking: the late rows not yet reminded today are locked (`FOR UPDATE SKIP
    LOCKED`, so a run at the same time skips them) and their `last_reminder_on` set to
    today in the same transaction; the e-mails leave after commit. In the current
    schema."""
    day = today()
    late = list(Booking.objects.select_for_update(skip_locked=True).filter(
        status=BookingStatus.PICKED_UP, end__lt=day).exclude(last_reminder_on=day)
        .values_list("pk", flat=True))
    Booking.objects.filter(pk__in=late).update(last_reminder_on=day)
    for pk in late:
        after_commit(notifications.late_return, pk)
    return len(late)
