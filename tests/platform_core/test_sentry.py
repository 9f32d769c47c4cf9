"""Sentry events carry the authority and no personal data."""

import uuid

import pytest
import sentry_sdk
from django.http import HttpResponse
from django.test import RequestFactory
from sentry_sdk.transport import Transport

from collectivrecup.observability import SentryTenantMiddleware, before_send, init_sentry


class CapturingTransport(Transport):
    def __init__(self, options=None):
        super().__init__(options)
        self.events = []

    def capture_envelope(self, envelope):
        for item in envelope.items:
            if item.type == "event":
                self.events.append(item.payload.json)


@pytest.fixture
def sentry_events():
    transport = CapturingTransport()
    assert init_sentry("https://public@sentry.example/1", environment="test", release="r1",
                       traces_sample_rate=0.0, transport=transport)
    yield transport.events
    sentry_sdk.get_client().close()
    sentry_sdk.init()  # back to a disabled client


def test_sentry_does_not_start_without_a_dsn():
    assert init_sentry("", environment="test", release="r1", traces_sample_rate=0) is False


@pytest.mark.django_db
def test_event_is_tagged_with_the_authority_and_scrubbed(chatellerault, sentry_events):
    session_key = uuid.uuid4().hex  # built at run time: absent from source context lines
    request = RequestFactory().post(
        "/accounts/login/", {"username": "camille@chatellerault.example"},
        HTTP_HOST="chatellerault.localhost", HTTP_COOKIE=f"sessionid={session_key}")
    request.tenant = chatellerault

    def view(request):
        try:
            raise ValueError("No account for camille@chatellerault.example")
        except ValueError:
            sentry_sdk.capture_exception()
        return HttpResponse("ok")

    with sentry_sdk.isolation_scope():
        SentryTenantMiddleware(view)(request)
    sentry_sdk.flush()

    assert len(sentry_events) == 1
    event = sentry_events[0]
    assert event["tags"]["authority"] == "chatellerault"
    assert event["environment"] == "test" and event["release"] == "r1"
    serialized = repr(event)
    assert "camille@chatellerault.example" not in serialized
    assert session_key not in serialized
    assert "[redacted]" in serialized


def test_before_send_drops_user_and_request_bodies():
    event = {"user": {"email": "a@b.fr"}, "request": {"data": {"x": 1}, "cookies": "c",
                                                        "url": "https://x/?e=a@b.fr"},
             "message": "from a@b.fr"}
    cleaned = before_send(event, {})
    assert "user" not in cleaned
    assert "data" not in cleaned["request"] and "cookies" not in cleaned["request"]
    assert cleaned["message"] == "from [redacted]"
    assert cleaned["request"]["url"] == "https://x/?e=[redacted]"
