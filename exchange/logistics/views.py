"""Pages of transports: an agent's requests and the form to ask for one; the logistics
board (by day or week: unplanned requests, rounds), a round's page with picked up and
delivered, its printable sheet, the teams and their calendar feeds.

Each view translates: HTTP in, a selector or service call, a page out. Who may do what
is accounts.permissions'; a request another member may not follow is a 404, like one of
another authority (not in this schema at all)."""

from __future__ import annotations

from datetime import date, timedelta

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.permissions import (
    agent_required,
    can_cancel_transport,
    can_follow_transport,
    can_hand_over_transport,
    can_refuse_handed_transport,
    can_request_transport,
    transport_member_required,
    transport_planner_required,
)
from core.links import authority_url
from exchange.listings.errors import ExchangeError
from exchange.listings.models import Listing
from exchange.listings.services.closure import quantity_left
from exchange.logistics import calendar, round_sheet, selectors, services
from exchange.logistics.forms import RoundForm, TeamForm, TransportForm
from exchange.logistics.models import Round, Team, TransportRequest


def _forbidden_or(error: ExchangeError) -> None:
    if getattr(error, "code", None) == "forbidden":
        raise PermissionDenied(error.messages[0])


# --- Agents ----------------------------------------------------------------------------


@agent_required
@require_GET
def my_transports(request):
    return render(request, "logistics/mine.html", {
        "transports": selectors.my_transports(request.user),
        "listings": selectors.requestable_listings(request.user),
    })


@agent_required
@require_http_methods(["GET", "POST"])
def transport_create(request, pk: int):
    listing = get_object_or_404(Listing.objects.select_related("site", "category"), pk=pk)
    if not can_request_transport(request.user, listing):
        raise PermissionDenied
    may_close = listing.poster_id == request.user.pk and bool(listing.reserved_for)
    today = timezone.localdate()
    left = quantity_left(listing)
    form = TransportForm(request.POST or None, listing=listing, may_close=may_close,
                         initial={"pickup_site": listing.site_id, "wished_from": today,
                                  "wished_until": today + timedelta(days=7),
                                  "quantity": max(left, 1)})
    if request.method == "POST" and form.is_valid():
        try:
            transport = services.request_transport(listing=listing, actor=request.user,
                                                   **form.service_arguments())
        except ExchangeError as error:
            _forbidden_or(error)
            form.add_service_error(error)
        else:
            messages.success(request, _("Your transport request is sent to the logistics "
                                        "team."))
            return redirect("logistics:transport_detail", pk=transport.pk)
    weight = selectors.unit_weights([listing]).get(listing.pk)
    return render(request, "logistics/request_form.html", {
        "form": form, "listing": listing, "unit_weight": weight,
        "quantity_left": left,
        "transfers": selectors.giving_transfers(listing)}, status=400 if form.errors else 200)


def _followed(request, pk: int) -> TransportRequest:
    transport = get_object_or_404(
        TransportRequest.objects.select_related(*selectors.STOP_RELATED, "round__team",
                                                "listing__poster", "transfer"), pk=pk)
    if not can_follow_transport(request.user, transport):
        raise Http404
    return transport


@transport_member_required
@require_GET
def transport_detail(request, pk: int):
    transport = _followed(request, pk)
    weight = (selectors.unit_weights([transport.listing]).get(transport.listing_id)
              if transport.listing_id else transport.items_unit_weight_kg)
    return render(request, "logistics/detail.html", {
        "transport": transport, "unit_weight": weight,
        "may_cancel": can_cancel_transport(request.user, transport),
        "may_hand_over": can_hand_over_transport(request.user, transport),
        "may_refuse": can_refuse_handed_transport(request.user, transport)})


@transport_planner_required
@require_POST
def transport_hand_over(request, pk: int):
    """« Confier à la logistique de <receiver> »: the copy is written in the receiving
    authority's schema (services.hand_over, through the tenancy layer)."""
    transport = _followed(request, pk)
    try:
        services.hand_over(actor=request.user, transport=transport)
    except ExchangeError as error:
        _forbidden_or(error)
        messages.error(request, error.messages[0])
    else:
        messages.success(request, _("The transport is handed to the logistics team of "
                                    "%(name)s.") % {"name": transport.transfer.recipient_authority})
    return redirect("logistics:transport_detail", pk=transport.pk)


@transport_planner_required
@require_POST
def transport_refuse(request, pk: int):
    """The receiver's planner refuses a handed-over transport, with a reason."""
    transport = _followed(request, pk)
    try:
        services.refuse_handed_over(actor=request.user, transport=transport,
                                    reason=request.POST.get("reason", ""))
    except ExchangeError as error:
        _forbidden_or(error)
        messages.error(request, error.messages[0])
    else:
        messages.success(request, _("The transport is refused; the other authority is "
                                    "told."))
    return redirect("logistics:transport_detail", pk=transport.pk)


@transport_member_required
@require_POST
def transport_cancel(request, pk: int):
    transport = _followed(request, pk)
    try:
        services.cancel_transport(actor=request.user, transport=transport)
    except ExchangeError as error:
        _forbidden_or(error)
        messages.error(request, error.messages[0])
    else:
        messages.success(request, _("The transport request is cancelled."))
    return redirect("logistics:transport_detail", pk=transport.pk)


# --- The logistics board -----------------------------------------------------------------


def _day(request) -> date:
    try:
        return date.fromisoformat(request.GET.get("day", ""))
    except ValueError:
        return timezone.localdate()


def _board(request, round_form: RoundForm | None = None, status: int = 200):
    day = _day(request)
    week = request.GET.get("view") == "week"
    first, last = selectors.week_of(day) if week else (day, day)
    unplanned = selectors.unplanned()
    step = timedelta(days=7 if week else 1)
    form = round_form or RoundForm(unplanned=unplanned, initial={"date": day})
    rounds = list(selectors.rounds_between(first, last))
    return render(request, "logistics/board.html", {
        "day": day, "week": week, "first": first, "last": last,
        "previous": first - step, "next": first + step, "today": timezone.localdate(),
        "unplanned": unplanned, "rounds": rounds, "form": form,
        "teams": selectors.active_teams(),
    }, status=status)


@transport_planner_required
@require_GET
def board(request):
    return _board(request)


@transport_planner_required
@require_POST
def round_create(request):
    form = RoundForm(request.POST, unplanned=selectors.unplanned())
    if form.is_valid():
        data = form.cleaned_data
        try:
            planned_round = services.plan_round(
                actor=request.user, team=data["team"], day=data["date"],
                starts_at=data["starts_at"], ends_at=data["ends_at"],
                transports=list(data["transports"]), note=data["note"])
        except ExchangeError as error:
            _forbidden_or(error)
            form.add_service_error(error)
        else:
            messages.success(request, _("The round is planned."))
            return redirect("logistics:round_detail", pk=planned_round.pk)
    return _board(request, round_form=form, status=400)


def _round(pk: int) -> Round:
    return get_object_or_404(Round.objects.select_related("team"), pk=pk)


@transport_planner_required
@require_GET
def round_detail(request, pk: int):
    planned_round = _round(pk)
    return render(request, "logistics/round.html", {
        "round": planned_round, "stops": selectors.round_stops(planned_round),
        "unplanned": selectors.unplanned()})


@transport_planner_required
@require_POST
def round_add(request, pk: int):
    planned_round = _round(pk)
    chosen = request.POST.get("transport", "")
    transport = (TransportRequest.objects.filter(pk=int(chosen)).first()
                 if chosen.isdigit() else None)
    if transport is None:
        messages.error(request, _("Choose a transport request."))
    else:
        try:
            services.add_to_round(actor=request.user, transport=transport,
                                  planned_round=planned_round)
        except ExchangeError as error:
            messages.error(request, error.messages[0])
    return redirect("logistics:round_detail", pk=planned_round.pk)


STEPS = {"picked_up": services.mark_picked_up, "delivered": services.mark_delivered,
         "unplan": services.unplan}
STEP_DONE = {"picked_up": _("Marked picked up."), "delivered": _("Marked delivered."),
             "unplan": _("Back among the unplanned requests.")}


def _step(request, pk: int, step: str):
    transport = get_object_or_404(TransportRequest, pk=pk)
    back = transport.round_id
    try:
        STEPS[step](actor=request.user, transport=transport)
    except ExchangeError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(request, STEP_DONE[step])
    if back is None:
        return redirect("logistics:board")
    return redirect("logistics:round_detail", pk=back)


@transport_planner_required
@require_POST
def transport_picked_up(request, pk: int):
    return _step(request, pk, "picked_up")


@transport_planner_required
@require_POST
def transport_delivered(request, pk: int):
    return _step(request, pk, "delivered")


@transport_planner_required
@require_POST
def transport_unplan(request, pk: int):
    return _step(request, pk, "unplan")


@transport_planner_required
@require_GET
def round_sheet_view(request, pk: int):
    planned_round = _round(pk)
    authority = getattr(request, "tenant", None)
    pdf = round_sheet.round_sheet_pdf(planned_round, getattr(authority, "name", ""))
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = (
        f'inline; filename="{round_sheet.sheet_filename(planned_round)}"')
    return response


# --- Teams and their calendars ----------------------------------------------------------------


@transport_planner_required
@require_http_methods(["GET", "POST"])
def teams(request):
    form = TeamForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.create_team(actor=request.user, **form.cleaned_data)
        except ExchangeError as error:
            form.add_service_error(error)
        else:
            messages.success(request, _("The team is added."))
            return redirect("logistics:teams")
    team_rows = [(team, authority_url(calendar.feed_url_path(team)))
                 for team in Team.objects.all()]
    return render(request, "logistics/teams.html", {"form": form, "team_rows": team_rows},
                  status=400 if form.errors else 200)


@transport_planner_required
@require_POST
def team_token(request, pk: int):
    team = get_object_or_404(Team, pk=pk)
    services.regenerate_feed_token(actor=request.user, team=team)
    messages.success(request, _("A new calendar address is made: the old one no longer "
                                "works."))
    return redirect("logistics:teams")


@require_GET
def team_feed(request, token: str):
    """The team's rounds as iCalendar, at a secret address (no sign-in: calendar
    applications cannot sign in); an unknown or regenerated token is a 404."""
    team = selectors.team_by_token(token)
    if team is None:
        raise Http404
    response = HttpResponse(calendar.team_calendar(team, request.get_host()),
                            content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="tournees.ics"'
    response["Cache-Control"] = "private, no-store"
    return response
