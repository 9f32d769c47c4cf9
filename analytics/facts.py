"""Statistics facts: one TransferFact (public schema) per exchange.Transfer.

`record_transfer` runs after commit from exchange.listings.services.close_listing; `rebuild_facts`
recomputes one authority's facts from its schema (after a fix, or a change of reference
factors) and is idempotent.

A transfer to another authority is the giver's fact from the start, but it names its
receiver (`receiver_authority`, which puts it in the receiver's "received" figures, AGEC
page and declaration) only once the receiver confirmed receipt (issue 12,
exchange.sharing.receipts); pending, declined and expired requests never do.

Facts hold no personal data: services are organisational units, and no person's name,
e-mail or free text is copied.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from django.db import transaction
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
from exchange.listings.models import ClosureReason, Transfer
from tenants.crossing import PlatformWork, in_authority
from tenants.models import Authority
from tenants.selectors import current_authority

log = logging.getLogger(__name__)

PARIS = ZoneInfo("Europe/Paris")
KG = Decimal("0.001")
CENTS = Decimal("0.01")
OVERRIDE_SUFFIX = "+override"
BATCH_SIZE = 1000

DESTINATIONS = {
    ClosureReason.EXCHANGED_INTERNAL: Destination.SAME_AUTHORITY,
    ClosureReason.EXCHANGED_OTHER_AUTHORITY: Destination.OTHER_AUTHORITY,
    ClosureReason.GIVEN_TO_PARTNER: Destination.PARTNER,
    ClosureReason.DISCARDED: Destination.DISCARDED,
    ClosureReason.UNAVAILABLE: Destination.UNAVAILABLE,
    ClosureReason.WITHDRAWN: Destination.WITHDRAWN,
}

# Every field a fact gets from its transfer (all but authority, transfer_id, updated_at).
FACT_FIELDS = ("listing_id", "date", "family", "category", "reference_code", "destination",
               "quantity", "value_eur", "weight_kg", "weight_is_estimated",
               "weight_avoided_kg", "co2e_avoided_kg", "factors_version", "giver_service",
               "receiver_service")


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


def fact_values(authority: Authority, transfer: Transfer,
                factors: dict[str, Factors] | None = None,
                receivers: dict[int, int] | None = None) -> dict:
    """The fields of `transfer`'s fact (no write). `transfer` comes with its listing,
    category (and parent), service and recipient service loaded. `factors` is a
    `factor_table(authority)`, read when not given; `receivers` the authority's
    `confirmed_receivers`, read when not given.

    Weight: the listing's own weighed figure (transfer.weight_is_estimated False) beats
    the factor × quantity. Weight and CO2e are avoided only when the items were reused.
    """
    listing = transfer.listing
    category = listing.category
    code = category.reference_code or ""
    if factors is None:
        unit = Factors(*factors_for(authority, code))
    else:
        unit = factors.get(code, NO_FACTORS)
    destination = DESTINATIONS[transfer.reason]
    if transfer.weight_is_estimated:
        weight = unit.weight_kg * transfer.quantity
    else:
        weight = transfer.weight_kg
    weight = weight.quantize(KG, rounding=ROUND_HALF_UP)
    reused = destination in REUSE_DESTINATIONS
    co2e = (unit.co2e_kg * transfer.quantity).quantize(KG, rounding=ROUND_HALF_UP)
    receiver = transfer.recipient_service
    return {
        "listing_id": listing.pk,
        "date": timezone.localtime(transfer.created_at, PARIS).date(),
        "family": category.parent.name if category.parent_id else "",
        "category": category.name,
        "reference_code": code,
        "destination": destination.value,
        "quantity": transfer.quantity,
        "value_eur": transfer.value.quantize(CENTS, rounding=ROUND_HALF_UP),
        "weight_kg": weight,
        "weight_is_estimated": transfer.weight_is_estimated,
        "weight_avoided_kg": weight if reused else Decimal("0.000"),
        "co2e_avoided_kg": co2e if reused else Decimal("0.000"),
        "factors_version": unit.version,
        "giver_service": listing.service.name if listing.service_id else "",
        "receiver_service": receiver.name if receiver is not None else "",
        "receiver_authority_id": _receiving_authority_id(authority, transfer, receivers),
        "receiver_partner_id": (transfer.recipient_partner_id
                                if destination == Destination.PARTNER else None),
    }


def _receiving_authority_id(authority: Authority, transfer: Transfer,
                            receivers: dict[int, int] | None = None) -> int | None:
    """The receiving authority of `transfer` once it confirmed receipt, else None: a
    giver alone never puts anything in another authority's figures."""
    if transfer.reason != ClosureReason.EXCHANGED_OTHER_AUTHORITY:
        return None
    if not transfer.recipient_authority_slug:
        return None
    if receivers is not None:
        return receivers.get(transfer.pk)
    from exchange.sharing.receipt_selectors import confirmed_receivers

    return confirmed_receivers(authority, [transfer.pk]).get(transfer.pk)


def set_fact_receiver(giver_id: int, transfer_id: int, receiver_id: int | None) -> int:
    """The receiver answered a receipt request: its figures count the fact (confirmed)
    or not (declined). A fact not written yet gets it from `fact_values` later."""
    return TransferFact.objects.filter(authority_id=giver_id, transfer_id=transfer_id).update(
        receiver_authority_id=receiver_id, updated_at=timezone.now())


def _transfers():
    """Transfers that count: not those still awaiting a moderator's confirmation (above
    the legal cap of a free transfer), which are not done yet."""
    return (Transfer.objects.exclude(confirmation_required=True, confirmed_at__isnull=True)
            .select_related("listing__category__parent", "listing__service",
                            "recipient_service"))


def record_transfer(transfer_id: int) -> TransferFact | None:
    """Write (or rewrite) the fact of one transfer of the current schema's authority.

    Runs after commit: a failure is logged, never raised into the request that closed
    the listing; `manage.py rebuild_facts` repairs any fact missed."""
    try:
        authority = current_authority()
        if authority is None:
            log.warning("record_transfer(%s) outside an authority's schema", transfer_id)
            return None
        with transaction.atomic():  # a savepoint when a caller's transaction is open
            transfer = _transfers().filter(pk=transfer_id).first()
            if transfer is None:
                return None
            before = TransferFact.objects.filter(
                authority=authority, transfer_id=transfer_id).values_list(
                "weight_avoided_kg", flat=True).first()
            fact, _created = TransferFact.objects.update_or_create(
                authority=authority, transfer_id=transfer_id,
                defaults={**fact_values(authority, transfer), "updated_at": timezone.now()})
            note_fact_change(authority.pk, transfer_id, fact.date, fact.category, before,
                             fact.weight_avoided_kg)
        return fact
    except Exception:  # after commit: log it; `rebuild_facts` repairs the fact
        log.exception("Could not record the fact of transfer %s", transfer_id)
        return None


def _differs(fact: TransferFact, values: dict) -> bool:
    return any(getattr(fact, name) != value for name, value in values.items())


def rebuild_facts(authority: Authority) -> dict[str, int]:
    """Recompute every fact of `authority` from its schema, in bulk.

    Creates missing facts, updates those that differ (e.g. after a change of factors),
    deletes those whose transfer no longer exists. Idempotent: a second run reports
    0 created, updated and deleted. Returns the counts."""
    from exchange.sharing.receipt_selectors import confirmed_receivers

    with in_authority(authority, ground=PlatformWork("rebuild statistics facts")):
        table = factor_table(authority)
        receivers = confirmed_receivers(authority)
        wanted = {transfer.pk: fact_values(authority, transfer, table, receivers)
                  for transfer in _transfers().order_by("pk").iterator(chunk_size=2000)}
    now = timezone.now()
    counts = {"created": 0, "updated": 0, "deleted": 0, "unchanged": 0}
    with transaction.atomic():
        existing = {fact.transfer_id: fact for fact in
                    TransferFact.objects.select_for_update().filter(authority=authority)}
        to_create, to_update = [], []
        before_weights = {transfer_id: fact.weight_avoided_kg
                          for transfer_id, fact in existing.items()}
        for transfer_id, values in wanted.items():
            fact = existing.get(transfer_id)
            if fact is None:
                to_create.append(TransferFact(authority=authority, transfer_id=transfer_id,
                                              updated_at=now, **values))
            elif _differs(fact, values):
                for name, value in values.items():
                    setattr(fact, name, value)
                fact.updated_at = now
                to_update.append(fact)
            else:
                counts["unchanged"] += 1
        orphans = [fact.pk for transfer_id, fact in existing.items()
                   if transfer_id not in wanted]
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
              for transfer_id, f in existing.items() if transfer_id not in wanted)])
    counts.update(created=len(to_create), updated=len(to_update), deleted=len(orphans))
    return counts
