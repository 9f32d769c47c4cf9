"""Webhooks: which events go to whom, the signature a partner checks, retries with
backoff and the delivery log. A loopback HTTP server plays the partner: no network."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.utils import timezone

from exchange.listings.recipients import Recipient
from exchange.listings.services.closure import close_listing
from exchange.listings.services.visibility import set_partner_offer_opt_out
from exchange.partners import webhooks
from exchange.partners.models import DeliveryStatus, WebhookDelivery
from exchange.partners.tasks import retry_webhooks
from tests.accounts.factories import agent
from tests.conftest import client_for, in_authority
from tests.exchange.listings.factories import published_listing
from tests.exchange.partners.factories import (
    WebhookEndpointFactory,
    api_key,
    grant,
    offer,
    partner,
)
from tests.exchange.partners.test_partner_api import partner_client, request_path

pytestmark = pytest.mark.django_db

SECRET = "whsec-test-0123456789"


class PartnerServer:
    """A partner's webhook receiver on 127.0.0.1, answering the given status codes."""

    def __init__(self, statuses):
        self.statuses, self.received = list(statuses), []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                server.received.append((self.headers, body))
                self.send_response(server.statuses.pop(0) if server.statuses else 200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.httpd = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_port}/hooks"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def receiver():
    server = PartnerServer([])
    yield server
    server.close()


@pytest.fixture
def hooked(chatellerault, receiver):
    the_partner = partner()
    grant(chatellerault, the_partner)
    WebhookEndpointFactory(partner=the_partner, url=receiver.url, secret=SECRET)
    return the_partner


def test_an_offered_listing_is_posted_signed_to_the_granted_partner(
        chatellerault, grand_chatellerault, hooked, receiver,
        django_capture_on_commit_callbacks):
    # Another partner with a webhook but no grant from Châtellerault hears nothing.
    stranger = partner()
    grant(grand_chatellerault, stranger)
    WebhookEndpointFactory(partner=stranger, url=receiver.url + "/other", secret="x")
    with in_authority(chatellerault), django_capture_on_commit_callbacks(execute=True):
        listing = published_listing()
        offer(listing)
    [(headers, body)] = receiver.received
    payload = json.loads(body)
    assert payload["event"] == "listing.offered"
    assert payload["data"] == {"id": f"chatellerault:{listing.pk}",
                               "authority": "chatellerault", "listing_id": listing.pk}
    timestamp = headers["X-CollectivRecup-Timestamp"]
    expected = hmac.new(SECRET.encode(), f"{timestamp}.".encode() + body,
                        hashlib.sha256).hexdigest()
    assert headers["X-CollectivRecup-Signature"] == f"sha256={expected}"
    assert headers["X-CollectivRecup-Event"] == "listing.offered"
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == (
        DeliveryStatus.DELIVERED, 1, 200)


def test_withdrawal_and_answered_requests_are_announced(
        chatellerault, hooked, receiver, django_capture_on_commit_callbacks):
    _key, key = api_key(hooked)
    with in_authority(chatellerault), django_capture_on_commit_callbacks(execute=True):
        poster = agent()
        given, kept = published_listing(poster=poster), published_listing(poster=poster)
        offer(given)
        offer(kept)
    with django_capture_on_commit_callbacks(execute=True):
        partner_client(key).post(request_path(chatellerault, given), {},
                                 content_type="application/json")
    with in_authority(chatellerault), django_capture_on_commit_callbacks(execute=True):
        close_listing(listing=given, actor=poster, reason="given_to_partner",
                      recipient=Recipient.partner(hooked.pk))
        set_partner_offer_opt_out(listing=kept, actor=poster, opt_out=True)
    events = [(json.loads(body)["event"], json.loads(body)["data"].get("status"),
               json.loads(body)["data"]["listing_id"]) for _h, body in receiver.received]
    assert events[2:] == [("request.answered", "accepted", given.pk),
                          ("listing.withdrawn", None, given.pk),
                          ("listing.withdrawn", None, kept.pk)]


def test_a_failed_delivery_is_retried_with_backoff_then_abandoned(chatellerault, hooked):
    calls = []

    def failing(url, body, headers):
        calls.append(url)
        return 503

    def network_down(url, body, headers):
        raise OSError("connection refused")

    webhooks.enqueue("listing.offered", chatellerault, {"listing_id": 1})
    delivery = WebhookDelivery.objects.get()
    start = timezone.now()
    assert webhooks.deliver(delivery.pk, send=failing, now=start) == DeliveryStatus.FAILED
    delivery.refresh_from_db()
    assert delivery.last_status_code == 503 and delivery.last_error == "HTTP 503"
    assert delivery.next_retry_at == start + timedelta(seconds=webhooks.RETRY_DELAYS[0])
    # Not due yet: the sweep leaves it; once due, it is tried again, later and later.
    assert webhooks.due_deliveries(now=start + timedelta(seconds=30)) == []
    moment = start
    for attempt, delay in enumerate(webhooks.RETRY_DELAYS[1:], start=2):
        moment = delivery.next_retry_at
        assert webhooks.due_deliveries(now=moment) == [delivery.pk]
        webhooks.deliver(delivery.pk, send=network_down, now=moment)
        delivery.refresh_from_db()
        assert delivery.attempts == attempt and "connection refused" in delivery.last_error
        assert delivery.next_retry_at == moment + timedelta(seconds=delay)
    webhooks.deliver(delivery.pk, send=failing, now=delivery.next_retry_at)
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.ABANDONED and delivery.next_retry_at is None
    assert webhooks.due_deliveries(now=moment + timedelta(days=30)) == []


def test_the_sweep_delivers_what_is_due(chatellerault, hooked, receiver):
    receiver.statuses = [500]
    webhooks.enqueue("listing.offered", chatellerault, {"listing_id": 1})
    delivery = WebhookDelivery.objects.get()
    webhooks.deliver(delivery.pk)
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED
    WebhookDelivery.objects.filter(pk=delivery.pk).update(next_retry_at=timezone.now())
    assert retry_webhooks() == 1
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED and delivery.attempts == 2
    assert len(receiver.received) == 2


def test_the_delivery_log_is_read_by_the_granting_admin_only(
        chatellerault, grand_chatellerault, hooked):
    from tests.accounts.factories import authority_admin

    webhooks.enqueue("listing.offered", chatellerault, {"listing_id": 1})
    webhooks.deliver(WebhookDelivery.objects.get().pk, send=lambda *a: 410)
    with in_authority(chatellerault):
        admin = authority_admin()
    with in_authority(grand_chatellerault):
        other_admin = authority_admin(email="admin@grand-chatellerault.example")
    page = client_for(chatellerault, admin).get("/listings/partners/").content.decode()
    assert "listing.offered" in page and "HTTP 410" in page
    page = client_for(grand_chatellerault, other_admin).get(
        "/listings/partners/").content.decode()
    assert "HTTP 410" not in page
