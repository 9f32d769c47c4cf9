"""Writes of the retirement batches (issue 19): the IT team retires assets into a batch,
records each one's data erasure and reconditioning, then sends each to its next life:
a new holder in the authority (second life), a listing on the exchange, a donation to a
partner under its agreement, or recycling. Every move leaves an ITAssetEvent naming the
batch.

No item leaves before an erasure that succeeded: its latest erasure must be « ok » here,
and PostgreSQL refuses an exit whose erasure is not the item's or failed (migration
0003's composite foreign key). A donation's value per unit is capped like any free
transfer (settings.FREE_TRANSFER_CAP_PER_UNIT_EUR): above it, only a moderator records
it, confirming. A batch closes when its last item leaves."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.permissions import can_manage_it_assets, can_moderate
from analytics.models import ReferenceItem
from exchange.itassets.models import (
    RETIRABLE_STATES,
    AssetKind,
    AssetState,
    BatchItem,
    BatchState,
    ErasureMethod,
    ErasureRecord,
    ErasureResult,
    EventKind,
    ExitKind,
    ITAsset,
    ITAssetEvent,
    ITExit,
    Life,
    RecyclerKind,
    RetirementBatch,
)
from exchange.listings.errors import ExchangeError
from exchange.listings.models import Condition, Visibility
from exchange.listings.recipients import Recipient, RecipientKind, directory_for
from exchange.listings.services.posting import create_listing

# The reference item (analytics' factors) whose typical weight a recycled asset of each
# kind is estimated at, when it is not weighed.
REFERENCE_CODE_BY_KIND = {
    AssetKind.COMPUTER: "ordinateur-portable",
    AssetKind.SCREEN: "ecran",
    AssetKind.PHONE: "smartphone",
    AssetKind.TABLET: "tablette",
    AssetKind.PRINTER: "imprimante",
}
# The prefix of an exit group's reference (its transfer record or removal slip).
REFERENCE_PREFIX = {ExitKind.SECOND_LIFE: "A", ExitKind.LISTING: "B", ExitKind.DONATION: "D",
                    ExitKind.RECYCLING: "R"}


class BatchError(ExchangeError):
    """A rule of the batches refused the action (French message, `code` names it)."""


def _require(actor) -> None:
    if not can_manage_it_assets(actor):
        raise PermissionDenied


def _holder_label(value) -> str:
    return "" if value is None else str(value)


def _record(asset: ITAsset, actor, kind: str, batch: RetirementBatch,
            before: dict[str, str]) -> None:
    """An event of `asset`: the fields of `before` that changed, before and after."""
    after = {field: _holder_label(getattr(asset, field)) for field in before}
    ITAssetEvent.objects.create(
        asset=asset, kind=kind, actor=actor, batch=batch,
        changes={field: [before[field], after[field]] for field in before
                 if before[field] != after[field]})


def _snapshot(asset: ITAsset, *fields: str) -> dict[str, str]:
    return {field: _holder_label(getattr(asset, field)) for field in fields}


# --- Batches and their items ------------------------------------------------------------

@transaction.atomic
def create_batch(*, actor, notes: str = "") -> RetirementBatch:
    """A new open batch, referenced LOT-<year>-<n> (n counts the year's batches)."""
    _require(actor)
    year = timezone.localdate().year
    prefix = f"LOT-{year}-"
    for _attempt in range(5):
        count = RetirementBatch.objects.filter(reference__startswith=prefix).count()
        try:
            with transaction.atomic():
                return RetirementBatch.objects.create(
                    reference=f"{prefix}{count + 1:03d}", created_by=actor,
                    notes=(notes or "").strip())
        except IntegrityError:  # another batch took the number meanwhile
            continue
    raise BatchError(_("The batch could not be numbered; try again."), code="reference")


def _open_batch(batch: RetirementBatch) -> RetirementBatch:
    batch = RetirementBatch.objects.select_for_update().get(pk=batch.pk)
    if batch.state != BatchState.OPEN:
        raise BatchError(_("This batch is closed."), code="batch_closed")
    return batch


@transaction.atomic
def retire_assets(*, batch: RetirementBatch, actor, assets: Iterable[ITAsset],
                  retired_on: date | None = None) -> list[BatchItem]:
    """Retire `assets` into the open `batch`: each goes to « retired, awaiting erasure ».
    An asset already in a batch it has not left, or gone, is refused (all or nothing)."""
    _require(actor)
    batch = _open_batch(batch)
    retired_on = retired_on or timezone.localdate()
    ids = [asset.pk for asset in assets]
    if not ids:
        raise BatchError(_("Choose at least one asset."), code="assets")
    locked = list(ITAsset.objects.select_for_update().filter(pk__in=ids).order_by("pk"))
    items = []
    for asset in locked:
        if asset.state not in RETIRABLE_STATES:
            raise BatchError(
                _("%(serial)s cannot be retired: it is « %(state)s ».")
                % {"serial": asset.serial_number, "state": asset.get_state_display()},
                code="assets")
        before = _snapshot(asset, "state")
        asset.state = AssetState.RETIRED
        asset.save(update_fields=["state", "updated_at"])
        items.append(BatchItem.objects.create(batch=batch, asset=asset, retired_on=retired_on,
                                              retired_by=actor))
        _record(asset, actor, EventKind.RETIRED, batch, before)
    return items


def _items_in_progress(batch: RetirementBatch, items: Sequence[BatchItem]) -> list[BatchItem]:
    """`items` of `batch`, locked, none of which has left; all or nothing."""
    ids = [item.pk for item in items]
    if not ids:
        raise BatchError(_("Choose at least one item."), code="items")
    locked = list(BatchItem.objects.select_for_update(of=("self", "asset")).select_related("asset")
                  .filter(pk__in=ids, batch=batch).order_by("pk"))
    if len(locked) != len(set(ids)):
        raise BatchError(_("An item is not in this batch."), code="items")
    gone = [item.asset.serial_number for item in locked if item.exited_on is not None]
    if gone:
        raise BatchError(_("Already out of the batch: %(serials)s.")
                         % {"serials": ", ".join(gone)}, code="items")
    return locked


# --- Erasure and reconditioning -----------------------------------------------------------

@transaction.atomic
def record_erasure(*, batch: RetirementBatch, items: Sequence[BatchItem], actor, method: str,
                   operator_name: str, erased_on: date, result: str,
                   tool: str = "") -> list[ErasureRecord]:
    """The data erasure of `items`, all done the same way (method, tool, operator, date,
    result). A success takes a retired item to « data erased »; a failure leaves it
    retired (it may not leave until an erasure succeeds)."""
    _require(actor)
    batch = _open_batch(batch)
    if method not in ErasureMethod.values:
        raise BatchError(_("Choose the erasure method."), code="method")
    if result not in ErasureResult.values:
        raise BatchError(_("Choose the erasure's result."), code="result")
    operator_name = (operator_name or "").strip()
    if not operator_name:
        raise BatchError(_("Name who erased the data."), code="operator_name")
    if erased_on is None or erased_on > timezone.localdate():
        raise BatchError(_("The erasure date cannot be in the future."), code="erased_on")
    records = []
    for item in _items_in_progress(batch, items):
        records.append(ErasureRecord.objects.create(
            item=item, method=method, tool=(tool or "").strip()[:150],
            operator_name=operator_name[:150], erased_on=erased_on, result=result,
            recorded_by=actor))
        asset = item.asset
        before = _snapshot(asset, "state")
        if result == ErasureResult.OK and asset.state == AssetState.RETIRED:
            asset.state = AssetState.ERASED
            asset.save(update_fields=["state", "updated_at"])
        _record(asset, actor, EventKind.ERASED, batch, before)
    return records


def latest_erasure(item: BatchItem) -> ErasureRecord | None:
    return item.erasures.order_by("-erased_on", "-id").first()


def _erasure_allowing_exit(item: BatchItem) -> ErasureRecord:
    """The item's latest erasure, which must have succeeded."""
    erasure = latest_erasure(item)
    if erasure is None or erasure.result != ErasureResult.OK:
        raise BatchError(
            _("%(serial)s cannot leave: no successful data erasure is recorded.")
            % {"serial": item.asset.serial_number}, code="erasure")
    return erasure


@transaction.atomic
def record_reconditioning(*, batch: RetirementBatch, items: Sequence[BatchItem], actor,
                          reconditioned_on: date, parts: str = "", operating_system: str = "",
                          licence_removed: bool = False) -> list[BatchItem]:
    """What was done to `items` once erased: parts, the free operating system installed,
    the licence removed. Their data must have been erased first."""
    _require(actor)
    batch = _open_batch(batch)
    if reconditioned_on is None or reconditioned_on > timezone.localdate():
        raise BatchError(_("The reconditioning date cannot be in the future."),
                         code="reconditioned_on")
    done = []
    for item in _items_in_progress(batch, items):
        _erasure_allowing_exit(item)
        item.reconditioned_on = reconditioned_on
        item.parts = (parts or "").strip()
        item.operating_system = (operating_system or "").strip()[:100]
        item.licence_removed = bool(licence_removed)
        item.save(update_fields=["reconditioned_on", "parts", "operating_system",
                                 "licence_removed"])
        asset = item.asset
        before = _snapshot(asset, "state")
        asset.state = AssetState.RECONDITIONED
        asset.save(update_fields=["state", "updated_at"])
        _record(asset, actor, EventKind.RECONDITIONED, batch, before)
        done.append(item)
    return done


# --- Exits --------------------------------------------------------------------------------

def _next_reference(batch: RetirementBatch, kind: str) -> str:
    """<batch>-<D|R|A|B><n>: the n-th group of exits of that kind from the batch."""
    prefix = f"{batch.reference}-{REFERENCE_PREFIX[kind]}"
    count = (ITExit.objects.filter(item__batch=batch, kind=kind).values("reference")
             .distinct().count())
    return f"{prefix}{count + 1}"


def _leave(item: BatchItem, *, actor, kind: str, exited_on: date, reference: str,
           before: dict[str, str], **fields) -> ITExit:
    """`item` leaves the batch: its exit (naming the erasure that allowed it), its date,
    the asset's event; the caller changed and saves the asset."""
    erasure = _erasure_allowing_exit(item)
    item.asset.save()
    exit_ = ITExit.objects.create(item=item, erasure=erasure, kind=kind, exited_on=exited_on,
                                  reference=reference, actor=actor, **fields)
    item.exited_on = exited_on
    item.save(update_fields=["exited_on"])
    _record(item.asset, actor, EventKind.EXITED, item.batch, before)
    return exit_


def _close_when_empty(batch: RetirementBatch) -> None:
    if not batch.items.filter(exited_on__isnull=True).exists():
        batch.state, batch.closed_at = BatchState.CLOSED, timezone.now()
        batch.save(update_fields=["state", "closed_at"])


def _check_exit_date(exited_on: date | None) -> date:
    exited_on = exited_on or timezone.localdate()
    if exited_on > timezone.localdate():
        raise BatchError(_("The exit date cannot be in the future."), code="exited_on")
    return exited_on


HOLDERS = ("holder_service", "holder_site", "holder_user")


@transaction.atomic
def give_second_life(*, batch: RetirementBatch, items: Sequence[BatchItem], actor,
                     service=None, site=None, user=None,
                     exited_on: date | None = None) -> list[ITExit]:
    """`items` go to a new holder in the authority (a school, a service, a person) and
    start their next life; they stay in the register, in use."""
    _require(actor)
    batch = _open_batch(batch)
    exited_on = _check_exit_date(exited_on)
    if service is None and site is None and user is None:
        raise BatchError(_("Choose the new holder: a service, a school or site, or a "
                           "person."), code="holder")
    locked = _items_in_progress(batch, items)
    reference = _next_reference(batch, ExitKind.SECOND_LIFE)
    exits = []
    for item in locked:
        asset = item.asset
        if asset.life >= Life.THIRD:
            raise BatchError(_("%(serial)s is already in its third life: donate or recycle "
                               "it.") % {"serial": asset.serial_number}, code="life")
        before = _snapshot(asset, "state", "life", *HOLDERS)
        asset.life += 1
        asset.state = AssetState.IN_USE
        asset.holder_service, asset.holder_site, asset.holder_user = service, site, user
        exits.append(_leave(item, actor=actor, kind=ExitKind.SECOND_LIFE, exited_on=exited_on,
                            reference=reference, before=before, to_service=service,
                            to_site=site, to_user=user, life_after=asset.life))
    _close_when_empty(batch)
    return exits


def _gone(asset: ITAsset, state: str) -> dict[str, str]:
    """The asset leaves the IT team's hands: no holder any more. Returns `before`."""
    before = _snapshot(asset, "state", *HOLDERS)
    asset.state = state
    asset.holder_service = asset.holder_site = asset.holder_user = None
    return before


@transaction.atomic
def offer_on_exchange(*, batch: RetirementBatch, items: Sequence[BatchItem], actor, title: str,
                      category, unit_value: Decimal, site, service=None, description: str = "",
                      condition: str = Condition.GOOD,
                      visibility: str = Visibility.SHARED) -> list[ITExit]:
    """`items` are posted as one listing (quantity: their number) for the authority's
    other services and the authorities it shares with, through the listings' own
    service (moderation, alerts, catalogue). The listing names no serial number."""
    _require(actor)
    batch = _open_batch(batch)
    locked = _items_in_progress(batch, items)
    for item in locked:
        _erasure_allowing_exit(item)
    if unit_value is None or unit_value < 0:
        raise BatchError(_("The value per item cannot be negative."), code="unit_value")
    if site is None:
        raise BatchError(_("Choose the pickup site."), code="site")
    listing = create_listing(
        poster=actor, submit=True, title=(title or "").strip()[:120],
        description=(description or "").strip(), category=category, quantity=len(locked),
        condition=condition, estimated_value=unit_value * len(locked),
        service=service or getattr(actor, "service", None), site=site, visibility=visibility)
    reference = _next_reference(batch, ExitKind.LISTING)
    today = timezone.localdate()
    exits = []
    for item in locked:
        before = _gone(item.asset, AssetState.LISTED)
        exits.append(_leave(item, actor=actor, kind=ExitKind.LISTING, exited_on=today,
                            reference=reference, before=before, listing=listing))
    _close_when_empty(batch)
    return exits


@transaction.atomic
def donate(*, batch: RetirementBatch, items: Sequence[BatchItem], actor, partner_id: int,
           unit_value: Decimal, exited_on: date | None = None,
           confirm_above_cap: bool = False) -> list[ITExit]:
    """`items` are given to a partner (an association, the works council…) the
    authority grants access to, under its donation agreement (copied with its name).
    Above the legal cap per unit, only a moderator records it, confirming."""
    _require(actor)
    batch = _open_batch(batch)
    exited_on = _check_exit_date(exited_on)
    if unit_value is None or unit_value < 0:
        raise BatchError(_("The value per item cannot be negative."), code="unit_value")
    unit_value = Decimal(unit_value).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    cap = settings.FREE_TRANSFER_CAP_PER_UNIT_EUR
    confirmed_by = None
    if unit_value > cap:
        if not (confirm_above_cap and can_moderate(actor)):
            raise BatchError(
                _("Above %(cap)s € per item, a free transfer needs a moderator's "
                  "confirmation.") % {"cap": cap}, code="cap")
        confirmed_by = actor
    resolved = directory_for(RecipientKind.PARTNER).resolve(Recipient.partner(int(partner_id)))
    locked = _items_in_progress(batch, items)
    reference = _next_reference(batch, ExitKind.DONATION)
    exits = []
    for item in locked:
        before = _gone(item.asset, AssetState.LEFT)
        exits.append(_leave(item, actor=actor, kind=ExitKind.DONATION, exited_on=exited_on,
                            reference=reference, before=before, partner_id=int(partner_id),
                            partner_name=resolved.name[:200],
                            agreement_reference=resolved.agreement_reference[:200],
                            unit_value=unit_value, confirmed_by=confirmed_by))
    _close_when_empty(batch)
    return exits


def estimated_weight(kind: str) -> Decimal | None:
    """The typical weight of an asset of `kind` in the reference factors (None when
    they have none)."""
    code = REFERENCE_CODE_BY_KIND.get(kind)
    item = ReferenceItem.objects.filter(code=code).only("typical_weight_kg").first()
    return item.typical_weight_kg if item else None


@transaction.atomic
def send_to_recycling(*, batch: RetirementBatch, items: Sequence[BatchItem], actor,
                      recycler_name: str, recycler_kind: str, exited_on: date | None = None,
                      weighed_total_kg: Decimal | None = None) -> list[ITExit]:
    """`items` reach the end of their life: an éco-organisme or an insertion enterprise
    removes them, against a removal slip. Each weighs its reference weight unless a
    weighed total is given (shared equally)."""
    _require(actor)
    batch = _open_batch(batch)
    exited_on = _check_exit_date(exited_on)
    recycler_name = (recycler_name or "").strip()
    if not recycler_name:
        raise BatchError(_("Name the recycler."), code="recycler_name")
    if recycler_kind not in RecyclerKind.values:
        raise BatchError(_("Choose the recycler's kind."), code="recycler_kind")
    if weighed_total_kg is not None and weighed_total_kg < 0:
        raise BatchError(_("The weight cannot be negative."), code="weight")
    locked = _items_in_progress(batch, items)
    reference = _next_reference(batch, ExitKind.RECYCLING)
    share = None
    if weighed_total_kg is not None:
        share = (Decimal(weighed_total_kg) / len(locked)).quantize(Decimal("0.001"))
    exits = []
    for item in locked:
        weight = share if share is not None else estimated_weight(item.asset.kind)
        before = _gone(item.asset, AssetState.LEFT)
        exits.append(_leave(item, actor=actor, kind=ExitKind.RECYCLING, exited_on=exited_on,
                            reference=reference, before=before,
                            recycler_name=recycler_name[:200], recycler_kind=recycler_kind,
                            weight_kg=weight, weight_is_estimated=share is None))
    _close_when_empty(batch)
    return exits
