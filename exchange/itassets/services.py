"""Writes of the IT register: add an asset, change it. Every change leaves an
ITAssetEvent (the asset's history); a change of holder is a « moved » event.

Unique serial and inventory numbers are PostgreSQL's constraints (case-insensitive);
the service checks them first only to name the field in a clear error."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models.functions import Upper
from django.utils.translation import gettext as _

from accounts.permissions import can_manage_it_assets
from exchange.itassets.models import EventKind, ITAsset, ITAssetEvent
from exchange.listings.errors import ExchangeError

ASSET_FIELDS = ("kind", "make", "model", "serial_number", "inventory_number",
                "purchase_date", "life", "holder_service", "holder_site", "holder_user",
                "state", "notes")
HOLDER_FIELDS = ("holder_service", "holder_site", "holder_user")


class ITAssetError(ExchangeError):
    """A rule of the register refused the action; `code` names the field."""


def _label(asset: ITAsset, field: str) -> str:
    """What the history keeps for `field`: a choice's value (shown in the reader's
    language by exchange.itassets.selectors.history_rows), the related object's name
    as it was then, the date in ISO form, or the text itself."""
    value = getattr(asset, field)
    if value is None or value == "":
        return ""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def _check_unique(*, serial_number: str, inventory_number: str, exclude: int | None) -> None:
    others = ITAsset.objects.exclude(pk=exclude) if exclude else ITAsset.objects.all()
    if others.annotate(u=Upper("serial_number")).filter(u=serial_number.upper()).exists():
        raise ITAssetError(_("An asset with this serial number is already in the register."),
                           code="serial_number")
    if inventory_number and others.annotate(u=Upper("inventory_number")).filter(
            u=inventory_number.upper()).exists():
        raise ITAssetError(
            _("An asset with this inventory number is already in the register."),
            code="inventory_number")


def _clean(data: dict) -> dict:
    data = {field: data.get(field) for field in ASSET_FIELDS if field in data}
    for field in ("make", "model", "serial_number", "inventory_number", "notes"):
        if field in data:
            data[field] = (data[field] or "").strip()
    if not data.get("serial_number"):
        raise ITAssetError(_("The serial number is required."), code="serial_number")
    return data


def _save(asset: ITAsset) -> None:
    try:
        with transaction.atomic():
            asset.save()
    except IntegrityError as error:
        # A concurrent write took the number between the check and the save.
        raise ITAssetError(_("An asset with this serial or inventory number is already "
                             "in the register."), code="serial_number") from error


@transaction.atomic
def create_asset(*, actor, **data) -> ITAsset:
    if not can_manage_it_assets(actor):
        raise PermissionDenied
    data = _clean(data)
    _check_unique(serial_number=data["serial_number"],
                  inventory_number=data.get("inventory_number", ""), exclude=None)
    asset = ITAsset(**data)
    _save(asset)
    ITAssetEvent.objects.create(
        asset=asset, kind=EventKind.CREATED, actor=actor,
        changes={field: ["", _label(asset, field)] for field in ASSET_FIELDS
                 if _label(asset, field)})
    return asset


@transaction.atomic
def update_asset(*, asset: ITAsset, actor, **data) -> ITAsset:
    """Change `asset`; the history records each field that changed, before and after.
    Nothing changed, nothing recorded."""
    if not can_manage_it_assets(actor):
        raise PermissionDenied
    # The row as it is now (locked): fields not given keep their stored value.
    current = ITAsset.objects.select_for_update().get(pk=asset.pk)
    data = _clean({**{f: getattr(current, f) for f in ASSET_FIELDS}, **data})
    _check_unique(serial_number=data["serial_number"],
                  inventory_number=data.get("inventory_number", ""), exclude=asset.pk)
    before = {field: _label(current, field) for field in ASSET_FIELDS}
    for field, value in data.items():
        setattr(current, field, value)
    after = {field: _label(current, field) for field in ASSET_FIELDS}
    changes = {field: [before[field], after[field]] for field in ASSET_FIELDS
               if before[field] != after[field]}
    if not changes:
        return current
    _save(current)
    asset = current
    moved = any(field in changes for field in HOLDER_FIELDS)
    ITAssetEvent.objects.create(asset=asset, kind=EventKind.MOVED if moved else EventKind.CHANGED,
                                actor=actor, changes=changes)
    return asset
