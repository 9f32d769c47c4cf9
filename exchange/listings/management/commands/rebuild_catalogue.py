"""Recompute the catalogue (listings seen outside their authority) from the schemas.

    python manage.py rebuild_catalogue                          # every authority
    python manage.py rebuild_catalogue --authority chatellerault

Repairs a projection that missed a change (an after-commit failure) or was emptied.
The entries project the listings (exchange/listings/projections.py).
Idempotent: a second run reports 0 created, 0 updated, 0 deleted.
"""

from exchange.listings.projections import rebuild_catalogue
from tenants.management.rebuild_command import RebuildCommand


class Command(RebuildCommand):
    help = ("Recompute the catalogue entries of one authority (--authority SLUG) or of all, "
            "and report the differences. Idempotent.")
    rebuild = staticmethod(rebuild_catalogue)
