"""Statistics endpoints of the agents' API (issue 5, item 6): a period's figures, the
monthly series and the CSV of the transfers, all read from the authority's statistics
facts (analytics.selectors), moderators only. HTTP in, one read, JSON (or CSV) out.

Errors are problem details like everywhere in the API (core/api/, AgentsAPIMixin)."""

from __future__ import annotations

from datetime import timedelta

from django.core.exceptions import ImproperlyConfigured
from django.http import HttpResponse
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api_permissions import IsAgecViewer, IsITFiguresViewer, IsModerator
from analytics import selectors as fact_selectors
from analytics.agec import it_target
from analytics.api import serializers as s
from analytics.exports import facts_csv
from analytics.it_reuse import it_figures, year_bounds
from analytics.periods import months_back
from core.api.schema import ERRORS
from core.api.views import AgentsAPIMixin

STATS_DEFAULT_DAYS = 30

PERIOD_PARAMETERS = [
    OpenApiParameter("from", OpenApiTypes.DATE, description="First day (YYYY-MM-DD); "
                     f"defaults to {STATS_DEFAULT_DAYS} days before `to`."),
    OpenApiParameter("to", OpenApiTypes.DATE,
                     description="Last day, included; defaults to today."),
]
TIMESERIES_MAX_MONTHS = 120


def _period(request, query_serializer=s.StatsQuerySerializer, default_start=None):
    """(from, to, validated query) of a statistics request; 400 on a malformed date or
    a start after the end."""
    query = query_serializer(data=request.query_params)
    query.is_valid(raise_exception=True)
    end = query.validated_data.get("to") or timezone.localdate()
    start = query.validated_data.get("from") or (
        default_start(end) if default_start else end - timedelta(days=STATS_DEFAULT_DAYS))
    if start > end:
        raise ValidationError({"from": [_("The start of the period is after its end.")]})
    return start, end, query.validated_data


# The period's totals (statistics facts: `analytics.selectors.period_totals`, the
# definition the report and the moderators' dashboard show too) and the number of
# listings in each status today. Listings are not statistics: the app that owns them
# passes their count in, `StatsSummary.as_view(status_counts=…)` (a function of no
# argument giving {status: count} in the current authority's schema). No docstring:
# drf-spectacular would publish it as the operation's description.
class StatsSummary(AgentsAPIMixin, APIView):
    permission_classes = [IsAuthenticated, IsModerator]
    status_counts = None  # given by the URLconf (see above)

    @classmethod
    def as_view(cls, **initkwargs):
        if not callable(initkwargs.get("status_counts")):
            raise ImproperlyConfigured("StatsSummary.as_view() needs status_counts=<function>.")
        return super().as_view(**initkwargs)

    @extend_schema(
        summary="Moderator figures over a period", tags=["moderation"],
        parameters=PERIOD_PARAMETERS,
        responses={200: s.StatsSummarySerializer, 400: ERRORS[400], 401: ERRORS[401],
                   403: ERRORS[403]},
        examples=[OpenApiExample("Figures", response_only=True, value={
            "from": "2026-01-01", "to": "2026-03-31", "listings_posted": 42,
            "listings_exchanged": 17, "value_exchanged_eur": 2350.0,
            "weight_avoided_kg": 812.5, "co2e_avoided_kg": 2130.4,
            "by_status": {"draft": 3, "pending": 2, "changes_requested": 1, "rejected": 1,
                          "published": 20, "closed": 15, "expired": 0}})],
    )
    def get(self, request):
        start, end, _query = _period(request)
        totals = fact_selectors.period_totals(request.tenant, start, end)
        return Response(s.StatsSummarySerializer({
            "from": start, "to": end, **totals, "by_status": self.status_counts()}).data)


def _year_before(end):
    """First day of the month eleven months before `end`'s: twelve whole months."""
    return months_back(end, 11)


class StatsTimeseries(AgentsAPIMixin, APIView):
    permission_classes = [IsAuthenticated, IsModerator]

    @extend_schema(
        summary="Reuse figures per month (statistics facts)", tags=["moderation"],
        parameters=[
            OpenApiParameter("from", OpenApiTypes.DATE, description="First day (YYYY-MM-DD); "
                             "defaults to the first day of the month eleven months "
                             "before `to`'s (twelve months)."),
            PERIOD_PARAMETERS[1],
            OpenApiParameter("granularity", str, enum=["month"],
                             description="Only `month` for now (the default)."),
        ],
        responses={200: s.TimeseriesSerializer, 400: ERRORS[400], 401: ERRORS[401],
                   403: ERRORS[403]},
        examples=[OpenApiExample("Two months", response_only=True, value={
            "from": "2026-01-01", "to": "2026-02-28", "granularity": "month",
            "factors_versions": ["2026.1"],
            "results": [
                {"month": "2026-01", "listings_exchanged": 3, "value_exchanged_eur": 420.0,
                 "weight_avoided_kg": 96.0, "co2e_avoided_kg": 297.6},
                {"month": "2026-02", "listings_exchanged": 0, "value_exchanged_eur": 0.0,
                 "weight_avoided_kg": 0.0, "co2e_avoided_kg": 0.0}]})],
    )
    def get(self, request):
        start, end, query = _period(request, s.TimeseriesQuerySerializer, _year_before)
        months = fact_selectors.months_between(start, end)
        if len(months) > TIMESERIES_MAX_MONTHS:
            raise ValidationError({"from": [
                _("The period is too long: %(max)s months at most.")
                % {"max": TIMESERIES_MAX_MONTHS}]})
        return Response(s.TimeseriesSerializer({
            "from": start, "to": end, "granularity": query["granularity"],
            "factors_versions": fact_selectors.factors_versions(request.tenant, start, end),
            "results": fact_selectors.monthly_series(request.tenant, start, end)}).data)


class StatsExport(AgentsAPIMixin, APIView):
    permission_classes = [IsAuthenticated, IsModerator]

    @extend_schema(
        summary="Transfers of a period as CSV (statistics facts)", tags=["moderation"],
        description="UTF-8 with a byte order mark, `;` separators, decimal commas, ISO "
                    "dates, one header row (see docs/api.md). No personal data.",
        parameters=PERIOD_PARAMETERS,
        responses={(200, "text/csv"): OpenApiTypes.STR, 400: ERRORS[400], 401: ERRORS[401],
                   403: ERRORS[403]},
    )
    def get(self, request):
        start, end, _query = _period(request)
        facts = fact_selectors.facts_between(request.tenant, start, end)
        response = HttpResponse(facts_csv(facts.iterator(chunk_size=2000)),
                                content_type="text/csv; charset=utf-8")
        filename = f"collectivrecup-{request.tenant.slug}-{start}-{end}.csv"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        patch_cache_control(response, private=True, no_store=True)
        return response


class AgecPurchases(AgentsAPIMixin, APIView):
    permission_classes = [IsAuthenticated, IsAgecViewer]

    @extend_schema(
        summary="The year's AGEC purchases entered by the finance team", tags=["moderation"],
        parameters=[OpenApiParameter("year", int, description="Defaults to this year.")],
        responses={200: s.AgecPurchasesSerializer, 400: ERRORS[400], 401: ERRORS[401],
                   403: ERRORS[403]},
        examples=[OpenApiExample("A year", response_only=True, value={
            "year": 2026,
            "purchases": [{"category": "Papier", "total_eur": 22000.0,
                           "reuse_eur": 0.0, "recycled_eur": 13200.0}],
            "external_donations": [{"category": "Papier", "amount_eur": 120.0}]})],
    )
    def get(self, request):
        query = s.AgecPurchasesQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        year = query.validated_data.get("year") or timezone.localdate().year
        purchases = fact_selectors.agec_purchases(request.tenant, year)
        donations = fact_selectors.external_donations_by_category(request.tenant, year)
        return Response(s.AgecPurchasesSerializer({
            "year": year,
            "purchases": [{"category": label, "total_eur": f.total_eur,
                           "reuse_eur": f.reuse_eur, "recycled_eur": f.recycled_eur}
                          for label, f in purchases.items()],
            "external_donations": [{"category": label, "amount_eur": amount}
                                   for label, amount in donations.items()],
        }).data)


IT_EXAMPLE_COUNTS = {
    "retired": 10, "reconditioned": 6, "second_life": 6, "listed": 0, "donated": 3,
    "recycled": 1, "awaiting_exit": 0, "reused": 9, "reuse_share_percent": 90.0,
    "started_second_life": 9, "started_third_life": 0, "recycled_weight_kg": 1.7,
    "weight_avoided_kg": 15.3, "co2e_avoided_kg": 1638.0}


# The IT register's figures of a year (issue 19): the items retired that year and where
# they went, whenever they left; counts only. No docstring (it would be published).
class ITFigures(AgentsAPIMixin, APIView):
    permission_classes = [IsAuthenticated, IsITFiguresViewer]

    @extend_schema(
        summary="IT equipment retired in a year and where it went (IT register)",
        tags=["moderation"],
        description="Items of the IT register retired into a batch during `year`, and "
                    "their exits whenever they happened (an item counts in the year it "
                    "was retired in): second life in the authority, listing on the "
                    "exchange, donation, recycling; the décret n° 2023-266 share "
                    "(reused / retired); weight and CO2e avoided per item type from the "
                    "reference factors. Counts only, no serial number.",
        parameters=[OpenApiParameter("year", int, description="Defaults to this year.")],
        responses={200: s.ITFiguresSerializer, 400: ERRORS[400], 401: ERRORS[401],
                   403: ERRORS[403]},
        examples=[OpenApiExample("A year", response_only=True, value={
            "year": 2026, "decree_target_percent": 50, **IT_EXAMPLE_COUNTS,
            "by_kind": [{"kind": "computer", "label": "Ordinateur", **IT_EXAMPLE_COUNTS}]})],
    )
    def get(self, request):
        query = s.ITFiguresQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        year = query.validated_data.get("year") or timezone.localdate().year
        figures = it_figures(request.tenant, *year_bounds(year))
        if figures is None:  # no IT register installed: nothing retired through it
            raise ImproperlyConfigured("The IT register's figures are not registered.")
        return Response(s.ITFiguresSerializer({
            "year": year, "decree_target_percent": it_target(year), **_it_counts(figures),
            "by_kind": [{"kind": row.kind, "label": row.label, **_it_counts(row)}
                        for row in figures.by_kind]}).data)


IT_COUNT_FIELDS = ("retired", "reconditioned", "second_life", "listed", "donated",
                   "recycled", "awaiting_exit", "reused", "started_second_life",
                   "started_third_life", "recycled_weight_kg", "weight_avoided_kg",
                   "co2e_avoided_kg")


def _it_counts(counts) -> dict:
    return {**{name: getattr(counts, name) for name in IT_COUNT_FIELDS},
            "reuse_share_percent": counts.share}
