"""The IT register's yearly figures (issue 19), read by the statistics through
analytics.sources.register_it_figures (analytics sits below and never imports this
app; exchange/itassets/apps.py registers `register_counts`).

**Which period an item counts in: the one it was retired in** (`BatchItem.retired_on`).
Its exit is counted with it whenever it happens, so a period's figures always add up —
retired = sent to reuse + recycled + still in a batch — and the décret n° 2023-266 share
(sent to reuse / retired) never goes above 100 %. A laptop retired in December and given
to a school in January counts in December's year; that year's share rises when it leaves.

Sent to reuse: a second life in the authority, a listing on the exchange (posted for the
other services and the authorities it shares with: the item left the IT team for reuse
when the listing was posted), a donation under an agreement. Recycling is not reuse.
Which life a reused item starts: a second life in-house says it (`ITExit.life_after`); a
listed or donated item starts the life after the one it was in (`ITAsset.life` + 1).

One aggregate query (grouped by asset kind) for any number of items; no serial
number leaves this module."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import Count, Q, Sum

from exchange.itassets.batches import REFERENCE_CODE_BY_KIND
from exchange.itassets.models import AssetKind, BatchItem, ExitKind

REUSE_EXITS = (ExitKind.SECOND_LIFE, ExitKind.LISTING, ExitKind.DONATION)


@dataclass(frozen=True)
class Counts:
    """Items retired in the period (of one asset kind, or all) and where they went."""

    retired: int = 0
    reconditioned: int = 0  # reconditioning recorded (parts, free OS, licence)
    second_life: int = 0  # a new holder in the authority
    listed: int = 0  # offered on the exchange
    donated: int = 0
    recycled: int = 0
    awaiting_exit: int = 0  # still in a batch
    started_second_life: int = 0  # reused items by the life they start…
    started_third_life: int = 0  # …the third or a later one
    recycled_weight_kg: Decimal = Decimal("0.000")

    @property
    def reused(self) -> int:
        return self.second_life + self.listed + self.donated


@dataclass(frozen=True)
class KindCounts(Counts):
    kind: str = ""
    label: str = ""
    reference_code: str = ""  # analytics' reference item (weight, CO2e)


@dataclass(frozen=True)
class RegisterCounts(Counts):
    by_kind: list[KindCounts] = field(default_factory=list)


COUNTED = ("retired", "reconditioned", "second_life", "listed", "donated", "recycled",
           "awaiting_exit", "started_second_life", "started_third_life",
           "recycled_weight_kg")


def register_counts(start: date, end: date) -> RegisterCounts:
    """Items of the current schema's register retired in [start, end] and where they
    went, per asset kind and in all (see the module's docstring). One query."""
    starts_second = (Q(exit__kind=ExitKind.SECOND_LIFE, exit__life_after=2)
                     | Q(exit__kind__in=[ExitKind.LISTING, ExitKind.DONATION],
                         asset__life=1))
    starts_later = (Q(exit__kind=ExitKind.SECOND_LIFE, exit__life_after__gte=3)
                    | Q(exit__kind__in=[ExitKind.LISTING, ExitKind.DONATION],
                        asset__life__gte=2))
    recycling = Q(exit__kind=ExitKind.RECYCLING)
    rows = (BatchItem.objects.filter(retired_on__gte=start, retired_on__lte=end)
            .order_by().values("asset__kind").annotate(
                retired=Count("id"),
                reconditioned=Count("id", filter=Q(reconditioned_on__isnull=False)),
                second_life=Count("id", filter=Q(exit__kind=ExitKind.SECOND_LIFE)),
                listed=Count("id", filter=Q(exit__kind=ExitKind.LISTING)),
                donated=Count("id", filter=Q(exit__kind=ExitKind.DONATION)),
                recycled=Count("id", filter=recycling),
                awaiting_exit=Count("id", filter=Q(exited_on__isnull=True)),
                started_second_life=Count("id", filter=starts_second),
                started_third_life=Count("id", filter=starts_later),
                recycled_weight_kg=Sum("exit__weight_kg", filter=recycling)))
    found = {row["asset__kind"]: row for row in rows}
    labels = dict(AssetKind.choices)
    by_kind = []
    for kind in AssetKind.values:
        row = found.get(kind)
        if row is None:
            continue
        row["recycled_weight_kg"] = row["recycled_weight_kg"] or Decimal("0.000")
        by_kind.append(KindCounts(
            kind=kind, label=str(labels[kind]),
            reference_code=REFERENCE_CODE_BY_KIND.get(kind, ""),
            **{name: row[name] for name in COUNTED}))
    totals = {name: sum((getattr(row, name) for row in by_kind),
                        Decimal("0.000") if name == "recycled_weight_kg" else 0)
              for name in COUNTED}
    return RegisterCounts(by_kind=by_kind, **totals)
