"""Drive the official `stripe` library without the network: a `stripe.HTTPClient` that
answers with the recorded responses of tests/tenants/stripe_responses/ and keeps every
request the library made (method, path, form fields) for the test to assert."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import stripe

RESPONSES = Path(__file__).parent / "stripe_responses"


@dataclass
class Request:
    method: str
    path: str
    fields: dict[str, str]
    headers: dict


class RecordedStripe(stripe.HTTPClient):
    """Routes: (method, path) → response file; a path ending in '*' matches a prefix."""

    name = "recorded"

    def __init__(self, routes: dict[tuple[str, str], str]):
        super().__init__()
        self.routes = routes
        self.requests: list[Request] = []

    def _route(self, method: str, path: str) -> str:
        for (m, p), file in self.routes.items():
            if m == method and (p == path or (p.endswith("*") and path.startswith(p[:-1]))):
                return file
        raise AssertionError(f"unexpected Stripe request {method} {path}")

    def request(self, method, url, headers, post_data=None, *, _usage=None):
        parts = urlsplit(url)
        fields = dict(parse_qsl(post_data or parts.query, keep_blank_values=True))
        self.requests.append(Request(method.upper(), parts.path, fields, dict(headers or {})))
        body = (RESPONSES / self._route(method.upper(), parts.path)).read_text()
        return body, 200, {"Request-Id": f"req_TEST{len(self.requests):04d}"}

    def request_stream(self, method, url, headers, post_data=None, *, _usage=None):
        raise AssertionError("no streaming request expected")

    def close(self):
        pass


def event_payload(event_id: str, event_type: str, invoice: dict,
                  created: int = 1767225600) -> str:
    """A Stripe event's JSON; `created` is when Stripe created it (Unix time)."""
    return json.dumps({
        "id": event_id, "object": "event", "api_version": stripe.api_version,
        "created": created, "livemode": False, "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None}, "type": event_type,
        "data": {"object": invoice},
    })


def sign(payload: str, secret: str, timestamp: int | None = None) -> str:
    """Stripe's signature header: t=<time>,v1=HMAC-SHA256(secret, "<t>.<payload>")."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    signature = hmac.new(secret.encode(), f"{timestamp}.{payload}".encode(),
                         hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={signature}"


def recorded_invoice(**changes) -> dict:
    invoice = json.loads((RESPONSES / "invoice.json").read_text())
    invoice.update(changes)
    return invoice
