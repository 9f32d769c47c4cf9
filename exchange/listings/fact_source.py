"""The listings' side of the statistics: `ListingsFactSource` (analytics.sources.FactSource),
registered by exchange/listings/apps.py. Analytics sits below listings and never imports
them; through this source it rebuilds its facts (exchange.listings.projections) and reads
the few figures the facts cannot hold (exchange.listings.selectors)."""

from __future__ import annotations

from datetime import date

from exchange.listings import selectors
from exchange.listings.projections import rebuild_facts
from tenants.models import Authority


class ListingsFactSource:
    """What the statistics ask of the listings (see analytics.sources.FactSource)."""

    def rebuild_facts(self, authority: Authority) -> dict[str, int]:
        return rebuild_facts(authority)

    def listings_posted_by_month(self, start: date, end: date) -> dict[date, int]:
        return selectors.listings_posted_by_month(start, end)

    def listings_published_between(self, start: date, end: date) -> dict[int, date]:
        return selectors.listings_published_between(start, end)

    def publication_dates(self, listing_ids: list[int]) -> dict[int, date]:
        return selectors.publication_dates(listing_ids)

    def reused_transfer_ids(self, *, poster=None, service_id: int | None = None
                            ) -> list[int]:
        return selectors.reused_transfer_ids(poster=poster, service_id=service_id)
