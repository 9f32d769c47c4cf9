"""What the catalogue keeps about an authority in the public schema, for offboarding
(tenants/offboarding/public_data.py; declared in apps.py): its entries, which other
authorities and partners read, are removed when its data is deleted. An import does not
bring entries back (`manage.py rebuild_catalogue` projects an authority's listings).
"""

from __future__ import annotations

from exchange.catalogue.models import CatalogueEntry
from tenants.models import Authority
from tenants.offboarding.public_data import Withdrawal


def withdraw(authority: Authority, withdrawal: Withdrawal) -> dict[str, int]:
    """Remove the authority's catalogue entries (partner offers included)."""
    return {"catalogue_entries": CatalogueEntry.objects.filter(authority=authority)
            .delete()[0]}
