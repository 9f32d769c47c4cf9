"""The listings' projections: what the apps below keep of the listings, all computed here.

The listings of each authority (in its schema) are the source. Two projections in the
public schema follow them, each written through its own app's writes from plain values:
- the statistics facts (analytics.facts): one per transfer that counts. Written after
  commit of a transfer (`record_transfer_fact`, queued by services.closure.close_listing
  and confirm_transfer); recomputed by `rebuild_facts` (`manage.py rebuild_facts`, and
  analytics.facts.rebuild_facts through `ListingsFactSource`).
- the catalogue (exchange.catalogue.services): one entry per listing seen outside its
  authority. Written after commit of every change that alters what it shows
  (`sync_after_commit`, `sync_listing`); recomputed by `rebuild_catalogue`
  (`manage.py rebuild_catalogue`).
`rebuild_projections(authority)` recomputes both for an authority in one crossing (after
a fix, a restore, a change of reference factors).

Which audiences a listing has is decided here, in `audiences()`, and nowhere else; which
destination a transfer's fact has, in DESTINATIONS.

A transfer to another authority counts in the receiver's figures only once the receiver
confirmed receipt. Receipts belong to exchange.sharing, above listings: it registers its
reading of them with `register_receipts` from its AppConfig.ready(), and records the
receiver on the fact itself when a receipt is answered (analytics.facts.set_fact_receiver).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.db import connection, transaction
from django.db.models import IntegerField, OuterRef, Subquery, Sum
from django.db.models.functions import Coalesce

from analytics.facts import TransferRow, replace_facts, write_fact
from analytics.models import Destination, TransferFact
from exchange.catalogue.services import replace_entries, save_entry
from exchange.listings.models import ClosureReason, Listing, ListingStatus, Transfer, Visibility
from tenants.crossing import CrossingRefused, PlatformWork, in_authority, in_schema
from tenants.models import Authority
from tenants.selectors import current_authority

log = logging.getLogger(__name__)

DESTINATIONS = {
    ClosureReason.EXCHANGED_INTERNAL: Destination.SAME_AUTHORITY,
    ClosureReason.EXCHANGED_OTHER_AUTHORITY: Destination.OTHER_AUTHORITY,
    ClosureReason.GIVEN_TO_PARTNER: Destination.PARTNER,
    ClosureReason.DISCARDED: Destination.DISCARDED,
    ClosureReason.UNAVAILABLE: Destination.UNAVAILABLE,
    ClosureReason.WITHDRAWN: Destination.WITHDRAWN,
}


# --- Receipts: registered by the app that owns them (exchange.sharing) -----------------

# confirmed_receivers(giver, transfer_ids or None for all) → transfer id → receiver id
ConfirmedReceivers = Callable[[Authority, "list[int] | None"], dict[int, int]]

_RECEIPTS: list[ConfirmedReceivers] = []


def register_receipts(confirmed_receivers: ConfirmedReceivers) -> None:
    """Called once, by the app that owns the receipts of transfers between authorities,
    from its AppConfig.ready(). Without one, no receiver ever confirmed anything."""
    _RECEIPTS[:] = [confirmed_receivers]


def _confirmed_receivers(giver: Authority, transfer_ids: list[int] | None = None
                         ) -> dict[int, int]:
    return _RECEIPTS[0](giver, transfer_ids) if _RECEIPTS else {}


# --- Statistics facts ------------------------------------------------------------------

def _transfers():
    """Transfers that count: not those still awaiting a moderator's confirmation (above
    the legal cap of a free transfer), which are not done yet."""
    return (Transfer.objects.exclude(confirmation_required=True, confirmed_at__isnull=True)
            .select_related("listing__category__parent", "listing__service",
                            "recipient_service"))


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
    return _confirmed_receivers(authority, [transfer.pk]).get(transfer.pk)


def fact_row(authority: Authority, transfer: Transfer,
             receivers: dict[int, int] | None = None) -> TransferRow:
    """What `transfer`'s fact is computed from (analytics.facts.fact_values). `transfer`
    comes with its listing, category (and parent), service and recipient service loaded
    (`_transfers()`); `receivers` are the authority's confirmed receivers, read when not
    given. No person is copied: services are organisational units."""
    listing = transfer.listing
    category = listing.category
    receiver = transfer.recipient_service
    return TransferRow(
        transfer_id=transfer.pk,
        listing_id=listing.pk,
        created_at=transfer.created_at,
        family=category.parent.name if category.parent_id else "",
        category=category.name,
        reference_code=category.reference_code or "",
        destination=DESTINATIONS[transfer.reason],
        quantity=transfer.quantity,
        value=transfer.value,
        weight_kg=transfer.weight_kg,
        weight_is_estimated=transfer.weight_is_estimated,
        giver_service=listing.service.name if listing.service_id else "",
        receiver_service=receiver.name if receiver is not None else "",
        receiver_authority_id=_receiving_authority_id(authority, transfer, receivers),
        recipient_partner_id=transfer.recipient_partner_id,
    )


def record_transfer_fact(transfer_id: int) -> TransferFact | None:
    """Write (or rewrite) the fact of one transfer of the current schema's authority.

    Runs after commit: a failure is logged, never raised into the request that closed
    the listing; `manage.py rebuild_facts` repairs any fact missed."""
    try:
        authority = current_authority()
        if authority is None:
            log.warning("record_transfer_fact(%s) outside an authority's schema",
                        transfer_id)
            return None
        with transaction.atomic():  # a savepoint when a caller's transaction is open
            transfer = _transfers().filter(pk=transfer_id).first()
            if transfer is None:
                return None
            return write_fact(authority, fact_row(authority, transfer))
    except Exception:  # after commit: log it; `rebuild_facts` repairs the fact
        log.exception("Could not record the fact of transfer %s", transfer_id)
        return None


def _fact_rows(authority: Authority) -> list[TransferRow]:
    """The rows of every transfer of the current schema that counts (`authority`'s)."""
    receivers = _confirmed_receivers(authority)
    return [fact_row(authority, transfer, receivers)
            for transfer in _transfers().order_by("pk").iterator(chunk_size=2000)]


# --- Catalogue -------------------------------------------------------------------------

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
    """The projected fields of `listing` (loaded by `_listings()`): what other
    authorities' agents and partners may read, no € value and no person."""
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


def sync_listing(listing_id: int) -> str:
    """Project listing `listing_id` of the current authority's schema into the catalogue.

    Returns what happened: "created", "updated", "deleted" or "unchanged". Runs after
    commit: a failure is logged, never raised into the request; `rebuild_catalogue`
    repairs it."""
    try:
        authority = current_authority()
        if authority is None:
            log.warning("sync_listing(%s) outside an authority's schema", listing_id)
            return "unchanged"
        listing = _listings().filter(pk=listing_id).first()
        seen = audiences(listing) if listing is not None else Audiences(False, None)
        return save_entry(authority, listing_id,
                          entry_values(listing, seen) if seen.any else None)
    except Exception:  # after commit: log it; `rebuild_catalogue` repairs the entry
        log.exception("Could not project listing %s", listing_id)
        return "unchanged"


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


def _catalogue_values() -> dict[int, dict]:
    """Listing id → entry values, for every listing of the current schema seen outside."""
    expected = {}
    for listing in _listings().filter(status=ListingStatus.PUBLISHED):
        seen = audiences(listing)
        if seen.any:
            expected[listing.pk] = entry_values(listing, seen)
    return expected


# --- Rebuilds --------------------------------------------------------------------------

def rebuild_projections(authority: Authority, *, facts: bool = True,
                        catalogue: bool = True) -> dict[str, dict[str, int]]:
    """Recompute `authority`'s projections from its schema, in bulk: its statistics
    facts and its catalogue entries (or only one of them).

    Reads the schema once (one crossing), then writes each projection through its app:
    creates what is missing, updates what differs, deletes what no longer has a source.
    Idempotent: a second run reports 0 created, updated and deleted. Returns the counts
    per projection: {"facts": {...}, "catalogue": {...}}."""
    purpose = ("rebuild statistics facts and catalogue" if facts and catalogue
               else "rebuild statistics facts" if facts else "catalogue rebuild")
    with in_authority(authority, ground=PlatformWork(purpose)):
        rows = _fact_rows(authority) if facts else None
        entries = _catalogue_values() if catalogue else None
    counts = {}
    if rows is not None:
        counts["facts"] = replace_facts(authority, rows)
    if entries is not None:
        counts["catalogue"] = replace_entries(authority, entries)
    return counts


def rebuild_facts(authority: Authority) -> dict[str, int]:
    """Recompute every fact of `authority` (`manage.py rebuild_facts`); the counts."""
    return rebuild_projections(authority, catalogue=False)["facts"]


def rebuild_catalogue(authority: Authority) -> dict[str, int]:
    """Recompute the catalogue entries of `authority` (`manage.py rebuild_catalogue`)."""
    return rebuild_projections(authority, facts=False)["catalogue"]
