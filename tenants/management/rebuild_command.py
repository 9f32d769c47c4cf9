"""Base of the commands that recompute a public-schema projection from each authority's
schema (`rebuild_facts`, `rebuild_catalogue`): one line of differences per authority,
then the totals."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from tenants.models import Authority

COUNTS = ("created", "updated", "deleted", "unchanged")


def _line(label: str, counts: dict[str, int]) -> str:
    return f"{label}: " + ", ".join(f"{counts[name]} {name}" for name in COUNTS)


class RebuildCommand(BaseCommand):
    """Subclasses set `rebuild`: a function of an Authority returning COUNTS."""

    rebuild: Callable[[Authority], dict[str, int]]

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
            counts = type(self).rebuild(each)
            for name in COUNTS:
                totals[name] += counts[name]
            self.stdout.write(_line(each.slug, counts))
        self.stdout.write(_line("total", totals))
