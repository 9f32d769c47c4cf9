"""Full URLs for e-mails and command output: the one place that knows the scheme and
the public port."""

from django.conf import settings


def absolute_url(path: str, host: str | None = None, *, public_port: bool = True) -> str:
    """`path` as a full URL on `host` (the bare platform domain by default), with
    settings.PUBLIC_PORT (development, browser tests) unless `public_port` is False —
    for a host taken from a request, which already carries its port."""
    host = host or settings.BASE_DOMAIN
    port = getattr(settings, "PUBLIC_PORT", "") if public_port else ""
    return f"{settings.SITE_SCHEME}://{host}{':' + port if port else ''}{path}"
