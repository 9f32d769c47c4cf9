"""Full URLs for e-mails and command output: the one place that knows the scheme and
the public port."""

from django.conf import settings
from django.db import connection


def absolute_url(path: str, host: str | None = None, *, public_port: bool = True) -> str:
    """`path` as a full URL on `host` (the bare platform domain by default), with
    settings.PUBLIC_PORT (development, browser tests) unless `public_port` is False —
    for a host taken from a request, which already carries its port."""
    host = host or settings.BASE_DOMAIN
    port = getattr(settings, "PUBLIC_PORT", "") if public_port else ""
    return f"{settings.SITE_SCHEME}://{host}{':' + port if port else ''}{path}"


def authority_host(slug: str) -> str:
    """The host name of the authority with `slug` (`<slug>.BASE_DOMAIN`)."""
    return f"{slug}.{settings.BASE_DOMAIN}"


def authority_url(path: str) -> str:
    """`path` on the host of the schema the connection points at now: the authority's
    host in an authority's schema (inside a crossing, or a bare schema name as in a
    worker or a test: slugs map one-to-one), the bare platform domain in public."""
    tenant = getattr(connection, "tenant", None)
    schema = getattr(tenant, "schema_name", settings.PUBLIC_SCHEMA_NAME)
    if schema == settings.PUBLIC_SCHEMA_NAME:
        return absolute_url(path)
    return absolute_url(path, authority_host(getattr(tenant, "slug", None)
                                             or schema.replace("_", "-")))
