"""Reads on the catalogue (public schema). Every feed seen outside an authority — the
shared feed of other authorities, the partners' feed — builds on `live_entries`."""

from __future__ import annotations

from django.db.models import QuerySet

from exchange.catalogue.models import CatalogueEntry
from tenants.crossing import live_authorities


def live_entries() -> QuerySet[CatalogueEntry]:
    """Catalogue entries of live authorities only (tenants.crossing's one rule): an
    authority suspended, closed or whose data were deleted disappears from every shared
    and partner surface at once, whatever entries its projection still holds."""
    return CatalogueEntry.objects.filter(authority__in=live_authorities())
