"""Recompute the statistics facts of one or every authority from their schemas.

    python manage.py rebuild_facts                          # every authority
    python manage.py rebuild_facts --authority chatellerault

Run after a fix or a change of reference factors (or of an authority's overrides).
The facts project the transfers of the listings (exchange/listings/projections.py).
Idempotent: a second run reports 0 created, 0 updated, 0 deleted. Prints one line per
authority with the differences found, then the totals.
"""

from exchange.listings.projections import rebuild_facts
from tenants.management.rebuild_command import RebuildCommand


class Command(RebuildCommand):
    help = ("Recompute the statistics facts of one authority (--authority SLUG) or of all, "
            "and report the differences. Idempotent.")
    rebuild = staticmethod(rebuild_facts)
