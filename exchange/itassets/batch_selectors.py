"""Reads of the retirement batches (exchange.itassets.batches writes them): the list,
a batch's items with their latest erasure and exit, the assets that may join a batch,
and the exits a transfer record or removal slip lists. Each page's reads are a fixed
number of queries whatever the batch's size."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Prefetch, Q, QuerySet

from exchange.itassets.models import (
    RETIRABLE_STATES,
    BatchItem,
    ErasureRecord,
    ErasureResult,
    ITAsset,
    ITExit,
    RetirementBatch,
)


def batches() -> QuerySet[RetirementBatch]:
    """Every batch, the newest first, with its counts of items, items whose data were
    erased and items that left."""
    return (RetirementBatch.objects.select_related("created_by").annotate(
        item_count=Count("items", distinct=True),
        erased_count=Count("items", filter=Q(items__erasures__result=ErasureResult.OK),
                           distinct=True),
        exited_count=Count("items", filter=Q(items__exited_on__isnull=False),
                           distinct=True)))


@dataclass(frozen=True)
class ItemRow:
    """A batch's item as its pages and certificate show it."""

    item: BatchItem
    erasure: ErasureRecord | None  # the latest one
    exit: ITExit | None

    @property
    def asset(self) -> ITAsset:
        return self.item.asset

    @property
    def may_leave(self) -> bool:
        return (self.exit is None and self.erasure is not None
                and self.erasure.result == ErasureResult.OK)


def item_rows(batch: RetirementBatch) -> list[ItemRow]:
    """`batch`'s items in the order they joined, each with its latest erasure and its
    exit (three queries)."""
    items = (batch.items.select_related("asset", "exit", "exit__to_service", "exit__to_site",
                                        "exit__to_user", "exit__listing")
             .prefetch_related(Prefetch(
                 "erasures", queryset=ErasureRecord.objects.order_by("-erased_on", "-id"),
                 to_attr="erasures_newest_first"))
             .order_by("id"))
    rows = []
    for item in items:
        newest = item.erasures_newest_first[0] if item.erasures_newest_first else None
        rows.append(ItemRow(item=item, erasure=newest,
                            exit=getattr(item, "exit", None)))
    return rows


def exit_references(batch: RetirementBatch, kind: str) -> list[str]:
    """The references of `batch`'s exit groups of `kind`, in order (one document each)."""
    return list(ITExit.objects.filter(item__batch=batch, kind=kind)
                .order_by("reference").values_list("reference", flat=True).distinct())


def exits_of(batch: RetirementBatch, reference: str) -> list[ITExit]:
    """The exits recorded together under `reference`, with their assets."""
    return list(ITExit.objects.filter(item__batch=batch, reference=reference)
                .select_related("item__asset", "erasure").order_by("item_id"))


def retirable_assets(query: str = "") -> QuerySet[ITAsset]:
    """Assets in no batch (in use, in stock or out of order), searched like the register
    by serial, inventory number, make or model."""
    rows = (ITAsset.objects.filter(state__in=list(RETIRABLE_STATES))
            .select_related("holder_service", "holder_site", "holder_user"))
    for word in query.split():
        rows = rows.filter(Q(serial_number__icontains=word)
                           | Q(inventory_number__icontains=word)
                           | Q(make__icontains=word) | Q(model__icontains=word))
    return rows


def assets_by_serials(text: str) -> tuple[list[ITAsset], list[str]]:
    """The assets whose serial numbers `text` lists (separated by lines, commas or spaces,
    whatever their case), and the serials of no asset (one query)."""
    wanted = list(dict.fromkeys(word.strip() for word in text.replace(",", " ").split()))
    if not wanted:
        return [], []
    condition = Q()
    for word in wanted:
        condition |= Q(serial_number__iexact=word)
    found = {asset.serial_number.upper(): asset
             for asset in ITAsset.objects.filter(condition).order_by("pk")}
    missing = [word for word in wanted if word.upper() not in found]
    return list(found.values()), missing
