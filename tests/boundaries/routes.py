"""Every route the product serves, read from the URL resolvers of both urlconfs.

The bare host (settings.BASE_DOMAIN) serves `PUBLIC_SCHEMA_URLCONF`; an authority's
host serves `ROOT_URLCONF`. A route is keyed "<host kind>:<namespaced name>", or
"<host kind>:<regex>" when the pattern has no name (the partner API's catch-all).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse

PUBLIC = "public"  # the bare host
TENANT = "tenant"  # an authority's host

URLCONFS = {PUBLIC: settings.PUBLIC_SCHEMA_URLCONF, TENANT: settings.ROOT_URLCONF}


@dataclass(frozen=True)
class Route:
    """One resolver pattern: where it is served, its name and its path pattern."""

    host: str
    name: str | None  # "namespace:name", None for an unnamed pattern
    pattern: str  # the joined pattern, e.g. "listings/<int:pk>/"

    @property
    def key(self) -> str:
        return f"{self.host}:{self.name or self.pattern}"

    def url(self, kwargs: dict) -> str:
        """A concrete path for `kwargs` (an unnamed pattern is its own path)."""
        if self.name is None:
            return "/" + self.pattern.lstrip("^")
        return reverse(self.name, urlconf=URLCONFS[self.host], kwargs=kwargs or None)


def _walk(patterns, prefix: str, namespace: str | None):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = entry.namespace
            joined = ":".join(part for part in (namespace, inner) if part) or None
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern), joined)
        elif isinstance(entry, URLPattern):
            name = entry.name and (f"{namespace}:{entry.name}" if namespace else entry.name)
            yield prefix + str(entry.pattern), name


def all_routes() -> list[Route]:
    """Every pattern of both urlconfs, in resolver order, without duplicates."""
    routes: dict[str, Route] = {}
    for host, urlconf in URLCONFS.items():
        for pattern, name in _walk(get_resolver(urlconf).url_patterns, "", None):
            route = Route(host=host, name=name, pattern=pattern)
            routes.setdefault(route.key, route)
    return list(routes.values())
