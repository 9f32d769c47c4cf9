"""Pages of the moderators (queue, review and decisions, transfers above the legal cap,
standard replies, figures) and of the authority admins (exchange settings, categories).

Views translate: they read a form, call exchange.listings.services (moderation, closure,
categories) / exchange.listings.selectors, and put a refused action's message back on the
page (status 400).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.permissions import authority_admin_required, moderator_required
from analytics.periods import month_end, months_back
from exchange.listings import selectors
from exchange.listings.errors import ExchangeError
from exchange.listings.models import Category, Listing, ListingStatus, StandardReply, Transfer
from exchange.listings.moderation_forms import (
    BulkApproveForm,
    CategoryCreateForm,
    CategoryEditForm,
    ExchangeSettingsForm,
    PeriodForm,
    RejectForm,
    RequestChangesForm,
    StandardReplyForm,
)
from exchange.listings.services import categories, closure, moderation

QUEUE_PAGE_SIZE = 50
REJECT_PREFIX = "reject"
CHANGES_PREFIX = "changes"


def _render(request, template: str, context: dict, *, section: str, status: int = 200):
    """Render a back-office page with its sub-navigation."""
    context = {**context, "section": section}
    return render(request, f"exchange/moderation/{template}", context, status=status)


def _forbidden_or(error: ExchangeError) -> None:
    if getattr(error, "code", None) == "forbidden":
        raise PermissionDenied(error.messages[0])


def _status_rows(counts: dict[str, int]) -> list[tuple[str, str, int]]:
    return [(status.value, status.label, counts.get(status.value, 0))
            for status in ListingStatus]


# --- Queue ------------------------------------------------------------------------------

@moderator_required
@require_GET
def queue(request):
    page = Paginator(selectors.moderation_queue(), QUEUE_PAGE_SIZE).get_page(
        request.GET.get("page"))
    for listing in page:
        listing.held_by_other = selectors.held_by_someone_else(listing, request.user)
    return _render(request, "queue.html", {
        "page": page, "status_rows": _status_rows(selectors.status_counts()),
    }, section="queue")


@moderator_required
@require_POST
def bulk_approve(request):
    form = BulkApproveForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect("exchange:moderation_queue")
    approved, refused = moderation.bulk_approve(listings=form.cleaned_data["listings"],
                                                actor=request.user)
    if approved:
        messages.success(request, _("%(count)s listing(s) approved.") % {"count": len(approved)})
    for listing, reason in refused:
        messages.warning(request, _("“%(title)s” was not approved: %(reason)s")
                         % {"title": listing.title, "reason": reason})
    return redirect("exchange:moderation_queue")


# --- Review and decisions ----------------------------------------------------------------

def _listing_for_review(pk: int) -> Listing:
    return get_object_or_404(
        Listing.objects.select_related("category__parent", "poster__service", "service",
                                       "site", "held_by"), pk=pk)


def _review_page(request, listing: Listing, *, reject_form=None, changes_form=None,
                 error: str = "", status: int = 200):
    replies = StandardReply.objects.all()
    held_by = selectors.held_by_someone_else(listing, request.user)
    return _render(request, "review.html", {
        "listing": listing,
        "held_by": held_by,
        "error": error,
        "photos": listing.photos.all(),
        "events": listing.events.select_related("actor"),
        "can_approve": listing.status == ListingStatus.PENDING,
        "can_decide": listing.status in (ListingStatus.PENDING, ListingStatus.PUBLISHED),
        "reject_form": reject_form or RejectForm(prefix=REJECT_PREFIX, replies=replies),
        "changes_form": changes_form or RequestChangesForm(prefix=CHANGES_PREFIX,
                                                           replies=replies),
    }, section="queue", status=status)


@moderator_required
@require_GET
def review(request, pk: int):
    """Show a listing to moderate and hold it, so that nobody else decides meanwhile."""
    listing = _listing_for_review(pk)
    try:
        moderation.hold_listing(listing=listing, actor=request.user)
    except ExchangeError:
        pass  # held by someone else: the page says who and disables the actions
    else:
        listing = _listing_for_review(pk)
    return _review_page(request, listing)


@moderator_required
@require_POST
def approve(request, pk: int):
    listing = _listing_for_review(pk)
    try:
        moderation.approve_listing(listing=listing, actor=request.user)
    except ExchangeError as error:
        return _review_page(request, listing, error=error.messages[0], status=400)
    messages.success(request, _("“%(title)s” is published.") % {"title": listing.title})
    return redirect("exchange:moderation_queue")


def _decide(request, pk: int, form_class, prefix: str, decide, done_message: str):
    """Reject or request changes: the text typed (or a standard reply's) goes to the
    service; a refusal comes back on the form, with what was typed."""
    listing = _listing_for_review(pk)
    form = form_class(request.POST, prefix=prefix)
    if form.is_valid():
        try:
            decide(listing, form.text())
        except ExchangeError as error:
            form.add_error(form.text_field if error.code in ("reason", "message") else None,
                           error)
        else:
            messages.success(request, done_message % {"title": listing.title})
            return redirect("exchange:moderation_queue")
    forms = {"reject_form": form} if prefix == REJECT_PREFIX else {"changes_form": form}
    return _review_page(request, listing, status=400, **forms)


@moderator_required
@require_POST
def reject(request, pk: int):
    return _decide(request, pk, RejectForm, REJECT_PREFIX,
                   lambda listing, text: moderation.reject_listing(
                       listing=listing, actor=request.user, reason=text),
                   _("“%(title)s” was rejected; its poster is told why."))


@moderator_required
@require_POST
def request_changes(request, pk: int):
    return _decide(request, pk, RequestChangesForm, CHANGES_PREFIX,
                   lambda listing, text: moderation.request_changes(
                       listing=listing, actor=request.user, message=text),
                   _("Changes were requested on “%(title)s”."))


# --- Figures -------------------------------------------------------------------------------

@dataclass
class Period:
    label: str
    start: date
    end: date


def periods(today: date) -> list[Period]:
    """Quick choices of the dashboard; the first one is the default."""
    return [
        Period(gettext_lazy("This month"), today.replace(day=1), month_end(today)),
        Period(gettext_lazy("Last 6 months"), months_back(today, 5), month_end(today)),
        Period(gettext_lazy("This year"), date(today.year, 1, 1), date(today.year, 12, 31)),
    ]


@moderator_required
@require_GET
def dashboard(request):
    quick = periods(timezone.localdate())
    if "start" in request.GET or "end" in request.GET:
        form = PeriodForm(request.GET)
    else:
        form = PeriodForm.for_period(quick[0].start, quick[0].end)
    figures, status = None, 400
    if form.is_valid():
        figures = selectors.moderator_figures(request.tenant, form.cleaned_data["start"],
                                              form.cleaned_data["end"])
        status = 200
    return _render(request, "dashboard.html", {
        "form": form, "figures": figures, "periods": quick,
        "status_rows": _status_rows(figures.by_status) if figures else [],
    }, section="dashboard", status=status)


# --- Transfers above the legal cap for free transfers: a moderator confirms -------------

@moderator_required
@require_GET
def transfer_confirmations(request):
    return _render(request, "confirmations.html", {
        "transfers": selectors.transfers_awaiting_confirmation()}, section="confirmations")


def _awaiting(pk: int) -> Transfer:
    return get_object_or_404(selectors.transfers_awaiting_confirmation(), pk=pk)


@moderator_required
@require_POST
def transfer_confirm(request, transfer_pk: int):
    try:
        transfer = closure.confirm_transfer(transfer=_awaiting(transfer_pk), actor=request.user)
    except ExchangeError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(request, _("Transfer confirmed: “%(title)s”.")
                         % {"title": transfer.listing.title})
    return redirect("exchange:transfer_confirmations")


@moderator_required
@require_POST
def transfer_refuse(request, transfer_pk: int):
    try:
        listing = closure.refuse_transfer(transfer=_awaiting(transfer_pk), actor=request.user,
                                          reason=request.POST.get("reason", "")[:500])
    except ExchangeError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(request, _("Transfer refused: the items of “%(title)s” are available "
                                    "again.") % {"title": listing.title})
    return redirect("exchange:transfer_confirmations")


# --- Standard replies -------------------------------------------------------------------

@moderator_required
@require_GET
def reply_list(request):
    return _render(request, "reply_list.html", {"replies": StandardReply.objects.all()},
                   section="replies")


@moderator_required
@require_http_methods(["GET", "POST"])
def reply_edit(request, pk: int | None = None):
    """Create, edit or (button "delete") remove a standard reply: plain rows that only
    moderators see, guarded by the form's validation."""
    reply = get_object_or_404(StandardReply, pk=pk) if pk else None
    if request.method == "POST" and reply is not None and "delete" in request.POST:
        reply.delete()
        messages.success(request, _("“%(title)s” was deleted.") % {"title": reply.title})
        return redirect("exchange:reply_list")
    form = StandardReplyForm(request.POST or None, instance=reply)
    if request.method == "POST":
        if form.is_valid():
            saved = form.save()
            messages.success(request, _("“%(title)s” was saved.") % {"title": saved.title})
            return redirect("exchange:reply_list")
        status = 400
    else:
        status = 200
    return _render(request, "reply_edit.html", {"form": form, "reply": reply},
                   section="replies", status=status)


# --- Authority admins: settings and categories ------------------------------------------

@authority_admin_required
@require_http_methods(["GET", "POST"])
def exchange_settings_edit(request):
    """The authority's exchange rules: one row, validated by the form and the model."""
    form = ExchangeSettingsForm(request.POST or None, instance=selectors.exchange_settings())
    status = 200
    if request.method == "POST":
        if form.is_valid():
            form.save()
            messages.success(request, _("The exchange settings were saved."))
            return redirect("exchange:settings")
        status = 400
    return _render(request, "settings.html", {"form": form}, section="settings", status=status)


@authority_admin_required
@require_GET
def category_list(request):
    return _render(request, "category_list.html", {"families": selectors.category_tree()},
                   section="categories")


CATEGORY_ERROR_FIELDS = {"name": "name", "parent": "parent", "reference": "reference_code"}


@authority_admin_required
@require_http_methods(["GET", "POST"])
def category_edit(request, pk: int | None = None):
    """Add a category (pk None), or rename / hide / show one. From the list, a form that
    only carries `visibility` ("hide" or "show") switches a category on or off."""
    if pk is None:
        return _category_create(request)
    category = get_object_or_404(Category.objects.select_related("parent"), pk=pk)
    if request.method == "POST" and request.POST.get("visibility") in ("hide", "show"):
        categories.set_category_hidden(category=category, actor=request.user,
                                       hidden=request.POST["visibility"] == "hide")
        messages.success(request, _("“%(name)s” was updated.") % {"name": category.name})
        return redirect("exchange:category_list")
    form = CategoryEditForm(request.POST or None,
                            initial={"name": category.name, "is_hidden": category.is_hidden})
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                if form.cleaned_data["name"] != category.name:
                    category = categories.rename_category(
                        category=category, actor=request.user, name=form.cleaned_data["name"])
                if form.cleaned_data["is_hidden"] != category.is_hidden:
                    categories.set_category_hidden(category=category, actor=request.user,
                                                   hidden=form.cleaned_data["is_hidden"])
            except ExchangeError as error:
                form.add_error(CATEGORY_ERROR_FIELDS.get(error.code), error)
            else:
                messages.success(request, _("“%(name)s” was updated.") % {"name": category.name})
                return redirect("exchange:category_list")
    return _render(request, "category_edit.html", {
        "form": form, "category": category, "reference": selectors.reference_item_of(category),
    }, section="categories", status=status)


def _category_create(request):
    initial = {}
    if request.GET.get("parent", "").isdigit():
        initial["parent"] = int(request.GET["parent"])
    form = CategoryCreateForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                category = categories.add_category(
                    actor=request.user, name=form.cleaned_data["name"],
                    parent=form.cleaned_data["parent"],
                    reference_code=form.cleaned_data["reference_code"])
            except ExchangeError as error:
                form.add_error(CATEGORY_ERROR_FIELDS.get(error.code), error)
            else:
                messages.success(request, _("“%(name)s” was added.") % {"name": category.name})
                return redirect("exchange:category_list")
    return _render(request, "category_edit.html", {"form": form, "category": None},
                   section="categories", status=status)
