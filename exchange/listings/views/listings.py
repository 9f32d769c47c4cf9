"""Agents' pages: the feed, a listing's page and forms, its photos, contact, reservation,
visibility and closure, the PDF record of a transfer, "Je recherche…" requests and saved
searches.

Each view translates: HTTP in, a selector or service call, a page out. Rules live in
exchange.listings.services / exchange.listings.photos (writes), exchange.listings.selectors
(reads) and
exchange.listings.permissions (who may do what). A listing another member may not see is a 404,
like a listing of another authority (it is not in this schema at all).
"""

from __future__ import annotations

import hashlib
import re

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.core.paginator import Paginator
from django.db import transaction
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.http import urlencode
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.permissions import agent_required, exchange_member_required
from core import cache as authority_cache
from core.pagination import CountingPaginator
from core.unavailable import RETRY_AFTER_SECONDS
from exchange.listings import photos, selectors, transfer_records
from exchange.listings.actions import listing_actions
from exchange.listings.errors import ExchangeError
from exchange.listings.forms import (
    CloseForm,
    ContactForm,
    FeedFilterForm,
    ListingForm,
    NewListingForm,
    PhotoForm,
    ReserveForm,
    SavedSearchForm,
    VisibilityForm,
    WantedForm,
)
from exchange.listings.models import (
    ClosureReason,
    Listing,
    ListingPhoto,
    ListingStatus,
    Transfer,
    WantedRequest,
)
from exchange.listings.permissions import (
    can_close,
    can_close_wanted,
    can_confirm_outlier,
    can_contact,
    can_edit,
    can_extend,
    can_see_value,
    can_submit,
    can_view,
    is_poster,
)
from exchange.listings.recipients import RecipientKind, receipts_of, recipient_choices
from exchange.listings.services.closure import close_listing, quantity_left, unit_value
from exchange.listings.services.contact import contact_poster
from exchange.listings.services.expiry import extend_listing
from exchange.listings.services.plausibility import needs_outlier_confirmation
from exchange.listings.services.posting import create_listing, submit_listing, update_listing
from exchange.listings.services.reservation import set_reservation
from exchange.listings.services.saved_searches import delete_saved_search, save_search
from exchange.listings.services.visibility import set_partner_offer_opt_out, set_visibility
from exchange.listings.services.wanted import close_wanted_request, create_wanted_request
from tenants.models import Authority

FEED_PAGE_SIZE = 24
LIST_PAGE_SIZE = 50
PHOTO_SIZES = {"full": "image", "thumb": "thumbnail"}
POSTED_DRAFT = re.compile(r"[A-Za-z0-9-]{1,40}")


def _listing_or_404(request, pk: int) -> Listing:
    """The listing, if this member may see it; a 404 otherwise (never a 403 that would
    tell a draft exists)."""
    listing = get_object_or_404(selectors.listings_for_pages(), pk=pk)
    if not can_view(request.user, listing):
        raise Http404
    return listing


def _to_detail(listing: Listing):
    return redirect("exchange:listing_detail", pk=listing.pk)


def _forbidden_or(error: ExchangeError) -> None:
    """A service refusing the actor is a 403; other refusals are for the user."""
    if getattr(error, "code", None) == "forbidden":
        raise PermissionDenied(error.messages[0])


def _submitted_message(listing: Listing) -> str:
    if listing.status == ListingStatus.PUBLISHED:
        return _("Your listing is published.")
    return _("Your listing was sent to the moderators. You will get an e-mail when it "
             "is published.")


# --- Feed ---------------------------------------------------------------------------

@exchange_member_required
@require_GET
def feed(request):
    """Published listings: search, filters, sort, 24 a page. An htmx request from the
    filter form gets the results only, and the count of active filters its folded
    « Filtrer » shows (an out-of-band swap)."""
    form = FeedFilterForm(request.GET)
    filters = form.filters()
    partial = request.htmx and request.htmx.target == "feed-results"
    context = {"form": form, "filters": filters,
               "results": _cached_results(request, form, filters),
               "saved_search_form": SavedSearchForm(
                   initial={"q": filters.q, "category": filters.category}),
               # The form is not swapped by htmx: its « Filtrer (n) » is, out of band.
               "filter_count_oob": bool(partial),
               "active_filter_count": form.active_filter_count()}
    template = "exchange/listings/_results.html" if partial else "exchange/listings/feed.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request", "HX-Target"])
    return response


def _cached_results(request, form: FeedFilterForm, filters) -> dict:
    """The feed's count, its rendered cards and pagination and its rendered filter
    form (whose choices are the categories, services and sites), cached per authority
    (core.cache: the key carries the schema) under the version of what cards show
    (core.cache.LISTING_CARDS, forgotten by every write of it), the language and the
    query string (filters, sort, page). The fragment is the same for every member who
    may see the feed: nothing personal in it (no csrf_token, no viewer's flag)."""
    query = hashlib.sha256(request.GET.urlencode().encode()).hexdigest()[:32]
    name = (f"feed_results:{authority_cache.version(authority_cache.LISTING_CARDS)}:"
            f"{get_language()}:{query}")

    def build() -> dict:
        listings = selectors.feed_cards(selectors.published_listings(filters))
        # The cards and the total in one query (core.pagination).
        page = CountingPaginator(listings, FEED_PAGE_SIZE).get_page(request.GET.get("page"))
        html = render_to_string("exchange/listings/_results_body.html", {"page": page},
                                request=request)
        filters_html = render_to_string("exchange/listings/_feed_filters.html",
                                        {"form": form}, request=request)
        return {"count": page.paginator.count, "html": str(html),
                "filters_html": str(filters_html)}

    results = authority_cache.cached(name, build)
    # Rendered (and escaped) by our templates above: safe to output as they are.
    return {"count": results["count"], "html": mark_safe(results["html"]),
            "filters_html": mark_safe(results["filters_html"])}


# --- A listing ------------------------------------------------------------------------

def _render_detail(request, listing: Listing, *, contact_form=None, reserve_form=None):
    user = request.user
    manages = can_see_value(user, listing)  # the poster and the moderators
    context = {
        "listing": listing,
        "photos": listing.photos.all(),
        "quantity_left": quantity_left(listing),
        "shows_value": manages,
        "is_poster": is_poster(user, listing),
        "can_edit": can_edit(user, listing),
        "can_submit": can_submit(user, listing),
        "can_extend": can_extend(user, listing),
        "can_close": can_close(user, listing),
        "can_contact": can_contact(user, listing),
        "actions": listing_actions(user, listing),
    }
    posted = request.GET.get("posted", "")
    if posted and POSTED_DRAFT.fullmatch(posted) and context["is_poster"]:
        # Just posted from the form: its script forgets the draft saved in the browser.
        context.update(posted_draft=posted,
                       draft_key=f"{request.tenant.schema_name}:{user.pk}")
    if manages:
        transfers = list(selectors.transfers_of(listing))
        # A transfer to another authority shows its receiver's receipt (sharing).
        receipts = receipts_of(request.tenant, transfers)
        for transfer in transfers:
            transfer.receipt = receipts.get(transfer.pk)
        context.update(contacts=selectors.contacts_on(listing),
                       events=selectors.events_of(listing), transfers=transfers)
    if context["can_contact"]:
        context.update(contact_form=contact_form or ContactForm(),
                       my_contact=selectors.last_contact_by(listing, user))
    if context["can_close"]:
        context["reserve_form"] = reserve_form or ReserveForm(
            initial={"reserved_for": listing.reserved_for})
    if context["can_edit"]:
        context["visibility_form"] = VisibilityForm(initial={"visibility": listing.visibility})
    return render(request, "exchange/listings/detail.html", context)


@exchange_member_required
@require_GET
def listing_detail(request, pk: int):
    return _render_detail(request, _listing_or_404(request, pk))


@agent_required
@require_http_methods(["GET", "POST"])
def listing_create(request):
    form = NewListingForm(request.POST or None, request.FILES or None,
                          initial={"service": request.user.service_id, "quantity": 1},
                          can_confirm_outlier=can_confirm_outlier(request.user))
    status = 200
    if request.method == "POST" and form.is_valid():
        stored: list[ListingPhoto] = []
        try:
            with transaction.atomic():
                listing = create_listing(poster=request.user, **form.listing_data())
                for upload in form.cleaned_data["photos"]:
                    stored.append(photos.add_photo(listing=listing, actor=request.user,
                                                   upload=upload))
                missed = photos.attach_pending_photos(
                    listing=listing, actor=request.user,
                    tokens=form.cleaned_data["pending_photos"], stored=stored)
                if "submit" in request.POST:
                    listing = submit_listing(listing=listing, actor=request.user)
        except ExchangeError as error:
            form.add_service_error(error)
        except photos.PhotoStoreUnavailable:
            # All or nothing: the listing rolled back with its photos (a draft saved
            # without them would be posted twice when the form is sent again).
            photos.discard_files(stored)
            form.add_error("photos", _store_down_message())
            status = 503
        else:
            messages.success(request, _submitted_message(listing) if "submit" in request.POST
                             else _("Your draft is saved. Submit it when it is ready."))
            if missed:
                messages.warning(request, _(
                    "%(count)s photo(s) sent more than %(hours)s hours ago had expired: add "
                    "them again from the edit page.") % {
                    "count": missed, "hours": settings.PENDING_PHOTO_HOURS})
            response = _to_detail(listing)
            if form.cleaned_data["draft_token"]:
                # The page after posting tells the browser which saved draft to forget.
                response["Location"] += "?" + urlencode(
                    {"posted": form.cleaned_data["draft_token"]})
            return response
    return _unavailable_if(status, render(request, "exchange/listings/form.html", {
        "form": form, "listing": None, "max_photos": photos.MAX_PHOTOS,
        "draft_key": f"{request.tenant.schema_name}:{request.user.pk}"}, status=status))


@agent_required
@require_POST
def pending_photo_upload(request):
    """One photo sent ahead by the posting form (static/js/listing-form.js), already
    shrunk by the browser: checked and cleaned like any photo, kept for the agent,
    answered with its token for the form to submit. JSON: 201 {"id"}, 400 or 429
    {"error"}."""
    upload = request.FILES.get("image")
    if upload is None:
        return JsonResponse({"error": _("Choose a photo.")}, status=400)
    try:
        pending = photos.upload_pending_photo(uploader=request.user, upload=upload)
    except ExchangeError as error:
        status = 429 if getattr(error, "code", None) == "rate_limited" else 400
        return JsonResponse({"error": error.messages[0]}, status=status)
    return JsonResponse({"id": pending.token, "width": pending.width,
                         "height": pending.height}, status=201)


@agent_required
@require_GET
def category_suggestion(request):
    """The item type the title being typed suggests, for the agent to confirm (JSON:
    {"id", "name", "family"}, the id null when nothing matches)."""
    option = selectors.suggest_category(request.GET.get("title", "")[:200])
    if option is None:
        return JsonResponse({"id": None})
    return JsonResponse({"id": option.pk, "name": option.name, "family": option.parent_name})


def _store_down_message() -> str:
    return _("Your photos could not be stored right now: the file store is not answering. "
             "What you typed is kept: choose the photos again and try again in a moment.")


def _unavailable_if(status: int, response: HttpResponse) -> HttpResponse:
    """A form shown again because a dependency did not answer: 503 with Retry-After,
    as core.unavailable's pages, but the form and what was typed instead of a bare page."""
    if status == 503:
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        patch_cache_control(response, no_store=True)
    return response


def _render_edit(request, listing: Listing, *, form=None, photo_form=None, status: int = 200):
    return render(request, "exchange/listings/form.html", status=status, context={
        "listing": listing,
        "form": form or ListingForm(initial=ListingForm.initial_for(listing), listing=listing,
                                    can_confirm_outlier=can_confirm_outlier(request.user)),
        "photo_form": photo_form or PhotoForm(),
        "photos": listing.photos.all(),
        "max_photos": photos.MAX_PHOTOS,
        "can_submit": can_submit(request.user, listing),
    })


@exchange_member_required
@require_http_methods(["GET", "POST"])
def listing_edit(request, pk: int):
    listing = _listing_or_404(request, pk)
    if not can_edit(request.user, listing):
        raise PermissionDenied
    form = ListingForm(request.POST or None, initial=ListingForm.initial_for(listing),
                       listing=listing, can_confirm_outlier=can_confirm_outlier(request.user))
    if request.method == "POST" and form.is_valid():
        submit = "submit" in request.POST and can_submit(request.user, listing)
        was_published = listing.status == ListingStatus.PUBLISHED
        try:
            with transaction.atomic():
                listing = update_listing(listing=listing, actor=request.user,
                                         **form.cleaned_data)
                if submit:
                    listing = submit_listing(listing=listing, actor=request.user)
        except ExchangeError as error:
            _forbidden_or(error)
            form.add_service_error(error)
        else:
            if submit:
                messages.success(request, _submitted_message(listing))
            elif was_published and listing.status == ListingStatus.PENDING:
                messages.success(request, _("Your changes are saved. The listing goes back to "
                                            "the moderators before it is shown again."))
            else:
                messages.success(request, _("Your changes are saved."))
            return _to_detail(listing)
    return _render_edit(request, listing, form=form)


@exchange_member_required
@require_POST
def listing_submit(request, pk: int):
    listing = _listing_or_404(request, pk)
    try:
        listing = submit_listing(listing=listing, actor=request.user)
    except ExchangeError as error:
        _forbidden_or(error)
        messages.error(request, error.messages[0])
    else:
        messages.success(request, _submitted_message(listing))
    return _to_detail(listing)


@require_POST
def listing_partner_offer(request, pk: int):
    """Poster or moderator: keep this listing away from partners, or let it go to them."""
    if not request.user.is_authenticated:
        raise Http404
    listing = _listing_or_404(request, pk)
    if not can_close(request.user, listing):
        raise PermissionDenied
    opt_out = request.POST.get("opt_out") == "1"
    set_partner_offer_opt_out(listing=listing, actor=request.user, opt_out=opt_out)
    messages.success(request, _("This listing will not be offered to partners.") if opt_out
                     else _("This listing may be offered to partners."))
    return _to_detail(listing)


@exchange_member_required
@require_POST
def listing_extend(request, pk: int):
    listing = _listing_or_404(request, pk)
    try:
        listing = extend_listing(listing=listing, actor=request.user)
    except ExchangeError as error:
        _forbidden_or(error)
        messages.error(request, error.messages[0])
    else:
        messages.success(request, _("Your listing stays online until %(date)s.")
                         % {"date": listing.expires_at.strftime("%d/%m/%Y")})
    return _to_detail(listing)


@exchange_member_required
@require_POST
def listing_visibility(request, pk: int):
    listing = _listing_or_404(request, pk)
    form = VisibilityForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose who may see the listing."))
        return _to_detail(listing)
    try:
        listing = set_visibility(listing=listing, actor=request.user,
                                 visibility=form.cleaned_data["visibility"])
    except ExchangeError as error:
        _forbidden_or(error)
        messages.error(request, error.messages[0])
    else:
        messages.success(request, _("Shown to the authorities sharing with yours.")
                         if listing.visibility == "shared"
                         else _("Shown to your authority only."))
    return _to_detail(listing)


# --- Photos ------------------------------------------------------------------------

@exchange_member_required
@require_POST
def photo_upload(request, pk: int):
    listing = _listing_or_404(request, pk)
    if not can_edit(request.user, listing):
        raise PermissionDenied
    form = PhotoForm(request.POST, request.FILES)
    added, status = 0, 200
    if form.is_valid():
        for upload in form.cleaned_data["image"]:
            try:
                photos.add_photo(listing=listing, actor=request.user, upload=upload)
            except ExchangeError as error:
                _forbidden_or(error)
                form.add_service_error(error)
                break
            except photos.PhotoStoreUnavailable:
                # Those added before are kept (each photo is saved on its own).
                form.add_error("image", _store_down_message())
                status = 503
                break
            added += 1
    if added:
        messages.success(request, _("Photos added: %(count)s.") % {"count": added})
    if form.is_valid():
        return redirect("exchange:listing_edit", pk=listing.pk)
    return _unavailable_if(status, _render_edit(request, _listing_or_404(request, pk),
                                                photo_form=form, status=status))


@exchange_member_required
@require_POST
def photo_delete(request, pk: int, photo_pk: int):
    listing = _listing_or_404(request, pk)
    photo = get_object_or_404(ListingPhoto, pk=photo_pk, listing=listing)
    try:
        photos.delete_photo(photo=photo, actor=request.user)
    except ExchangeError as error:
        _forbidden_or(error)
        messages.error(request, error.messages[0])
    else:
        messages.success(request, _("The photo was removed."))
    return redirect("exchange:listing_edit", pk=listing.pk)


@exchange_member_required
@require_GET
def photo_file(request, pk: int, photo_pk: int, size: str):
    """Serve a photo from the default storage (filesystem or S3) to members who may
    see the listing. Nothing is public: media are never served by URL."""
    if size not in PHOTO_SIZES:
        raise Http404
    listing = _listing_or_404(request, pk)
    photo = get_object_or_404(ListingPhoto, pk=photo_pk, listing=listing)
    name = getattr(photo, PHOTO_SIZES[size]).name
    try:
        stream = default_storage.open(name, "rb")
    except (FileNotFoundError, OSError) as error:
        raise Http404 from error
    response = FileResponse(stream, content_type="image/jpeg")
    patch_cache_control(response, private=True, max_age=3600)
    return response


# --- Contact, reservation, closure ----------------------------------------------------

@agent_required
@require_POST
def listing_contact(request, pk: int):
    listing = _listing_or_404(request, pk)
    form = ContactForm(request.POST)
    if form.is_valid():
        try:
            contact_poster(listing=listing, sender=request.user,
                           message=form.cleaned_data["message"])
        except ExchangeError as error:
            form.add_service_error(error)
        else:
            messages.success(request, _(
                "Your interest was sent to %(name)s, with the moderators in copy. "
                "They will answer you by e-mail.") % {"name": listing.poster.first_name})
            return _to_detail(listing)
    return _render_detail(request, listing, contact_form=form)


@exchange_member_required
@require_POST
def listing_reserve(request, pk: int):
    listing = _listing_or_404(request, pk)
    form = ReserveForm(request.POST)
    if form.is_valid():
        reserved_for = "" if "unreserve" in request.POST else form.cleaned_data["reserved_for"]
        try:
            listing = set_reservation(listing=listing, actor=request.user,
                                      reserved_for=reserved_for)
        except ExchangeError as error:
            _forbidden_or(error)
            form.add_service_error(error)
        else:
            messages.success(request, _("Reserved for %(name)s.") % {"name": reserved_for}
                             if reserved_for else _("The reservation is cancelled."))
            return _to_detail(listing)
    return _render_detail(request, listing, reserve_form=form)


def _close_initial(request, left: int) -> dict:
    """The close form's first values; the link of a partner's request e-mail preselects
    "given to a partner" and that partner (the form offers only granted partners)."""
    initial = {"quantity": left}
    if request.GET.get("reason") in ClosureReason.values:
        initial["reason"] = request.GET["reason"]
    if request.GET.get("partner", "").isdigit():
        initial["partner"] = int(request.GET["partner"])
    return initial


@exchange_member_required
@require_http_methods(["GET", "POST"])
def listing_close(request, pk: int):
    """Give out all or part of a listing (10 chairs: 6 to one service, 4 to another)."""
    listing = _listing_or_404(request, pk)
    if listing.status == ListingStatus.CLOSED and can_see_value(request.user, listing):
        # Typically a second tab or the back button after closing: say so, do not 403.
        messages.info(request, _("This listing is already closed."))
        return _to_detail(listing)
    if not can_close(request.user, listing):
        raise PermissionDenied
    left = quantity_left(listing)
    form = CloseForm(request.POST or None, initial=_close_initial(request, left),
                     authorities=recipient_choices(RecipientKind.AUTHORITY, request.tenant),
                     can_confirm_outlier=can_confirm_outlier(request.user)
                     and needs_outlier_confirmation(listing))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            transfer = close_listing(
                listing=listing, actor=request.user, reason=data["reason"],
                quantity=data["quantity"], recipient=form.recipient(),
                weight_kg=data["weight_kg"], inventory_number=data["inventory_number"],
                confirm_outlier=data.get("confirm_outlier", False))
        except ExchangeError as error:
            _forbidden_or(error)
            form.add_service_error(error)
        else:
            left -= transfer.quantity
            if transfer.awaits_confirmation:
                messages.warning(request, _(
                    "Recorded, awaiting a moderator's confirmation: the value per item is "
                    "above the legal cap for free transfers. The items stay reserved."))
            elif transfer.recipient_authority_slug:
                messages.success(request, _(
                    "Recorded. %(name)s is asked to confirm receipt: the transfer counts in "
                    "its figures once it does.") % {"name": transfer.recipient_authority})
            else:
                messages.success(
                    request, _("The listing is closed. Thank you!") if left == 0 else
                    _("Recorded: %(given)s item(s). %(left)s left on the listing.")
                    % {"given": transfer.quantity, "left": left})
            return _to_detail(listing)
    return render(request, "exchange/listings/close.html", {
        "listing": listing, "form": form, "quantity_left": left,
        "cap": settings.FREE_TRANSFER_CAP_PER_UNIT_EUR,
        "above_cap": unit_value(listing) > settings.FREE_TRANSFER_CAP_PER_UNIT_EUR})


# --- Transfer records -------------------------------------------------------------------

def _pdf(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    patch_cache_control(response, private=True, no_store=True)
    return response


def _record_of(transfer: Transfer, giver: Authority) -> HttpResponse:
    content = transfer_records.transfer_record_pdf(
        transfer=transfer, giver=giver, receiver=selectors.receiving_authority(transfer),
        partner_lines=transfer_records.partner_lines(transfer.recipient_partner_id))
    return _pdf(content, transfer_records.record_filename(giver, transfer))


@exchange_member_required
@require_GET
def transfer_record(request, pk: int, transfer_pk: int):
    """The giver's copy: the poster and the moderators, once the transfer counts."""
    listing = _listing_or_404(request, pk)
    if not can_see_value(request.user, listing):
        raise PermissionDenied
    transfer = get_object_or_404(Transfer.objects.select_related("listing__category"),
                                 pk=transfer_pk, listing=listing)
    if not transfer.has_record:
        raise Http404
    return _record_of(transfer, request.tenant)


# --- My listings ----------------------------------------------------------------------

@exchange_member_required
@require_GET
def my_listings(request):
    listings = selectors.with_quantity_left(selectors.listings_of(request.user))
    page = Paginator(listings, LIST_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "exchange/listings/mine.html", {
        "page": page, "saved_searches": selectors.saved_searches_of(request.user)})


# --- "Je recherche…" -------------------------------------------------------------------

def _render_wanted(request, form, status=200):
    requests = selectors.active_wanted_requests().order_by("-created_at", "-id")
    page = Paginator(requests, LIST_PAGE_SIZE).get_page(request.GET.get("page"))
    for wanted in page:
        wanted.can_close = can_close_wanted(request.user, wanted)
    return render(request, "exchange/listings/wanted.html",
                  {"page": page, "form": form},
                  status=status)


@exchange_member_required
@require_GET
def wanted_list(request):
    return _render_wanted(request, WantedForm())


@agent_required
@require_http_methods(["GET", "POST"])
def wanted_create(request):
    form = WantedForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            create_wanted_request(author=request.user, **form.cleaned_data)
        except ExchangeError as error:
            form.add_service_error(error)
        else:
            messages.success(request, _("Your request is online. You will get an e-mail when "
                                        "a matching listing is published."))
            return redirect("exchange:wanted_list")
    return _render_wanted(request, form)


@exchange_member_required
@require_POST
def wanted_close(request, pk: int):
    wanted = get_object_or_404(WantedRequest, pk=pk)
    try:
        close_wanted_request(wanted=wanted, actor=request.user)
    except ExchangeError as error:
        _forbidden_or(error)
        raise
    messages.success(request, _("Your request is closed."))
    return redirect("exchange:wanted_list")


# --- Saved searches (alerts) ----------------------------------------------------------

@agent_required
@require_POST
def saved_search_create(request):
    form = SavedSearchForm(request.POST)
    back = reverse("exchange:feed")
    if form.is_valid():
        data = form.cleaned_data
        query = {k: v for k, v in (("q", data["q"]),
                                   ("category", data["category"] and data["category"].pk)) if v}
        back = f"{back}?{urlencode(query)}" if query else back
        try:
            save_search(user=request.user, query=data["q"], category=data["category"])
        except ExchangeError as error:
            messages.error(request, error.messages[0])
        else:
            messages.success(request, _("Search saved: you will get an e-mail when a matching "
                                        "listing is published."))
    else:
        messages.error(request, _("This search cannot be saved."))
    return redirect(back)


@exchange_member_required
@require_POST
def saved_search_delete(request, pk: int):
    saved = get_object_or_404(selectors.saved_searches_of(request.user), pk=pk)
    delete_saved_search(saved_search=saved, actor=request.user)
    messages.success(request, _("The saved search was deleted."))
    return redirect("exchange:my_listings")
