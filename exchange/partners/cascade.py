"""The offer cascade: listings nobody took inside the authority go to partners.

Runs in an authority's schema (task `partners.offer_due_listings`, fanned out daily).
The catalogue projection (exchange/listings/projections.py) then shows them in the
partner feed, and the catalogue's offer watchers announce them by webhook.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from exchange.listings.models import Listing, ListingStatus, Transfer
from exchange.listings.projections import sync_after_commit, sync_listing
from exchange.listings.selectors import exchange_settings
from exchange.partners.services import answer_requests
from exchange.partners.webhooks import announce_answers
from tenants.crossing import CrossingRefused, OwnWork, in_schema
from tenants.selectors import current_authority

log = logging.getLogger(__name__)


def offer_due_listings(now=None) -> int:
    """Offer to partners the published listings of this authority published more than
    `offer_to_partners_after_days` ago with no taker (nothing given, not reserved) and
    not opted out. Returns how many were offered; running it twice offers nothing more."""
    days = exchange_settings().offer_to_partners_after_days
    if days is None:
        return 0
    now = now or timezone.now()
    with transaction.atomic():
        due = list(Listing.objects.select_for_update(of=("self",)).filter(
            status=ListingStatus.PUBLISHED, published_at__lte=now - timedelta(days=days),
            offered_to_partners_at__isnull=True, partner_offer_opt_out=False,
            reserved_for="", transfers__isnull=True))
        Listing.objects.filter(pk__in=[listing.pk for listing in due]).update(
            offered_to_partners_at=now)
        for listing in due:
            sync_after_commit(listing)
    return len(due)


def transfer_to_partner_recorded(transfer_id: int, schema: str) -> None:
    """After a transfer to a partner commits, in `schema` (the authority's): update the
    listing's entry, and answer the partners' requests on it (request.answered).
    The authority's own work: nothing is done once it is no longer live."""
    try:
        with in_schema(schema, ground=OwnWork("record a donation to a partner")):
            _transfer_to_partner_recorded(transfer_id)
    except CrossingRefused:
        log.info("donation %s of %s not projected: authority not live", transfer_id, schema)


def _transfer_to_partner_recorded(transfer_id: int) -> None:
    transfer = Transfer.objects.filter(pk=transfer_id).first()
    if transfer is None or transfer.recipient_partner_id is None:
        return
    # Answer first: leaving the catalogue declines the requests still open.
    announce_answers(answer_requests(authority=current_authority(),
                                     listing_id=transfer.listing_id,
                                     given_to=transfer.recipient_partner_id))
    sync_listing(transfer.listing_id)
