"""Error reporting: Sentry, tagged with the authority, without personal data."""

from __future__ import annotations

import re
from typing import Any

import sentry_sdk
from django.db import connection

EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
REDACTED = "[redacted]"


def scrub(value: Any) -> Any:
    """Replace e-mail addresses anywhere in a nested structure."""
    if isinstance(value, str):
        return EMAIL_RE.sub(REDACTED, value)
    if isinstance(value, dict):
        return {key: scrub(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(scrub(item) for item in value)
    return value


def before_send(event: dict, hint: dict) -> dict:
    """Drop what could identify an agent: user, cookies, bodies, e-mail addresses."""
    event.pop("user", None)
    request = event.get("request")
    if isinstance(request, dict):
        for key in ("cookies", "data", "headers", "env", "query_string"):
            request.pop(key, None)
    return scrub(event)


def init_sentry(dsn: str, *, environment: str, release: str, traces_sample_rate: float,
                transport: Any = None) -> bool:
    """Start sentry-sdk when a DSN is configured. Returns whether it started."""
    if not dsn:
        return False
    # Loaded only when a DSN is configured: the settings module calls this, and without
    # Sentry no process needs the integrations (so for each import below, "idem").
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration  # idem
    from sentry_sdk.integrations.logging import ignore_logger  # idem

    # CeleryIntegration reports a failed task with its exception; the ERROR line that
    # collectivrecup.celery logs for the same failure would be a second, poorer event.
    ignore_logger("collectivrecup.celery")

    options: dict[str, Any] = {
        "dsn": dsn,
        "environment": environment,
        "release": release,
        # No PII option: sentry-sdk 2 sends none by default (the send_default_pii flag
        # is deprecated); before_send removes what integrations still attach.
        "traces_sample_rate": traces_sample_rate,
        "before_send": before_send,
        "integrations": [DjangoIntegration(), CeleryIntegration()],
    }
    if transport is not None:
        options["transport"] = transport
    sentry_sdk.init(**options)
    return True


class SentryTenantMiddleware:
    """Tag every Sentry event of a request with the authority's slug."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        tenant = getattr(request, "tenant", None)
        sentry_sdk.get_isolation_scope().set_tag(
            "authority", getattr(tenant, "slug", None) or connection.schema_name
        )
        return self.get_response(request)
