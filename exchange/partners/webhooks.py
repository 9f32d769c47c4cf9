"""Webhooks: events POSTed to partners' endpoints, signed, retried with backoff.

Signature: `X-CollectivRecup-Signature: sha256=<hex>` where hex is HMAC-SHA256, keyed
with the endpoint's secret, of `f"{timestamp}.{body}"`; `X-CollectivRecup-Timestamp`
carries the Unix timestamp (partners refuse old ones to stop replays). A failed
delivery is tried again after RETRY_DELAYS by the `partners.retry_webhooks` sweep.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import urllib.error
import urllib.request
from collections.abc import Callable
from datetime import timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from core import sending
from exchange.partners.grounds import PartnerGrantGround
from exchange.partners.models import (
    DeliveryStatus,
    PartnerRequest,
    Scope,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)
from exchange.partners.queueing import DELIVER_WEBHOOK
from exchange.partners.selectors import effective_grants
from exchange.partners.services import answer_requests
from tenants.background import registered_task
from tenants.crossing import may_cross
from tenants.models import Authority

log = logging.getLogger(__name__)

# The schedule lives in the database (next_retry_at, read by the every-minute sweep)
# rather than in Celery's `retry_backoff`: a retry countdown of 2 h to 24 h outlives
# the Redis broker's visibility timeout (1 h) and, with acks_late, would be redelivered
# and POSTed twice; the stored next try also survives a lost broker and is what the
# admin and operator pages show.
RETRY_DELAYS = [60, 5 * 60, 30 * 60, 2 * 3600, 6 * 3600, 24 * 3600]  # then abandoned
TIMEOUT_SECONDS = 10
USER_AGENT = "CollectivRecup-Webhooks/1"


def signature(secret: str, timestamp: int, body: bytes) -> str:
    message = f"{timestamp}.".encode() + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def http_post(url: str, body: bytes, headers: dict[str, str]) -> int:
    """POST and return the status code (an HTTP error status is returned, not raised)."""
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


Sender = Callable[[str, bytes, dict[str, str]], int]


# --- Queueing --------------------------------------------------------------------------

def _endpoints_for(authority: Authority, partner_ids=None):
    granted = effective_grants().filter(authority=authority,
                                        scopes__contains=[Scope.LISTINGS_READ])
    endpoints = WebhookEndpoint.objects.filter(
        is_active=True, partner_id__in=granted.values("partner_id"))
    if partner_ids is not None:
        endpoints = endpoints.filter(partner_id__in=partner_ids)
    return endpoints


def enqueue(event: str, authority: Authority, data: dict, partner_ids=None) -> int:
    """Store one delivery per interested endpoint; send them after commit."""
    payload = {"event": event, "created_at": timezone.now().isoformat(),
               "authority": authority.slug, "data": data}
    deliveries = WebhookDelivery.objects.bulk_create(
        WebhookDelivery(endpoint=endpoint, authority=authority, event=event, payload=payload,
                        next_retry_at=timezone.now())
        for endpoint in _endpoints_for(authority, partner_ids))
    if deliveries:
        ids = [delivery.pk for delivery in deliveries]
        transaction.on_commit(lambda: _queue(ids))
    return len(deliveries)


def _queue(ids: list[int]) -> None:
    deliver_webhook = registered_task(DELIVER_WEBHOOK)  # tasks.py, by name (queueing.py)
    for delivery_id in ids:
        try:
            deliver_webhook.delay(delivery_id)
        except Exception:  # broker down: the sweep sends it later
            log.warning("webhook delivery %s not queued now", delivery_id, exc_info=True)


def listing_data(authority: Authority, listing_id: int) -> dict:
    return {"id": f"{authority.slug}:{listing_id}", "authority": authority.slug,
            "listing_id": listing_id}


def offer_changed(authority: Authority, listing_id: int, was_offered: bool,
                  is_offered: bool) -> None:
    """An offer watcher (exchange.catalogue.services.watch_offers, registered by
    exchange/partners/apps.py): a listing entered or left the offer."""
    if was_offered == is_offered:
        return
    if is_offered:
        enqueue(WebhookEvent.LISTING_OFFERED, authority, listing_data(authority, listing_id))
        return
    enqueue(WebhookEvent.LISTING_WITHDRAWN, authority, listing_data(authority, listing_id))
    announce_answers(answer_requests(authority=authority, listing_id=listing_id))


def announce_answers(answered: list[PartnerRequest]) -> None:
    for partner_request in answered:
        enqueue(WebhookEvent.REQUEST_ANSWERED, partner_request.authority, {
            "request_id": partner_request.pk, "status": partner_request.status,
            **listing_data(partner_request.authority, partner_request.listing_id)},
            partner_ids=[partner_request.partner_id])


# --- Delivering -------------------------------------------------------------------------

def still_served(delivery: WebhookDelivery) -> bool:
    """The event may still go out: its authority is live and the endpoint's partner
    still reads it (accepted, unrevoked, in-date `listings:read` grant)."""
    return delivery.authority is not None and may_cross(
        delivery.authority, PartnerGrantGround(delivery.endpoint.partner, Scope.LISTINGS_READ))


def deliver(delivery_id: int, send: Sender | None = None, now=None) -> str:
    """Try one delivery once with `send` (default: http_post); record the outcome and
    when to try again. A delivery whose authority is no longer served (suspended,
    closed, data deleted) or whose partner lost its access is skipped, never sent:
    the partner resyncs from the feed if the access comes back.

    Claimed, POSTed outside any transaction, then settled (core.sending): a retry, the
    sweep or a redelivered task never POSTs a delivery already made, and a partner's
    2xx is written even when the database was away meanwhile."""
    send = send or http_post
    now = now or timezone.now()
    taken = sending.claim(
        WebhookDelivery.objects.select_related("endpoint__partner", "authority"),
        delivery_id, ready=Q(status__in=[DeliveryStatus.PENDING, DeliveryStatus.FAILED]),
        decide=lambda delivery: None if still_served(delivery) else {
            "status": DeliveryStatus.SKIPPED, "next_retry_at": None,
            "last_error": "access ended: authority not served or grant withdrawn"})
    if taken is None:
        return "nothing to do"
    delivery = taken.row
    if taken.settled:
        return delivery.status
    body = json.dumps(delivery.payload, separators=(",", ":"), sort_keys=True).encode()
    timestamp = int(now.timestamp())
    headers = {
        "Content-Type": "application/json", "User-Agent": USER_AGENT,
        "X-CollectivRecup-Event": delivery.event,
        "X-CollectivRecup-Delivery": str(delivery.pk),
        "X-CollectivRecup-Timestamp": str(timestamp),
        "X-CollectivRecup-Signature":
            "sha256=" + signature(delivery.endpoint.secret, timestamp, body),
    }
    attempts = delivery.attempts  # this one counted by the claim
    try:
        code = send(delivery.endpoint.url, body, headers)
        error = "" if 200 <= code < 300 else f"HTTP {code}"
    except Exception as exc:  # network error, timeout
        code, error = None, f"{type(exc).__name__}: {exc}"[:300]
    outcome = {"attempts": attempts, "last_status_code": code, "last_error": error}
    if not error:
        outcome.update(status=DeliveryStatus.DELIVERED, delivered_at=now, next_retry_at=None)
    elif attempts > len(RETRY_DELAYS):
        outcome.update(status=DeliveryStatus.ABANDONED, next_retry_at=None)
    else:
        outcome.update(status=DeliveryStatus.FAILED,
                       next_retry_at=now + timedelta(seconds=RETRY_DELAYS[attempts - 1]))
    sending.settle(taken, **outcome)
    return outcome["status"]


def due_deliveries(now=None) -> list[int]:
    """Deliveries due for an attempt, and claims old enough to check (core.sending)."""
    now = now or timezone.now()
    due = list(WebhookDelivery.objects.filter(
        status__in=[DeliveryStatus.PENDING, DeliveryStatus.FAILED],
        next_retry_at__lte=now).order_by("next_retry_at").values_list("pk", flat=True)[:500])
    return due + list(sending.claims_to_check(WebhookDelivery.objects.all(), now)
                      .order_by("claimed_at").values_list("pk", flat=True)[:500])
