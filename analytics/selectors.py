"""Reads of the statistics facts (public schema). Every function takes the authority
explicitly: facts of all authorities share one table, and a caller only ever passes
the authority of the request."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db.models import Count, QuerySet, Sum
from django.db.models.functions import TruncMonth

from tenants.models import Authority

from .models import REUSE_DESTINATIONS, TransferFact

ZERO_KG = Decimal("0.000")
ZERO_EUR = Decimal("0.00")


def facts_between(authority: Authority, start: date, end: date) -> QuerySet[TransferFact]:
    """The authority's facts dated in [start, end] (both included), oldest first."""
    return TransferFact.objects.filter(authority=authority, date__range=(start, end)).order_by(
        "date", "transfer_id")


def co2e_avoided_kg(authority: Authority, start: date, end: date) -> Decimal:
    """kg CO2e avoided by reuse over [start, end]."""
    total = facts_between(authority, start, end).aggregate(
        total=Sum("co2e_avoided_kg"))["total"]
    return total if total is not None else ZERO_KG


def months_between(start: date, end: date) -> list[date]:
    """First days of the months from `start`'s to `end`'s, both included."""
    months, month = [], start.replace(day=1)
    while month <= end:
        months.append(month)
        month = month.replace(year=month.year + month.month // 12, month=month.month % 12 + 1)
    return months


def monthly_series(authority: Authority, start: date, end: date) -> list[dict]:
    """Per month of [start, end] (months without facts included, with zeros):
    listings that found a taker, € given, kg and kg CO2e avoided — reuse only."""
    reused = facts_between(authority, start, end).filter(
        destination__in=REUSE_DESTINATIONS).order_by()
    rows = {
        row["month"]: row for row in reused.annotate(month=TruncMonth("date")).values("month")
        .annotate(listings=Count("listing_id", distinct=True), value=Sum("value_eur"),
                  weight=Sum("weight_avoided_kg"), co2e=Sum("co2e_avoided_kg"))
    }
    series = []
    for month in months_between(start, end):
        row = rows.get(month, {})
        series.append({
            "month": month.strftime("%Y-%m"),
            "listings_exchanged": row.get("listings", 0),
            "value_exchanged_eur": row.get("value") or ZERO_EUR,
            "weight_avoided_kg": row.get("weight") or ZERO_KG,
            "co2e_avoided_kg": row.get("co2e") or ZERO_KG,
        })
    return series


def factors_versions(authority: Authority, start: date, end: date) -> list[str]:
    """The factor versions that produced the figures of [start, end], sorted."""
    return sorted(set(facts_between(authority, start, end).order_by().values_list(
        "factors_version", flat=True).distinct()))

