"""Reads of the IT register: the filtered list and an asset's history."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from exchange.itassets.models import ITAsset, ITAssetEvent


def assets(*, query: str = "", kind: str = "", state: str = "", life: int | None = None,
           service_id: int | None = None, site_id: int | None = None) -> QuerySet[ITAsset]:
    """The register, filtered; `query` looks in the serial and inventory numbers, make,
    model and holder's name. Holders are joined: one query whatever the page's size."""
    rows = ITAsset.objects.select_related("holder_service", "holder_site", "holder_user")
    if kind:
        rows = rows.filter(kind=kind)
    if state:
        rows = rows.filter(state=state)
    if life:
        rows = rows.filter(life=life)
    if service_id:
        rows = rows.filter(holder_service_id=service_id)
    if site_id:
        rows = rows.filter(holder_site_id=site_id)
    for word in query.split():
        rows = rows.filter(
            Q(serial_number__icontains=word) | Q(inventory_number__icontains=word)
            | Q(make__icontains=word) | Q(model__icontains=word)
            | Q(holder_user__first_name__icontains=word)
            | Q(holder_user__last_name__icontains=word))
    return rows


def held_by(user) -> QuerySet[ITAsset]:
    """The assets `user` holds themself (« Mon matériel informatique »): those whose
    holder is this person, in the register's order; their service and site joined."""
    return (ITAsset.objects.filter(holder_user=user)
            .select_related("holder_service", "holder_site"))


def history(asset: ITAsset) -> QuerySet[ITAssetEvent]:
    """Every event of `asset`, the newest first, with who made it, the import that
    added it and the retirement batch it happened in, if any."""
    return asset.events.select_related("actor", "source_import", "batch")


def _shown(field, value: str) -> str:
    """A stored value as the reader sees it: a choice's label in their language."""
    choices = {str(key): label for key, label in field.flatchoices}
    return str(choices.get(value, value)) if choices else value


def history_rows(asset: ITAsset) -> list[tuple[ITAssetEvent, list[tuple[str, str, str]]]]:
    """The history as the asset's page shows it: each event with its changes as
    (field's name, before, after), choices in the reader's language."""
    rows = []
    for event in history(asset):
        changes = []
        for name, (before, after) in event.changes.items():
            field = ITAsset._meta.get_field(name)
            changes.append((str(field.verbose_name), _shown(field, before),
                            _shown(field, after)))
        rows.append((event, changes))
    return rows
