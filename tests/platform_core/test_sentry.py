"""Sentry events carry the authority and no personal data; release, environment and
trace sampling come from the settings; failed Celery tasks are reported."""

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import sentry_sdk
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.http import HttpResponse
from django.test import RequestFactory
from django_tenants.utils import schema_context
from sentry_sdk.transport import Transport

from collectivrecup.celery import app
from collectivrecup.middleware import RequestLogMiddleware
from collectivrecup.observability import SentryTenantMiddleware, before_send, init_sentry

ROOT = Path(__file__).resolve().parents[2]


class CapturingTransport(Transport):
    def __init__(self, options=None):
        super().__init__(options)
        self.events = []
        self.transactions = []

    def capture_envelope(self, envelope):
        for item in envelope.items:
            if item.type == "event":
                self.events.append(item.payload.json)
            elif item.type == "transaction":
                self.transactions.append(item.payload.json)


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


def test_init_sentry_passes_release_environment_sampling_and_integrations():
    transport = CapturingTransport()
    try:
        assert init_sentry("https://public@sentry.example/1", environment="staging",
                           release="2026.11.2", traces_sample_rate=0.25, transport=transport)
        client = sentry_sdk.get_client()
        assert client.options["release"] == "2026.11.2"
        assert client.options["environment"] == "staging"
        assert client.options["traces_sample_rate"] == 0.25
        assert client.options["before_send"] is before_send
        assert {"django", "celery"} <= set(client.integrations)
    finally:
        sentry_sdk.get_client().close()
        sentry_sdk.init()


def test_settings_start_sentry_from_the_environment():
    """The real settings module, in a process of its own, with the variables a
    deployment sets."""
    env = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": f"{ROOT / 'platform'}:{ROOT}",
        "DJANGO_SETTINGS_MODULE": "collectivrecup.settings.production",
        "DATABASE_URL": "postgres://app@db.invalid:5432/collectivrecup",
        "SECRET_KEY": "x" * 60,
        "SENTRY_DSN": "https://public@sentry.invalid/1",
        "SENTRY_ENVIRONMENT": "production",
        "RELEASE": "2026.11.2",
        "SENTRY_TRACES_SAMPLE_RATE": "0.1",
    }
    code = ("import json, sentry_sdk; o = sentry_sdk.get_client().options; "
            "print(json.dumps([o['dsn'], o['environment'], o['release'], "
            "o['traces_sample_rate'], sorted(sentry_sdk.get_client().integrations)]))")
    result = subprocess.run([sys.executable, "manage.py", "shell", "-c", code], cwd=ROOT,
                            env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    dsn, environment, release, rate, integrations = json.loads(
        result.stdout.strip().splitlines()[-1])
    assert (dsn, environment, release, rate) == (
        "https://public@sentry.invalid/1", "production", "2026.11.2", 0.1)
    assert {"django", "celery"} <= set(integrations)


@pytest.mark.django_db
def test_event_carries_the_request_id(chatellerault, sentry_events):
    request = RequestFactory().get("/", HTTP_HOST="chatellerault.localhost",
                                   HTTP_X_REQUEST_ID="lb-42")
    request.tenant = chatellerault

    def view(request):
        sentry_sdk.capture_message("something odd")
        return HttpResponse("ok")

    with sentry_sdk.isolation_scope():
        response = RequestLogMiddleware(SentryTenantMiddleware(view))(request)
    sentry_sdk.flush()
    assert response["X-Request-ID"] == "lb-42"
    [event] = sentry_events
    assert event["tags"]["request_id"] == "lb-42"
    assert event["tags"]["authority"] == "chatellerault"


@pytest.fixture
def sentry_traces():
    transport = CapturingTransport()
    assert init_sentry("https://public@sentry.example/1", environment="test", release="r1",
                       traces_sample_rate=1.0, transport=transport)
    yield transport
    sentry_sdk.get_client().close()
    sentry_sdk.init()


def serve(environ_overrides: dict) -> tuple[str, dict]:
    """One request through Django's WSGI handler, as gunicorn calls it (the test client
    has its own handler, which sentry-sdk does not trace)."""
    from wsgiref.util import setup_testing_defaults

    environ: dict = {}
    setup_testing_defaults(environ)
    environ.update(environ_overrides)
    answer = {}

    def start_response(status, headers, exc_info=None):
        answer["status"], answer["headers"] = status, dict(headers)

    # As the test client does: keep the test's transaction open around the request.
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    try:
        b"".join(WSGIHandler()(environ, start_response))
    finally:
        for signal in (request_started, request_finished):
            signal.connect(close_old_connections)
    return answer["status"], answer["headers"]


@pytest.mark.django_db
def test_sampled_requests_are_traced_with_the_authority(chatellerault, sentry_traces):
    status, headers = serve({"HTTP_HOST": "chatellerault.localhost",
                             "PATH_INFO": "/accounts/login/", "HTTP_X_REQUEST_ID": "tr-1"})
    assert status.startswith("200")
    sentry_sdk.flush()
    [transaction] = sentry_traces.transactions
    assert transaction["transaction"] == "/accounts/login/"
    assert transaction["tags"]["authority"] == "chatellerault"
    assert transaction["tags"]["request_id"] == "tr-1"


PERSONAL = "camille.martin@chatellerault.example"


@app.task(name="tests.platform_core.sentry_fail")
def fail_for(email: str) -> None:
    raise LookupError(f"no account for {email}")


@pytest.mark.django_db
def test_failed_task_is_reported_with_the_authority_and_without_its_arguments(
        chatellerault, sentry_events):
    with schema_context(chatellerault.schema_name):
        result = fail_for.apply(args=[PERSONAL], throw=False)  # handled as a worker does
    assert result.failed()
    sentry_sdk.flush()
    [event] = sentry_events
    assert event["exception"]["values"][-1]["type"] == "LookupError"
    assert event["tags"]["authority"] == "chatellerault"
    assert event["extra"]["celery-job"]["task_name"] == "tests.platform_core.sentry_fail"
    assert PERSONAL not in repr(event)
