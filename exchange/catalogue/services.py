"""Writes of the catalogue (public schema), from plain values.

The catalogue is a projection of the listings, which sit above it: the listings app
(exchange.listings.projections) decides which listings are seen outside their authority
and with what, then calls `save_entry` after a change of one listing and
`replace_entries` to rebuild an authority's entries (`manage.py rebuild_catalogue`).

When an entry starts or stops being offered to partners, the offer watchers hear it, in
the transaction of the write: an app above the catalogue registers one with
`watch_offers` from its AppConfig.ready() (exchange.partners: its webhooks and the
requests it answers).
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib.postgres.search import SearchVector
from django.db import transaction
from django.utils import timezone

from core.rows import differs, plan_changes
from core.search import SEARCH_CONFIG
from exchange.catalogue.models import CatalogueEntry
from tenants.models import Authority

# The projected fields (search_vector and updated_at follow them): the keys of the
# values `save_entry` and `replace_entries` take.
PROJECTED_FIELDS = ("title", "description", "family", "category", "reference_code",
                    "condition", "commune", "postcode", "quantity", "available_from",
                    "available_until", "published_at", "photo_ids", "is_shared",
                    "offered_at")

# watcher(authority, listing_id, was_offered, is_offered)
OfferWatcher = Callable[[Authority, int, bool, bool], None]

_OFFER_WATCHERS: list[OfferWatcher] = []


def watch_offers(watcher: OfferWatcher) -> None:
    """Hear when an entry enters or leaves the partners' offer. Called once per watcher,
    by the app that owns it, from its AppConfig.ready()."""
    if watcher not in _OFFER_WATCHERS:
        _OFFER_WATCHERS.append(watcher)


def _announce_offer(authority: Authority, listing_id: int, was_offered: bool,
                    is_offered: bool) -> None:
    if was_offered != is_offered:
        for watcher in _OFFER_WATCHERS:
            watcher(authority, listing_id, was_offered, is_offered)


def _refresh_search(entries) -> None:
    entries.update(search_vector=SearchVector("title", weight="A", config=SEARCH_CONFIG)
                   + SearchVector("description", weight="B", config=SEARCH_CONFIG))


def save_entry(authority: Authority, listing_id: int, values: dict | None) -> str:
    """Make the entry of listing `listing_id` of `authority` hold `values` (its
    PROJECTED_FIELDS, with at least one audience: `is_shared` or `offered_at`), or
    remove it when `values` is None (nobody outside may see the listing).

    Returns what happened: "created", "updated", "deleted" or "unchanged". The offer
    watchers hear a change of offer first, in the same transaction."""
    with transaction.atomic():
        entry = (CatalogueEntry.objects.select_for_update()
                 .filter(authority=authority, listing_id=listing_id).first())
        was_offered = entry is not None and entry.offered_at is not None
        is_offered = values is not None and values["offered_at"] is not None
        _announce_offer(authority, listing_id, was_offered, is_offered)
        if values is None:
            if entry is None:
                return "unchanged"
            entry.delete()
            return "deleted"
        if entry is not None and not differs(entry, values):
            return "unchanged"
        _entry, created = CatalogueEntry.objects.update_or_create(
            authority=authority, listing_id=listing_id,
            defaults={**values, "updated_at": timezone.now()})
        _refresh_search(CatalogueEntry.objects.filter(authority=authority,
                                                      listing_id=listing_id))
        return "created" if created else "updated"


def replace_entries(authority: Authority, expected: dict[int, dict]) -> dict[str, int]:
    """Make `authority`'s entries exactly `expected` (listing id → its values), in bulk.

    Returns counts of entries created, updated, deleted and unchanged. Running it twice
    changes nothing the second time. Announces no offer (a repair, not a change)."""
    counts = {"created": 0, "updated": 0, "deleted": 0, "unchanged": 0}
    now = timezone.now()
    with transaction.atomic():
        existing = {entry.listing_id: entry for entry in
                    CatalogueEntry.objects.select_for_update().filter(authority=authority)}
        changes = plan_changes(existing, expected, now=now, build=lambda listing_id, values:
                               CatalogueEntry(authority=authority, listing_id=listing_id,
                                              updated_at=now, **values))
        stale = [entry.pk for entry in changes.orphans.values()]
        if stale:
            CatalogueEntry.objects.filter(pk__in=stale).delete()
        counts["deleted"], counts["unchanged"] = len(stale), changes.unchanged
        to_create, to_update = changes.to_create, changes.to_update
        CatalogueEntry.objects.bulk_create(to_create, batch_size=1000)
        CatalogueEntry.objects.bulk_update(to_update, [*PROJECTED_FIELDS, "updated_at"],
                                           batch_size=1000)
        counts["created"], counts["updated"] = len(to_create), len(to_update)
        changed = [entry.listing_id for entry in to_create + to_update]
        if changed:
            _refresh_search(CatalogueEntry.objects.filter(authority=authority,
                                                          listing_id__in=changed))
    return counts
