"""What the statistics ask of the app whose data their facts project: the listings.

The facts (analytics.models.TransferFact) are a projection of the transfers of each
authority's listings, and the listings app sits above analytics: analytics never
imports it. The listings app registers its `FactSource` when Django starts
(exchange/listings/apps.py), which recomputes an authority's facts and answers the few
reads the facts cannot: they hold transfers, not listings nor people, so "listings
posted", publication dates and an agent's own transfers come from the listings.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from tenants.models import Authority


class FactSource(Protocol):
    """The listings' side of the statistics (exchange.listings.projections)."""

    def rebuild_facts(self, authority: Authority) -> dict[str, int]:
        """Recompute every fact of `authority` from its schema; counts of created,
        updated, deleted and unchanged facts."""

    def listings_posted_by_month(self, start: date, end: date) -> dict[date, int]:
        """Listings of the current schema submitted for review in [start, end] and not
        back to draft, per first day of month."""

    def listings_published_between(self, start: date, end: date) -> dict[int, date]:
        """Listing id → Europe/Paris date of publication, for the listings of the
        current schema published in [start, end]."""

    def publication_dates(self, listing_ids: list[int]) -> dict[int, date]:
        """Listing id → Europe/Paris date of publication, for those of `listing_ids`
        (current schema) that were published."""

    def reused_transfer_ids(self, *, poster=None, service_id: int | None = None) -> list[int]:
        """Ids of the current schema's transfers whose items were reused (given to a
        service, an authority or a partner): of `poster`'s listings, or received by
        service `service_id`."""


_SOURCE: list[FactSource] = []


def register_fact_source(source: FactSource) -> None:
    """Called once, by the listings app, from its AppConfig.ready()."""
    _SOURCE[:] = [source]


def fact_source() -> FactSource:
    """The registered source; RuntimeError when the listings app is not installed."""
    if not _SOURCE:
        raise RuntimeError("No fact source: the listings app registers one when it starts.")
    return _SOURCE[0]


# --- Loans (issue 18) -----------------------------------------------------------------
# Loans of shared equipment (exchange.loans, above analytics) are counted apart from the
# transfers: days lent and purchases avoided, never in the € of reuse. The loans app
# registers the function that reads them from the current schema.

class LoanFigures(Protocol):
    bookings: int
    unit_days: int
    purchases_avoided_eur: object


_LOAN_FIGURES: list = []


def register_loan_figures(reader) -> None:
    """Called once, by the loans app, from its AppConfig.ready(): `reader(start, end)`
    returns the LoanFigures of the current schema's loans in [start, end]."""
    _LOAN_FIGURES[:] = [reader]


def loan_figures(start: date, end: date) -> LoanFigures | None:
    """The loans' figures of the current schema, or None when no loans app is installed."""
    return _LOAN_FIGURES[0](start, end) if _LOAN_FIGURES else None


# --- The IT register (issue 19) ---------------------------------------------------------
# Retired IT equipment and where it went (exchange.itassets, above analytics): second
# life, listing, donation, recycling. Donations write no TransferFact, so these figures
# read the register itself. The IT app registers the function that reads its current
# schema (exchange.itassets.figures.register_counts); analytics.it_reuse applies the
# reference factors and the décret n° 2023-266 share.

class ITRegisterCounts(Protocol):
    """Items retired in a period and where they went (exchange.itassets.figures)."""

    retired: int
    reconditioned: int
    second_life: int
    listed: int
    donated: int
    recycled: int
    awaiting_exit: int
    started_second_life: int
    started_third_life: int
    recycled_weight_kg: object
    # Per asset kind, the same counts plus `kind`, `label` and `reference_code`.
    by_kind: list


_IT_FIGURES: list = []


def register_it_figures(reader) -> None:
    """Called once, by the IT register's app, from its AppConfig.ready(): `reader(start,
    end)` returns the ITRegisterCounts of the items of the current schema's register
    retired in [start, end]."""
    _IT_FIGURES[:] = [reader]


def it_register_counts(start: date, end: date) -> ITRegisterCounts | None:
    """The IT register's counts of the current schema, or None without the IT app."""
    return _IT_FIGURES[0](start, end) if _IT_FIGURES else None
