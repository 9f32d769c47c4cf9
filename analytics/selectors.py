"""Reads of the statistics facts (public schema). Every function takes the authority
explicitly: facts of all authorities share one table, and a caller only ever passes
the authority of the request."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from statistics import median

from dateutil.relativedelta import relativedelta
from django.db import connection
from django.db.models import Count, Min, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth

from analytics.agec_categories import agec_categories
from analytics.models import (
    REUSE_DESTINATIONS,
    AgecFigureChange,
    AgecPurchase,
    ExternalDonation,
    StatsSettings,
    TransferFact,
)
from analytics.sources import fact_source
from tenants.models import Authority

ZERO_KG = Decimal("0.000")
ZERO_EUR = Decimal("0.00")


def facts_between(authority: Authority, start: date, end: date) -> QuerySet[TransferFact]:
    """The authority's facts dated in [start, end] (both included), oldest first."""
    return TransferFact.objects.filter(authority=authority, date__range=(start, end)).order_by(
        "date", "transfer_id")


def months_between(start: date, end: date) -> list[date]:
    """First days of the months from `start`'s to `end`'s, both included."""
    months, month = [], start.replace(day=1)
    while month <= end:
        months.append(month)
        month += relativedelta(months=1)
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
    return factors_summary(authority, start, end)[0]


def factors_summary(authority: Authority, start: date, end: date) -> tuple[list[str], int]:
    """(factor versions of [start, end], sorted; how many of its facts have weight and
    CO2e estimated from their family's average, `TransferFact.family_estimate`). One
    GROUP BY query."""
    rows = facts_between(authority, start, end).order_by().values(
        "factors_version").annotate(estimated=Count("id", filter=Q(family_estimate=True)))
    rows = list(rows)
    return (sorted({row["factors_version"] for row in rows}),
            sum(row["estimated"] for row in rows))



# --- Moderator report (issue 5, item 4) ------------------------------------------------

def _reused(authority: Authority, start: date, end: date) -> QuerySet[TransferFact]:
    return facts_between(authority, start, end).filter(
        destination__in=REUSE_DESTINATIONS).order_by()


def _breakdown(facts: QuerySet[TransferFact], field: str) -> list[dict]:
    """Per value of `field` (largest € first): listings, quantity, €, kg and CO2e avoided."""
    rows = facts.values(field).annotate(
        listings=Count("listing_id", distinct=True), quantity=Sum("quantity"),
        value=Sum("value_eur"), weight=Sum("weight_avoided_kg"),
        co2e=Sum("co2e_avoided_kg")).order_by("-value", field)
    return [{"key": row[field], "listings": row["listings"], "quantity": row["quantity"],
             "value_eur": row["value"], "weight_avoided_kg": row["weight"],
             "co2e_avoided_kg": row["co2e"]} for row in rows]


def listings_posted_by_month(start: date, end: date) -> dict[date, int]:
    """Listings of the current tenant schema posted per month of [start, end].

    "Posted" means submitted for review (submitted_at, Europe/Paris date, in the period)
    and not back to draft. Read from the listings (analytics.sources: the facts hold
    transfers, not listings); call it inside the authority's schema."""
    return fact_source().listings_posted_by_month(start, end)


def taker_figures(authority: Authority, start: date, end: date) -> dict:
    """Share of listings that find a taker, and median days to a taker.

    - share: among the listings of the current tenant schema *published* (published_at,
      Europe/Paris date) in [start, end], the fraction that have at least one giving
      transfer (destination same authority, other authority or partner) at any date up
      to today. None when no listing was published in the period.
    - median days: over the listings whose *first* giving transfer is dated in
      [start, end], the median of (date of that first giving transfer − Europe/Paris
      date of publication), in days. None when there is no such listing.
    Publication dates come from the listings (analytics.sources), the giving transfers
    from the facts. Call it inside the authority's schema (three queries, whatever the
    number of rows).
    """
    given = TransferFact.objects.filter(authority=authority,
                                        destination__in=REUSE_DESTINATIONS).order_by()
    published = fact_source().listings_published_between(start, end)
    taken = set(given.filter(listing_id__in=list(published)).values_list(
        "listing_id", flat=True).distinct()) if published else set()
    firsts = dict(given.values("listing_id").annotate(first=Min("date")).filter(
        first__range=(start, end)).values_list("listing_id", "first"))
    publication = fact_source().publication_dates(list(firsts)) if firsts else {}
    delays = [(firsts[pk] - day).days for pk, day in publication.items()]
    return {
        "listings_published": len(published),
        "listings_taken": len(taken),
        "taker_share": (len(taken) / len(published)) if published else None,
        "median_days_to_taker": median(delays) if delays else None,
    }


def period_totals(authority: Authority, start: date, end: date,
                  posted_by_month: dict[date, int] | None = None) -> dict:
    """The period's totals over [start, end] (dates included), the single definition that
    the moderators' report, their dashboard and the API summary all show.

    - listings_posted: listings of the current tenant schema submitted for review in the
      period and not back to draft (`listings_posted_by_month`; pass its result when
      already read). Call it inside the authority's schema.
    - listings_exchanged, value_exchanged_eur, weight_avoided_kg, co2e_avoided_kg: from
      the authority's statistics facts dated in the period, reuse destinations only
      (same authority, other authority, partner); a listing closed in several parts
      counts once, each part's € and kg count. Two queries."""
    posted = (posted_by_month if posted_by_month is not None
              else listings_posted_by_month(start, end))
    totals = _reused(authority, start, end).aggregate(
        listings=Count("listing_id", distinct=True), value=Sum("value_eur"),
        weight=Sum("weight_avoided_kg"), co2e=Sum("co2e_avoided_kg"))
    return {
        "listings_posted": sum(posted.values()),
        "listings_exchanged": totals["listings"] or 0,
        "value_exchanged_eur": totals["value"] or ZERO_EUR,
        "weight_avoided_kg": totals["weight"] or ZERO_KG,
        "co2e_avoided_kg": totals["co2e"] or ZERO_KG,
    }


def report(authority: Authority, start: date, end: date) -> dict:
    """Everything the moderators' report page shows for [start, end] (dates included).

    Facts of `authority` only; "posted" and the taker figures read the current tenant
    schema, so call it inside that authority's schema. A bounded number of queries."""
    reused = _reused(authority, start, end)
    versions, family_estimates = factors_summary(authority, start, end)
    posted = listings_posted_by_month(start, end)
    months = monthly_series(authority, start, end)
    for row, month in zip(months, months_between(start, end), strict=True):
        row["listings_posted"] = posted.get(month, 0)
    by_destination = facts_between(authority, start, end).order_by().values(
        "destination").annotate(listings=Count("listing_id", distinct=True),
                                quantity=Sum("quantity"), value=Sum("value_eur")).order_by(
        "destination")
    return {
        "start": start,
        "end": end,
        "months": months,
        "totals": period_totals(authority, start, end, posted),
        "by_family": _breakdown(reused, "family"),
        "by_giver_service": _breakdown(reused, "giver_service"),
        "by_receiver_service": _breakdown(reused, "receiver_service"),
        "by_destination": [{"key": row["destination"], "listings": row["listings"],
                            "quantity": row["quantity"], "value_eur": row["value"]}
                           for row in by_destination],
        "takers": taker_figures(authority, start, end),
        "factors_versions": versions,
        # Facts whose weight and CO2e are their family's average (no reference figure
        # for the item type): the page links to « Facteurs » to refine them.
        "family_estimates": family_estimates,
    }


# --- Receiver's side of transfers between authorities (stream "stats") -----------------

def received_between(authority: Authority, start: date, end: date) -> QuerySet[TransferFact]:
    """Facts of other authorities whose items `authority` received in [start, end]: for
    `authority` a purchase avoided (for the loi AGEC, a donation). Totals across
    authorities never add these: each fact counts once, on the giver's side. A fact
    names its receiver only once the receiver confirmed receipt (analytics.facts), so
    pending, declined and expired transfers are never here."""
    return TransferFact.objects.filter(
        receiver_authority=authority, date__range=(start, end),
        destination__in=REUSE_DESTINATIONS).select_related("authority").order_by(
        "date", "authority_id", "transfer_id")


def received_summary(authority: Authority, start: date, end: date) -> dict:
    """Totals of the items received from other authorities, and per giving authority."""
    facts = TransferFact.objects.filter(receiver_authority=authority,
                                        date__range=(start, end),
                                        destination__in=REUSE_DESTINATIONS).order_by()
    totals = facts.aggregate(listings=Count("id"), quantity=Sum("quantity"),
                             value=Sum("value_eur"), weight=Sum("weight_avoided_kg"),
                             co2e=Sum("co2e_avoided_kg"))
    by_giver = facts.values("authority__name").annotate(
        listings=Count("id"), quantity=Sum("quantity"), value=Sum("value_eur"),
        weight=Sum("weight_avoided_kg"), co2e=Sum("co2e_avoided_kg")).order_by(
        "-value", "authority__name")
    return {
        "transfers": totals["listings"] or 0,
        "quantity": totals["quantity"] or 0,
        "value_eur": totals["value"] or ZERO_EUR,
        "weight_avoided_kg": totals["weight"] or ZERO_KG,
        "co2e_avoided_kg": totals["co2e"] or ZERO_KG,
        "by_giver": [{"key": row["authority__name"], "listings": row["listings"],
                      "quantity": row["quantity"], "value_eur": row["value"],
                      "weight_avoided_kg": row["weight"], "co2e_avoided_kg": row["co2e"]}
                     for row in by_giver],
    }


def top_families(report_data: dict, limit: int = 5) -> list[dict]:
    return report_data["by_family"][:limit]


# --- Across authorities: operator console and public impact page -----------------------

AGGREGATE_SQL = """
WITH per_authority AS (
    SELECT f.authority_id, COUNT(*) AS transfers, SUM(f.quantity) AS quantity,
           SUM(f.value_eur) AS value_eur, SUM(f.weight_avoided_kg) AS weight_avoided_kg,
           SUM(f.co2e_avoided_kg) AS co2e_avoided_kg
    FROM analytics_transferfact f
    WHERE f.destination = ANY(%(destinations)s) {extra}
    GROUP BY f.authority_id
)
SELECT GROUPING(a.kind) AS by_kind, GROUPING(a.departement) AS by_departement,
       a.kind, a.departement, COUNT(*) AS authorities,
       COALESCE(SUM(p.transfers), 0) AS transfers, COALESCE(SUM(p.quantity), 0) AS quantity,
       COALESCE(SUM(p.value_eur), 0) AS value_eur,
       COALESCE(SUM(p.weight_avoided_kg), 0) AS weight_avoided_kg,
       COALESCE(SUM(p.co2e_avoided_kg), 0) AS co2e_avoided_kg
FROM per_authority p JOIN tenants_authority a ON a.id = p.authority_id
GROUP BY GROUPING SETS ((a.kind), (a.departement), ())
"""


def _aggregate(extra: str = "", params: dict | None = None) -> list[dict]:
    params = {"destinations": [str(d) for d in REUSE_DESTINATIONS], **(params or {})}
    with connection.cursor() as cursor:
        cursor.execute(AGGREGATE_SQL.format(extra=extra), params)
        columns = [column.name for column in cursor.description]
        return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def cross_authority_totals(start: date | None = None, end: date | None = None) -> dict:
    """Reuse totals of every authority (each fact once, on the giver's side), overall,
    per kind of authority and per département: one query — the facts summed per
    authority, joined to the authorities, then GROUP BY GROUPING SETS. Never lists a
    transfer."""
    extra, params = "", {}
    if start and end:
        extra, params = "AND f.date BETWEEN %(start)s AND %(end)s", {"start": start,
                                                                      "end": end}
    rows = _aggregate(extra, params)
    overall = next((r for r in rows if r["by_kind"] and r["by_departement"]), None)
    empty = {"authorities": 0, "transfers": 0, "quantity": 0, "value_eur": ZERO_EUR,
             "weight_avoided_kg": ZERO_KG, "co2e_avoided_kg": ZERO_KG}
    return {
        "overall": overall or empty,
        "by_kind": sorted((r for r in rows if not r["by_kind"]), key=lambda r: r["kind"]),
        "by_departement": sorted((r for r in rows if r["by_kind"] and not r["by_departement"]),
                                 key=lambda r: r["departement"] or "~"),
    }


def public_impact() -> dict:
    """Totals of the authorities that opted in to the public impact page (one query)."""
    opted = StatsSettings.objects.filter(public_impact=True).values("authority_id")
    facts = TransferFact.objects.filter(authority_id__in=opted,
                                        destination__in=REUSE_DESTINATIONS).order_by()
    totals = facts.aggregate(quantity=Sum("quantity"), weight=Sum("weight_avoided_kg"),
                             co2e=Sum("co2e_avoided_kg"))
    weight, co2e = totals["weight"] or ZERO_KG, totals["co2e"] or ZERO_KG
    return {
        "tonnes": weight / 1000,
        "co2e_tonnes": co2e / 1000,
        "authorities": StatsSettings.objects.filter(public_impact=True).count(),
        "quantity": totals["quantity"] or 0,
        "weight_avoided_kg": totals["weight"] or ZERO_KG,
        "co2e_avoided_kg": totals["co2e"] or ZERO_KG,
        "names": list(StatsSettings.objects.filter(public_impact=True).order_by(
            "authority__name").values_list("authority__name", flat=True)),
    }


# --- An agent's own figures (no €) -------------------------------------------------------

def agent_figures(authority: Authority, user) -> dict:
    """Non-monetary figures of `user`'s own activity: items they gave (transfers of their
    listings that were reused) and items their service received, with kg and CO2e from
    the facts. Never a € figure. Which transfers are theirs comes from the listings
    (analytics.sources: facts name no person); call it inside the authority's schema."""
    source = fact_source()

    def figures(ids: list[int]) -> dict:
        totals = TransferFact.objects.filter(authority=authority, transfer_id__in=ids).aggregate(
            quantity=Sum("quantity"), weight=Sum("weight_avoided_kg"),
            co2e=Sum("co2e_avoided_kg")) if ids else {}
        return {"transfers": len(ids), "quantity": totals.get("quantity") or 0,
                "weight_avoided_kg": totals.get("weight") or ZERO_KG,
                "co2e_avoided_kg": totals.get("co2e") or ZERO_KG}

    service_id = getattr(user, "service_id", None)
    return {
        "given": figures(source.reused_transfer_ids(poster=user)),
        "received_by_service": figures(source.reused_transfer_ids(
            service_id=service_id)) if service_id else None,
    }


# --- Issue 16: the finance team's purchases and the donations received elsewhere -------

@dataclass(frozen=True)
class PurchaseFigures:
    """One category's purchases of a year, excl. VAT: the total and, within it, the
    part from reuse and the part with recycled materials."""

    total_eur: Decimal
    reuse_eur: Decimal
    recycled_eur: Decimal


def agec_purchases(authority: Authority, year: int) -> dict[str, PurchaseFigures]:
    """The purchases entered for `year`, by AGEC category label (only the categories
    entered; in the order of the schema's enum)."""
    rows = {row.category: PurchaseFigures(row.total_eur, row.reuse_eur, row.recycled_eur)
            for row in AgecPurchase.objects.filter(authority=authority, year=year)}
    return {label: rows[label] for label in agec_categories() if label in rows}


def external_donations_by_category(authority: Authority, year: int) -> dict[str, Decimal]:
    """The value of the donations received outside the platform in `year`, summed by
    AGEC category (only categories with a donation)."""
    sums = (ExternalDonation.objects.filter(authority=authority, year=year)
            .values("category").annotate(total=Sum("amount_eur")).order_by("category"))
    return {row["category"]: row["total"] for row in sums}


def external_donations(authority: Authority, year: int) -> QuerySet[ExternalDonation]:
    """The donations received outside the platform in `year`, by category."""
    return ExternalDonation.objects.filter(authority=authority, year=year).order_by(
        "category", "received_on", "id")


def purchase_years(authority: Authority) -> list[int]:
    """The years for which purchases or outside donations were entered, latest first."""
    years = set(AgecPurchase.objects.filter(authority=authority)
                .values_list("year", flat=True).distinct())
    years |= set(ExternalDonation.objects.filter(authority=authority)
                 .values_list("year", flat=True).distinct())
    return sorted(years, reverse=True)


def agec_figure_changes(authority: Authority, year: int | None = None
                        ) -> QuerySet[AgecFigureChange]:
    """The audit trail of the AGEC figures, latest first (one year, or all)."""
    changes = AgecFigureChange.objects.filter(authority=authority)
    if year is not None:
        changes = changes.filter(year=year)
    return changes.order_by("-at", "-id")
