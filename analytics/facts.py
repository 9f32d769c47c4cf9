"""Statistics facts: one TransferFact (public schema) per transfer of an authority.

The facts are a projection of the listings, which sit above analytics: the listings
app (exchange.listings.projections) reads each transfer and passes it here as a
`TransferRow` of plain values. This module computes a fact's figures from the reference
factors (or the authority's overrides) and writes the facts: `write_fact` one
transfer's (after commit of close_listing), `replace_facts` all of an authority's in
bulk (the rebuild). `rebuild_facts` asks the listings app (analytics.sources) to
recompute an authority's facts, after a fix or a change of reference factors; it is
idempotent.

A transfer whose item type has no reference figure (a listing posted in a family itself,
e.g. « Mobilier », or an item type without a reference item) is not counted as 0 kg: it
gets the average weight and CO2e of its family's reference items (the authority's
overrides included), computed by one GROUP BY query per fact build (`family_table`), and
its fact is flagged `family_estimate` so that the report counts it and moderators can
refine the figure on « Facteurs ».

A transfer to another authority is the giver's fact from the start, but it names its
receiver (`receiver_authority`, which puts it in the receiver's "received" figures, AGEC
page and declaration) only once the receiver confirmed receipt (issue 12,
exchange.sharing.receipts, which calls `set_fact_receiver`); pending, declined and
expired requests never do.

Facts hold no personal data: services are organisational units, and no person's name,
e-mail or free text is copied.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import Avg, DecimalField, F, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from analytics.campaigns import note_fact_change, note_fact_changes
from analytics.models import (
    REFERENCE_FACTORS_VERSION,
    REUSE_DESTINATIONS,
    Destination,
    FactorOverride,
    ReferenceItem,
    TransferFact,
)
from analytics.sources import fact_source
from core.rows import plan_changes
from tenants.models import Authority

PARIS = ZoneInfo("Europe/Paris")
KG = Decimal("0.001")
CENTS = Decimal("0.01")
OVERRIDE_SUFFIX = "+override"
FAMILY_SUFFIX = "+family-average"
BATCH_SIZE = 1000

# Every field a fact gets from its transfer (all but authority, transfer_id, updated_at).
FACT_FIELDS = ("listing_id", "date", "family", "category", "reference_code", "destination",
               "quantity", "value_eur", "weight_kg", "weight_is_estimated",
               "family_estimate", "weight_avoided_kg", "co2e_avoided_kg", "factors_version",
               "giver_service", "receiver_service")


@dataclass(frozen=True)
class TransferRow:
    """One transfer as its fact needs it, in plain values (read by the listings app,
    exchange.listings.projections): nothing here names a person."""

    transfer_id: int
    listing_id: int
    created_at: datetime
    family: str  # the category's family ("" without one)
    category: str
    reference_code: str  # the category's reference item type ("" without one)
    destination: Destination
    quantity: int
    value: Decimal
    weight_kg: Decimal  # the transfer's weight; used when weighed (not estimated)
    weight_is_estimated: bool
    giver_service: str  # the listing's service ("" without one)
    receiver_service: str  # the receiving service of the authority ("" without one)
    # The receiving authority once it confirmed receipt (exchange.sharing), else None:
    # a giver alone never puts anything in another authority's figures.
    receiver_authority_id: int | None
    recipient_partner_id: int | None


@dataclass(frozen=True)
class Factors:
    """Per-item figures of a reference item type for one authority."""

    weight_kg: Decimal
    co2e_kg: Decimal
    version: str

    def as_tuple(self) -> tuple[Decimal, Decimal, str]:
        return self.weight_kg, self.co2e_kg, self.version


NO_FACTORS = Factors(Decimal("0"), Decimal("0"), REFERENCE_FACTORS_VERSION)


def _reference(item: ReferenceItem) -> Factors:
    return Factors(item.typical_weight_kg, item.co2e_kg_per_item,
                   item.version or REFERENCE_FACTORS_VERSION)


def _overridden(base: Factors, override: FactorOverride) -> Factors:
    """An override beats the reference field by field (an empty field keeps it)."""
    return Factors(
        override.weight_kg if override.weight_kg is not None else base.weight_kg,
        override.co2e_kg_per_item if override.co2e_kg_per_item is not None
        else base.co2e_kg,
        base.version + OVERRIDE_SUFFIX)


def factor_table(authority: Authority) -> dict[str, Factors]:
    """Factors of every reference item type for `authority` (two queries)."""
    table = {item.code: _reference(item) for item in ReferenceItem.objects.only(
        "code", "typical_weight_kg", "co2e_kg_per_item", "version")}
    for override in FactorOverride.objects.filter(authority=authority):
        table[override.reference_code] = _overridden(
            table.get(override.reference_code, NO_FACTORS), override)
    return table


def factors_for(authority: Authority, reference_code: str) -> tuple[Decimal, Decimal, str]:
    """(weight kg per item, kg CO2e avoided per item, factors version) of one item type.

    The authority's override beats the reference figure; the version then reads
    "2026.1+override". An unknown code gives zeros (nothing can be estimated)."""
    item = ReferenceItem.objects.filter(code=reference_code).first()
    factors = _reference(item) if item is not None else NO_FACTORS
    override = FactorOverride.objects.filter(authority=authority,
                                             reference_code=reference_code).first()
    if override is not None:
        factors = _overridden(factors, override)
    return factors.as_tuple()


def family_table(authority: Authority, family: str | None = None) -> dict[str, Factors]:
    """Family name → average per-item figures of its reference items for `authority`
    (an override beats the reference figure it overrides, field by field). One GROUP BY
    query, whatever the number of items; `family` restricts it to one family."""
    overrides = FactorOverride.objects.filter(authority=authority,
                                              reference_code=OuterRef("code"))
    figure = DecimalField(max_digits=9, decimal_places=3)
    items = ReferenceItem.objects.all() if family is None else ReferenceItem.objects.filter(
        family_fr=family)
    rows = items.annotate(
        weight=Coalesce(Subquery(overrides.values("weight_kg")[:1], output_field=figure),
                        F("typical_weight_kg")),
        co2e=Coalesce(Subquery(overrides.values("co2e_kg_per_item")[:1], output_field=figure),
                      F("co2e_kg_per_item")),
    ).order_by().values("family_fr").annotate(average_weight=Avg("weight"),
                                              average_co2e=Avg("co2e"))
    return {row["family_fr"]: Factors(row["average_weight"].quantize(KG, ROUND_HALF_UP),
                                      row["average_co2e"].quantize(KG, ROUND_HALF_UP),
                                      REFERENCE_FACTORS_VERSION + FAMILY_SUFFIX)
            for row in rows}


def _family_of(row: TransferRow) -> str:
    """The family of `row`'s category: its parent, or itself when posted in a family."""
    return row.family or row.category


def fact_values(authority: Authority, row: TransferRow,
                factors: dict[str, Factors] | None = None,
                families: dict[str, Factors] | None = None) -> dict:
    """The fields of `row`'s fact (no write). `factors` is a `factor_table(authority)`,
    `families` a `family_table(authority)`, read when not given.

    Per-item figures: the item type's (reference or override); without one, the average
    of its family's (`family_estimate`); without a known family, zeros. Weight: the
    listing's own weighed figure (row.weight_is_estimated False) beats the factor ×
    quantity. Weight and CO2e are avoided only when the items were reused.
    """
    code = row.reference_code
    if factors is None:
        factors = factor_table(authority)
    unit = factors.get(code) if code else None
    family_estimate = False
    if unit is None:
        if families is None:
            families = family_table(authority, _family_of(row))
        unit = families.get(_family_of(row))
        family_estimate = unit is not None
        unit = unit or NO_FACTORS
    destination = Destination(row.destination)
    weight = (unit.weight_kg * row.quantity if row.weight_is_estimated
              else row.weight_kg).quantize(KG, rounding=ROUND_HALF_UP)
    reused = destination in REUSE_DESTINATIONS
    co2e = (unit.co2e_kg * row.quantity).quantize(KG, rounding=ROUND_HALF_UP)
    return {
        "listing_id": row.listing_id,
        "date": timezone.localtime(row.created_at, PARIS).date(),
        "family": row.family,
        "category": row.category,
        "reference_code": code,
        "destination": destination.value,
        "quantity": row.quantity,
        "value_eur": row.value.quantize(CENTS, rounding=ROUND_HALF_UP),
        "weight_kg": weight,
        "weight_is_estimated": row.weight_is_estimated,
        "family_estimate": family_estimate,
        "weight_avoided_kg": weight if reused else Decimal("0.000"),
        "co2e_avoided_kg": co2e if reused else Decimal("0.000"),
        "factors_version": unit.version,
        "giver_service": row.giver_service,
        "receiver_service": row.receiver_service,
        "receiver_authority_id": row.receiver_authority_id,
        "receiver_partner_id": (row.recipient_partner_id
                                if destination == Destination.PARTNER else None),
    }


def set_fact_receiver(giver_id: int, transfer_id: int, receiver_id: int | None) -> int:
    """The receiver answered a receipt request: its figures count the fact (confirmed)
    or not (declined). A fact not written yet gets it from its row later."""
    return TransferFact.objects.filter(authority_id=giver_id, transfer_id=transfer_id).update(
        receiver_authority_id=receiver_id, updated_at=timezone.now())


def write_fact(authority: Authority, row: TransferRow) -> TransferFact:
    """Write (or rewrite) the fact of one transfer of `authority`; the weight campaigns
    follow (analytics.campaigns). Atomic (a savepoint inside a caller's transaction)."""
    with transaction.atomic():
        before = TransferFact.objects.filter(
            authority=authority, transfer_id=row.transfer_id).values_list(
            "weight_avoided_kg", flat=True).first()
        fact, _created = TransferFact.objects.update_or_create(
            authority=authority, transfer_id=row.transfer_id,
            defaults={**fact_values(authority, row), "updated_at": timezone.now()})
        note_fact_change(authority.pk, row.transfer_id, fact.date, fact.category, before,
                         fact.weight_avoided_kg)
    return fact


def replace_facts(authority: Authority, rows: Iterable[TransferRow]) -> dict[str, int]:
    """Make `authority`'s facts those of `rows` (every transfer that counts), in bulk.

    Creates missing facts, updates those that differ (e.g. after a change of factors),
    deletes those whose transfer is not in `rows`. Idempotent: a second run reports
    0 created, updated and deleted. Returns the counts."""
    table, families = factor_table(authority), family_table(authority)
    wanted = {row.transfer_id: fact_values(authority, row, table, families) for row in rows}
    now = timezone.now()
    counts = {"created": 0, "updated": 0, "deleted": 0, "unchanged": 0}
    with transaction.atomic():
        existing = {fact.transfer_id: fact for fact in
                    TransferFact.objects.select_for_update().filter(authority=authority)}
        before_weights = {transfer_id: fact.weight_avoided_kg
                          for transfer_id, fact in existing.items()}
        changes = plan_changes(existing, wanted, now=now, build=lambda transfer_id, values:
                               TransferFact(authority=authority, transfer_id=transfer_id,
                                            updated_at=now, **values))
        to_create, to_update = changes.to_create, changes.to_update
        counts["unchanged"] = changes.unchanged
        orphans = [fact.pk for fact in changes.orphans.values()]
        TransferFact.objects.bulk_create(to_create, batch_size=BATCH_SIZE)
        TransferFact.objects.bulk_update(to_update, [*FACT_FIELDS, "receiver_authority",
                                          "receiver_partner_id", "updated_at"],
                                         batch_size=BATCH_SIZE)
        if orphans:
            TransferFact.objects.filter(pk__in=orphans).delete()
        # A validated semester records each change as an adjustment (weight campaigns).
        note_fact_changes(authority.pk, [
            *((f.transfer_id, f.date, f.category, None, f.weight_avoided_kg)
              for f in to_create),
            *((f.transfer_id, f.date, f.category, before_weights[f.transfer_id],
               f.weight_avoided_kg) for f in to_update),
            *((transfer_id, f.date, f.category, f.weight_avoided_kg, None)
              for transfer_id, f in changes.orphans.items())])
    counts.update(created=len(to_create), updated=len(to_update), deleted=len(orphans))
    return counts


def rebuild_facts(authority: Authority) -> dict[str, int]:
    """Recompute every fact of `authority` from its schema: the listings app reads its
    transfers (exchange.listings.projections.rebuild_facts, registered as the fact
    source) and `replace_facts` writes them. Returns the counts."""
    return fact_source().rebuild_facts(authority)
