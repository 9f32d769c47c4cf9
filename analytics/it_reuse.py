"""The IT register's figures of a period (issue 19): retired IT equipment, where it
went, the décret n° 2023-266 share and the weight and CO2e its reuse avoided.

Counts come from the authority's register (exchange.itassets.figures, registered through
analytics.sources.register_it_figures): every item counts in the period it was retired
in, its exit with it whenever it happens (docs/architecture.md §8e). Weight and CO2e
avoided are the reused items of each asset kind × the kind's reference factors (or the
authority's overrides: analytics.facts.factor_table, the factors of the transfer facts).
Counts only: no serial number, no holder."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from analytics import sources
from analytics.facts import KG, NO_FACTORS, factor_table
from tenants.crossing import OwnWork, current_schema, in_authority, may_cross
from tenants.models import Authority

ZERO_KG = Decimal("0.000")


COUNTS = ("retired", "reconditioned", "second_life", "listed", "donated", "recycled",
          "awaiting_exit", "started_second_life", "started_third_life")


@dataclass(frozen=True)
class ITCounts:
    """Items retired (of one asset kind, or all) and where they went; the weight and
    CO2e their reuse avoided."""

    retired: int
    reconditioned: int  # reconditioning recorded (parts, free operating system…)
    second_life: int  # a new holder in the authority
    listed: int  # offered on the exchange
    donated: int  # under an agreement
    recycled: int
    awaiting_exit: int  # still in a batch
    started_second_life: int  # reused items by the life they start…
    started_third_life: int  # …the third or a later one
    recycled_weight_kg: Decimal
    weight_avoided_kg: Decimal
    co2e_avoided_kg: Decimal

    @property
    def reused(self) -> int:
        """Sent to reuse: second life in-house, listed on the exchange, donated."""
        return self.second_life + self.listed + self.donated

    @property
    def share(self) -> Decimal | None:
        """Sent to reuse / retired, in %, one decimal; None when nothing was retired."""
        if not self.retired:
            return None
        return (Decimal(self.reused) * 100 / self.retired).quantize(
            Decimal("0.1"), rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class ITKindFigures(ITCounts):
    kind: str
    label: str


@dataclass(frozen=True)
class ITFigures(ITCounts):
    """Items of the register retired in [start, end] (see the module)."""

    start: date
    end: date
    by_kind: list[ITKindFigures]


def _counts(authority: Authority, start: date, end: date):
    """The register's counts of `authority`: read in place when the request is already
    in its schema, else through its own crossing (a command, a test); None when it has
    no register (no IT app) or may not be entered (no longer live)."""
    if current_schema() == authority.schema_name:
        return sources.it_register_counts(start, end)
    ground = OwnWork("IT register figures")
    if not may_cross(authority, ground):
        return None
    with in_authority(authority, ground=ground):
        return sources.it_register_counts(start, end)


def it_figures(authority: Authority, start: date, end: date) -> ITFigures | None:
    """The IT register's figures of `authority` for the items retired in [start, end];
    None without an IT register. Three queries whatever the number of items (one on
    the register, two for the factors)."""
    counts = _counts(authority, start, end)
    if counts is None:
        return None
    factors = factor_table(authority) if counts.by_kind else {}
    by_kind = []
    for row in counts.by_kind:
        unit = factors.get(row.reference_code, NO_FACTORS)
        by_kind.append(ITKindFigures(
            **{name: getattr(row, name) for name in COUNTS},
            recycled_weight_kg=Decimal(row.recycled_weight_kg),
            weight_avoided_kg=(unit.weight_kg * row.reused).quantize(KG, ROUND_HALF_UP),
            co2e_avoided_kg=(unit.co2e_kg * row.reused).quantize(KG, ROUND_HALF_UP),
            kind=row.kind, label=row.label))
    return ITFigures(
        **{name: getattr(counts, name) for name in COUNTS},
        recycled_weight_kg=Decimal(counts.recycled_weight_kg),
        weight_avoided_kg=sum((row.weight_avoided_kg for row in by_kind), ZERO_KG),
        co2e_avoided_kg=sum((row.co2e_avoided_kg for row in by_kind), ZERO_KG),
        start=start, end=end, by_kind=by_kind)


def year_bounds(year: int) -> tuple[date, date]:
    return date(year, 1, 1), date(year, 12, 31)
