"""The loans' pages: the lending catalogue, an item's page with its month calendar and
booking form, a service's calendar, a booking's page with the owners' decisions, pickup
and return, and the service's iCalendar feed (a secret URL, no login).

HTTP in, a selector or service call, a page out: the rules are in
exchange.loans.services and accounts.permissions."""

from __future__ import annotations

from datetime import date, timedelta

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.db import transaction
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import Service
from accounts.permissions import (
    borrower_required,
    can_cancel_booking,
    can_manage_lendable_item,
    can_manage_loans_of,
    lender_required,
)
from exchange.listings.errors import ExchangeError
from exchange.loans import ical, selectors, services
from exchange.loans.forms import (
    BookingForm,
    DamageForm,
    DecisionForm,
    ItemForm,
    PickupForm,
    ReturnForm,
)
from exchange.loans.models import Booking, BookingPhoto, BookingStatus, LendableItem, LendablePhoto

PHOTO_SIZES = {"full": "image", "thumb": "thumbnail"}


def _month(request) -> tuple[int, int]:
    """The month asked for (?month=YYYY-MM), this month when absent or malformed."""
    value = request.GET.get("month", "")
    try:
        year, month = (int(part) for part in value.split("-"))
        date(year, month, 1)
    except ValueError:
        today = timezone.localdate()
        return today.year, today.month
    return year, month


def _month_context(year: int, month: int) -> dict:
    first, last = selectors.month_bounds(year, month)
    previous = first - timedelta(days=1)
    following = last + timedelta(days=1)
    return {"first": first, "last": last,
            "previous_month": f"{previous.year}-{previous.month:02d}",
            "next_month": f"{following.year}-{following.month:02d}"}


@borrower_required
@require_GET
def catalogue(request):
    items = selectors.catalogue()
    return render(request, "loans/catalogue.html", {
        "items": items,
        "waiting": (selectors.waiting_bookings(request.user.service_id)
                    if request.user.service_id else []),
        "my_bookings": selectors.bookings_of(request.user)[:20],
    })


@lender_required
@require_http_methods(["GET", "POST"])
def item_create(request):
    form = ItemForm(request.POST or None, request.FILES or None, initial={"quantity": 1})
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                item = services.create_item(actor=request.user, **form.item_data())
                for upload in form.cleaned_data["photos"]:
                    services.add_item_photo(item=item, actor=request.user, upload=upload)
        except ExchangeError as error:
            form.add_service_error(error)
        else:
            messages.success(request, _("The item is in the lending catalogue."))
            return redirect("loans:item_detail", item.pk)
    return render(request, "loans/item_form.html", {"form": form, "item": None})


def _item_or_404(pk: int) -> LendableItem:
    return get_object_or_404(LendableItem.objects.select_related("service", "site"), pk=pk)


@lender_required
@require_http_methods(["GET", "POST"])
def item_edit(request, pk: int):
    item = _item_or_404(pk)
    if not can_manage_lendable_item(request.user, item):
        raise PermissionDenied
    initial = {field: getattr(item, field) for field in services.ITEM_FIELDS}
    form = ItemForm(request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                services.update_item(item=item, actor=request.user, **form.item_data())
                for upload in form.cleaned_data["photos"]:
                    services.add_item_photo(item=item, actor=request.user, upload=upload)
        except ExchangeError as error:
            form.add_service_error(error)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("loans:item_detail", item.pk)
    return render(request, "loans/item_form.html", {"form": form, "item": item})


def _render_item(request, item: LendableItem, *, form=None, damage_form=None, status=200):
    year, month = _month(request)
    context = _month_context(year, month)
    held = selectors.held_per_day(item.pk, context["first"], context["last"])
    days = [(context["first"] + timedelta(days=n)) for n in range(context["last"].day)]
    manages = can_manage_lendable_item(request.user, item)
    return render(request, "loans/item_detail.html", {
        **context, "item": item, "photos": list(item.photos.all()),
        "days": [(day, held.get(day, 0), item.quantity - held.get(day, 0)) for day in days],
        "bookings": selectors.bookings_between(context["first"], context["last"],
                                               item_id=item.pk),
        "form": form or BookingForm(initial={"quantity": 1}),
        "damage_form": damage_form or DamageForm(),
        "damages": list(item.damages.select_related("recorded_by")) if manages else [],
        "manages": manages,
    }, status=status)


@borrower_required
@require_GET
def item_detail(request, pk: int):
    return _render_item(request, _item_or_404(pk))


@borrower_required
@require_POST
def item_book(request, pk: int):
    item = _item_or_404(pk)
    form = BookingForm(request.POST)
    if form.is_valid():
        try:
            booking = services.request_booking(item=item, actor=request.user,
                                               **form.cleaned_data)
        except ExchangeError as error:
            form.add_service_error(error)
        else:
            messages.success(request, _("Your request is sent to the service that lends "
                                        "the item."))
            return redirect("loans:booking_detail", booking.pk)
    return _render_item(request, item, form=form, status=400)


@lender_required
@require_POST
def item_damage(request, pk: int):
    item = _item_or_404(pk)
    if not can_manage_lendable_item(request.user, item):
        raise PermissionDenied
    form = DamageForm(request.POST)
    if form.is_valid():
        try:
            services.note_damage(item=item, actor=request.user, **form.cleaned_data)
        except ExchangeError as error:
            form.add_service_error(error)
        else:
            messages.success(request, _("The damage is noted on the item."))
            return redirect("loans:item_detail", item.pk)
    return _render_item(request, item, damage_form=form, status=400)


def _file(name: str):
    try:
        stream = default_storage.open(name, "rb")
    except (FileNotFoundError, OSError) as error:
        raise Http404 from error
    response = FileResponse(stream, content_type="image/jpeg")
    patch_cache_control(response, private=True, max_age=3600)
    return response


@borrower_required
@require_GET
def item_photo(request, pk: int, photo_pk: int, size: str):
    if size not in PHOTO_SIZES:
        raise Http404
    photo = get_object_or_404(LendablePhoto, pk=photo_pk, item_id=pk)
    return _file(getattr(photo, PHOTO_SIZES[size]).name)


def _booking_or_404(request, pk: int) -> Booking:
    """A booking is seen by its borrower and by the owning service (and admins)."""
    booking = get_object_or_404(
        Booking.objects.select_related("item", "item__service", "item__site", "borrower",
                                       "borrower_service"), pk=pk)
    if booking.borrower_id != request.user.pk and not can_manage_lendable_item(
            request.user, booking.item):
        raise Http404
    return booking


def _render_booking(request, booking: Booking, *, forms=None, status=200):
    forms = forms or {}
    return render(request, "loans/booking_detail.html", {
        "booking": booking,
        "manages": can_manage_lendable_item(request.user, booking.item),
        "may_cancel": (can_cancel_booking(request.user, booking) and booking.status in
                       (BookingStatus.REQUESTED, BookingStatus.APPROVED)),
        "decision_form": forms.get("decision") or DecisionForm(),
        "pickup_form": forms.get("pickup") or PickupForm(),
        "return_form": forms.get("return") or ReturnForm(),
        "photos": list(booking.photos.all()),
        "damages": list(booking.damages.all()),
    }, status=status)


@borrower_required
@require_GET
def booking_detail(request, pk: int):
    return _render_booking(request, _booking_or_404(request, pk))


def _act(request, pk: int, form_class, key: str, action, success: str):
    booking = _booking_or_404(request, pk)
    form = form_class(request.POST, request.FILES or None)
    if form.is_valid():
        try:
            action(booking, form.cleaned_data)
        except ExchangeError as error:
            if getattr(error, "code", "") == "forbidden":
                raise PermissionDenied from error
            form.add_service_error(error)
        else:
            messages.success(request, success)
            return redirect("loans:booking_detail", booking.pk)
    return _render_booking(request, booking, forms={key: form}, status=400)


@borrower_required
@require_POST
def booking_approve(request, pk: int):
    return _act(request, pk, DecisionForm, "decision", lambda booking, data:
                services.approve_booking(booking=booking, actor=request.user, **data),
                _("The booking is approved; the agent is told."))


@borrower_required
@require_POST
def booking_decline(request, pk: int):
    return _act(request, pk, DecisionForm, "decision", lambda booking, data:
                services.decline_booking(booking=booking, actor=request.user, **data),
                _("The booking is declined; the agent is told."))


@borrower_required
@require_POST
def booking_pickup(request, pk: int):
    return _act(request, pk, PickupForm, "pickup", lambda booking, data:
                services.record_pickup(booking=booking, actor=request.user, **data),
                _("The pickup is recorded."))


@borrower_required
@require_POST
def booking_return(request, pk: int):
    return _act(request, pk, ReturnForm, "return", lambda booking, data:
                services.record_return(booking=booking, actor=request.user, **data),
                _("The return is recorded."))


@borrower_required
@require_POST
def booking_cancel(request, pk: int):
    booking = _booking_or_404(request, pk)
    try:
        services.cancel_booking(booking=booking, actor=request.user)
    except ExchangeError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("The booking is cancelled."))
    return redirect("loans:booking_detail", booking.pk)


@borrower_required
@require_GET
def booking_photo(request, pk: int, photo_pk: int, size: str):
    if size not in PHOTO_SIZES:
        raise Http404
    booking = _booking_or_404(request, pk)
    photo = get_object_or_404(BookingPhoto, pk=photo_pk, booking=booking)
    return _file(getattr(photo, PHOTO_SIZES[size]).name)


@borrower_required
@require_GET
def service_calendar(request, service_pk: int):
    """The bookings of a service's items in a month; the feed's address for its members."""
    service = get_object_or_404(Service, pk=service_pk)
    year, month = _month(request)
    context = _month_context(year, month)
    manages = can_manage_loans_of(request.user, service.pk)
    return render(request, "loans/service_calendar.html", {
        **context, "service": service, "manages": manages,
        "bookings": selectors.bookings_between(context["first"], context["last"],
                                               service_id=service.pk),
        "feed": selectors.feed_of(service.pk) if manages else None,
    })


@borrower_required
@require_GET
def shared_catalogue(request):
    """What the authorities sharing with this one lend to their partners."""
    return render(request, "loans/shared_catalogue.html", {
        "shared": selectors.shared_catalogue(request.tenant)})


@borrower_required
@require_http_methods(["GET", "POST"])
def shared_item(request, authority_slug: str, pk: int):
    """An item of another authority and the booking form; 404 when it is not lent to
    this one (no sharing now, or not open to sharing partners)."""
    found = selectors.shared_item(request.tenant, authority_slug, pk)
    if found is None:
        raise Http404
    form = BookingForm(request.POST or None, initial={"quantity": 1})
    if request.method == "POST" and form.is_valid():
        try:
            services.request_shared_booking(viewer=request.tenant, owner_slug=authority_slug,
                                            item_id=pk, actor=request.user,
                                            **form.cleaned_data)
        except ExchangeError as error:
            if error.code == "not_found":
                raise Http404 from error
            form.add_service_error(error)
        else:
            messages.success(request, _("Your request is sent to the service that lends "
                                        "the item; its answer will come by e-mail."))
            return redirect("loans:shared_catalogue")
    return render(request, "loans/shared_item.html", {
        "shared": found, "item": found.item, "form": form},
        status=400 if request.method == "POST" else 200)


@require_GET
def service_feed(request, token: str):
    """The service's bookings as iCalendar (RFC 5545), for Outlook or Thunderbird: the
    secret token is the only key, like a calendar's private address."""
    feed = selectors.feed_by_token(token)
    if feed is None:
        raise Http404
    today = timezone.localdate()
    bookings = selectors.bookings_between(today - timedelta(days=90),
                                          today + timedelta(days=365),
                                          service_id=feed.service_id)
    response = HttpResponse(ical.calendar(feed.service, bookings, request.get_host()),
                            content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="prets.ics"'
    patch_cache_control(response, private=True, no_cache=True)
    return response
