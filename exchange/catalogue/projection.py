"""Keep the catalogue (public schema) in step with the listings of each authority.

`sync_listing` projects one listing of the current schema after a change; services call
it after commit through `sync_after_commit`. `rebuild` recomputes the whole projection of
one authority and reports what it fixed (`manage.py rebuild_catalogue`).

Which audiences a listing has is decided here, in `audiences()`, and nowhere else.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from django.contrib.postgres.search import SearchVector
from django.db import connection, transaction
from django.db.models import IntegerField, OuterRef, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from exchange.catalogue.models import CatalogueEntry
from exchange.listings.models import SEARCH_CONFIG, Listing, ListingStatus, Transfer, Visibility
from tenants.crossing import CrossingRefused, PlatformWork, in_authority, in_schema
from tenants.models import Authority
from tenants.selectors import current_authority

log = logging.getLogger(__name__)

# The projected fields compared by `rebuild` (search_vector and updated_at follow them).
PROJECTED_FIELDS = ("title", "description", "family", "category", "reference_code",
                    "condition", "commune", "postcode", "quantity", "available_from",
                    "available_until", "published_at", "photo_ids", "is_shared",
                    "offered_at")


@dataclass(frozen=True)
class Audiences:
    is_shared: bool
    offered_at: datetime | None

    @property
    def any(self) -> bool:
        return self.is_shared or self.offered_at is not None


def audiences(listing: Listing) -> Audiences:
    """Who outside its authority may see `listing`: only published listings are seen;
    shared ones by the authorities sharing with its own, offered ones by partners
    (unless the poster or a moderator opted out)."""
    if listing.status != ListingStatus.PUBLISHED:
        return Audiences(False, None)
    offered_at = None if listing.partner_offer_opt_out else listing.offered_to_partners_at
    return Audiences(listing.visibility == Visibility.SHARED, offered_at)


def _listings():
    """Listings with what their entry needs, and the quantity left, in one query."""
    given = (Transfer.objects.filter(listing=OuterRef("pk")).order_by()
             .values("listing").annotate(total=Sum("quantity")).values("total"))
    return (Listing.objects.select_related("category__parent", "site")
            .prefetch_related("photos")
            .annotate(given=Coalesce(Subquery(given, output_field=IntegerField()), 0)))


def entry_values(listing: Listing, seen: Audiences) -> dict:
    """The projected fields of `listing` (loaded by `_listings()`)."""
    category = listing.category
    return {
        "title": listing.title,
        "description": listing.description,
        "family": category.parent.name if category.parent_id else "",
        "category": category.name,
        "reference_code": category.reference_code or "",
        "condition": listing.condition,
        "commune": listing.site.city if listing.site_id else "",
        "postcode": listing.site.postcode if listing.site_id else "",
        "quantity": max(listing.quantity - listing.given, 0),
        "available_from": listing.available_from,
        "available_until": listing.available_until,
        "published_at": listing.published_at,
        "photo_ids": [photo.pk for photo in listing.photos.all()],
        "is_shared": seen.is_shared,
        "offered_at": seen.offered_at,
    }


def _refresh_search(entries) -> None:
    entries.update(search_vector=SearchVector("title", weight="A", config=SEARCH_CONFIG)
                   + SearchVector("description", weight="B", config=SEARCH_CONFIG))


def _differs(entry: CatalogueEntry, values: dict) -> bool:
    return any(getattr(entry, name) != value for name, value in values.items())


def sync_listing(listing_id: int) -> str:
    """Project listing `listing_id` of the current authority's schema.

    Returns what happened: "created", "updated", "deleted" or "unchanged". Runs after
    commit: a failure is logged, never raised into the request; `rebuild` repairs it.
    """
    try:
        authority = current_authority()
        if authority is None:
            log.warning("sync_listing(%s) outside an authority's schema", listing_id)
            return "unchanged"
        listing = _listings().filter(pk=listing_id).first()
        seen = audiences(listing) if listing is not None else Audiences(False, None)
        with transaction.atomic():
            entry = (CatalogueEntry.objects.select_for_update()
                     .filter(authority=authority, listing_id=listing_id).first())
            was_offered = entry is not None and entry.offered_at is not None
            _announce_offer(authority, listing_id, was_offered, seen.offered_at is not None)
            if not seen.any:
                if entry is None:
                    return "unchanged"
                entry.delete()
                return "deleted"
            values = entry_values(listing, seen)
            if entry is not None and not _differs(entry, values):
                return "unchanged"
            _entry, created = CatalogueEntry.objects.update_or_create(
                authority=authority, listing_id=listing_id,
                defaults={**values, "updated_at": timezone.now()})
            _refresh_search(CatalogueEntry.objects.filter(authority=authority,
                                                          listing_id=listing_id))
            return "created" if created else "updated"
    except Exception:  # after commit: log it; `rebuild_catalogue` repairs the entry
        log.exception("Could not project listing %s", listing_id)
        return "unchanged"


def _announce_offer(authority: Authority, listing_id: int, was_offered: bool,
                    is_offered: bool) -> None:
    """Partners' webhooks (listing.offered / listing.withdrawn), sent after commit."""
    if was_offered != is_offered:
        from exchange.partners.webhooks import offer_changed  # partners import this module

        offer_changed(authority, listing_id, was_offered, is_offered)


def sync_after_commit(listing: Listing) -> None:
    """Project `listing` once the current transaction commits (or now, outside one)."""
    listing_id, schema = listing.pk, connection.schema_name

    def run():
        # In the listing's schema, whatever the connection points at when the
        # callback runs (a task's crossing may have ended by then).
        try:
            with in_schema(schema, ground=PlatformWork("catalogue projection")):
                sync_listing(listing_id)
        except CrossingRefused:  # the authority's data were deleted meanwhile
            log.warning("listing %s not projected: %s is gone", listing_id, schema)

    transaction.on_commit(run)


def rebuild(authority: Authority) -> dict[str, int]:
    """Recompute the catalogue entries of `authority` from its schema, in bulk.

    Returns counts of entries created, updated, deleted and unchanged. Running it twice
    changes nothing the second time.
    """
    counts = {"created": 0, "updated": 0, "deleted": 0, "unchanged": 0}
    with in_authority(authority, ground=PlatformWork("catalogue rebuild")):
        expected = {}
        for listing in _listings().filter(status=ListingStatus.PUBLISHED):
            seen = audiences(listing)
            if seen.any:
                expected[listing.pk] = entry_values(listing, seen)
    now = timezone.now()
    with transaction.atomic():
        existing = {entry.listing_id: entry for entry in
                    CatalogueEntry.objects.select_for_update().filter(authority=authority)}
        stale = [pk for listing_id, pk in
                 ((entry.listing_id, entry.pk) for entry in existing.values())
                 if listing_id not in expected]
        if stale:
            CatalogueEntry.objects.filter(pk__in=stale).delete()
        counts["deleted"] = len(stale)
        to_create, to_update = [], []
        for listing_id, values in expected.items():
            entry = existing.get(listing_id)
            if entry is None:
                to_create.append(CatalogueEntry(authority=authority, listing_id=listing_id,
                                                updated_at=now, **values))
            elif _differs(entry, values):
                for name, value in values.items():
                    setattr(entry, name, value)
                entry.updated_at = now
                to_update.append(entry)
            else:
                counts["unchanged"] += 1
        CatalogueEntry.objects.bulk_create(to_create, batch_size=1000)
        CatalogueEntry.objects.bulk_update(to_update, [*PROJECTED_FIELDS, "updated_at"],
                                           batch_size=1000)
        counts["created"], counts["updated"] = len(to_create), len(to_update)
        changed = [entry.listing_id for entry in to_create + to_update]
        if changed:
            _refresh_search(CatalogueEntry.objects.filter(authority=authority,
                                                          listing_id__in=changed))
    return counts
