"""Recompute the statistics facts of one or every authority from their schemas.

    python manage.py rebuild_facts                          # every authority
    python manage.py rebuild_facts --authority chatellerault

Run after a fix or a change of reference factors (or of an authority's overrides).
Idempotent: a second run reports 0 created, 0 updated, 0 deleted. Prints one line per
authority with the differences found, then the totals.
"""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from analytics.facts import rebuild_facts
from tenants.models import Authority

COUNTS = ("created", "updated", "deleted", "unchanged")


def _line(label: str, counts: dict[str, int]) -> str:
    return f"{label}: " + ", ".join(f"{counts[name]} {name}" for name in COUNTS)


class Command(BaseCommand):
    help = ("Recompute the statistics facts of one authority (--authority SLUG) or of all, "
            "and report the differences. Idempotent.")

    def add_arguments(self, parser):
        parser.add_argument("--authority", metavar="SLUG",
                            help="Only this authority (its address, e.g. chatellerault).")

    def handle(self, *args, authority: str | None = None, **options):
        authorities = Authority.objects.exclude(
            schema_name=settings.PUBLIC_SCHEMA_NAME).order_by("slug")
        if authority:
            authorities = authorities.filter(slug=authority)
            if not authorities.exists():
                raise CommandError(f"No authority with the address {authority!r}.")
        totals = dict.fromkeys(COUNTS, 0)
        for each in authorities:
            counts = rebuild_facts(each)
            for name in COUNTS:
                totals[name] += counts[name]
            self.stdout.write(_line(each.slug, counts))
        self.stdout.write(_line("total", totals))
