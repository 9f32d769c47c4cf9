"""`/readyz` answers 200 when the database, cache, broker and storage answer, and a 503
naming each one that does not. Failures are real ones where the machine allows: a Redis
address where nothing listens, a storage folder that cannot exist, a server that accepts
connections and never answers."""

import logging
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from unittest import mock

import pytest
from botocore.config import Config
from django.db import OperationalError, connections
from django.test import override_settings

from collectivrecup.celery import app
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

CHECKS = ("database", "cache", "broker", "storage")
UNREACHABLE_REDIS = "redis://127.0.0.1:1/0"  # port 1: nothing listens, refused at once


def readyz(host="localhost"):
    return client_for(None).get("/readyz", HTTP_HOST=host)


def assert_only_failing(response, **expected):
    """503, the failing checks named with their error class, the others ok."""
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["failing"] == list(expected)
    assert body["checks"] == {name: expected.get(name, "ok") for name in CHECKS}


@pytest.fixture
def broker(request):
    """Point the Celery app at another broker for one test."""
    saved = {key: app.conf[key] for key in ("broker_url", "broker_transport_options")}

    def point_at(url, **transport_options):
        app.conf.update(broker_url=url, broker_transport_options=transport_options)

    yield point_at
    app.conf.update(saved)


@pytest.mark.parametrize("host", ["localhost", "chatellerault.localhost", "10.0.0.12",
                                  "unknown.localhost"])
def test_readyz_is_ok_on_any_host_when_every_dependency_answers(host):
    response = readyz(host)
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": dict.fromkeys(CHECKS, "ok")}
    assert response["Cache-Control"] == "no-store"


def test_database_failure_is_named():
    wrapper_class = type(connections["default"])
    failure = OperationalError('connection to server at "db.internal" failed')
    with mock.patch.object(wrapper_class, "cursor", side_effect=failure):
        response = readyz()
    assert_only_failing(response, database="OperationalError")
    assert "db.internal" not in response.content.decode()


def test_cache_failure_is_named():
    with override_settings(CACHES={"default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": UNREACHABLE_REDIS}}):
        response = readyz()
    assert_only_failing(response, cache="ConnectionError")


def test_broker_failure_is_named_without_its_credentials(broker, caplog):
    broker("redis://:s3cret-broker-password@127.0.0.1:1/0")
    with caplog.at_level(logging.INFO):
        response = readyz()
    assert_only_failing(response, broker="OperationalError")
    assert "s3cret" not in response.content.decode()
    # One WARNING from the check, and no ERROR (Django's own line for a 503 would reach
    # Sentry at every probe).
    assert [(r.name, r.levelname) for r in caplog.records] == [
        ("collectivrecup.readiness", "WARNING")]
    assert "broker" in caplog.text and "s3cret" not in caplog.text


def test_filesystem_broker_without_its_folders_fails(broker, tmp_path):
    missing = str(tmp_path / "missing")
    broker("filesystem://", data_folder_in=missing, data_folder_out=missing,
           control_folder=missing)
    assert_only_failing(readyz(), broker="FileNotFoundError")


def test_storage_failure_is_named(settings, tmp_path):
    blocker = tmp_path / "media"
    blocker.write_text("a file where the media folder should be")
    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(blocker / "inside")}}}
    assert_only_failing(readyz(), storage="NotADirectoryError")


def test_filesystem_storage_probe_leaves_no_file(settings, tmp_path):
    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(tmp_path)}}}
    assert readyz().status_code == 200
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []


class FakeS3(BaseHTTPRequestHandler):
    """Answers every HEAD with the status the test chose (404: no such object)."""

    status = 404
    requests: list[str] = []

    def do_HEAD(self):
        FakeS3.requests.append(self.path)
        self.send_response(FakeS3.status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def s3_storage(settings):
    """The project's S3 storage against a local stand-in for the S3 endpoint."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeS3)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    FakeS3.requests = []
    # These tests are about the answer the store gives, not about time: boto3 builds
    # its client on the first call, which takes seconds on a loaded machine, and the
    # probe's own limit would then report a "timeout" (that case has its own test).
    settings.READINESS_CHECK_TIMEOUT = 60
    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": "collectivrecup.storage.TenantS3Storage",
        "OPTIONS": {"bucket_name": "media", "access_key": "AKIATEST",
                    "secret_key": "test-secret", "region_name": "eu-west-3",
                    "endpoint_url": f"http://127.0.0.1:{server.server_port}",
                    "client_config": Config(retries={"max_attempts": 1},
                                            s3={"addressing_style": "path"})}}}
    yield FakeS3
    server.shutdown()
    server.server_close()


def test_s3_storage_is_probed_with_one_head_request(s3_storage):
    s3_storage.status = 404  # the probe's key does not exist: the bucket answered
    assert readyz().status_code == 200
    assert len(s3_storage.requests) == 1
    assert s3_storage.requests[0].startswith("/media/public/readyz/")


def test_s3_storage_refusing_the_credentials_fails(s3_storage):
    s3_storage.status = 403
    assert_only_failing(readyz(), storage="ClientError")


def test_a_dependency_that_never_answers_times_out(settings):
    """A server that accepts the connection and then says nothing, like a Redis behind
    a broken network: the probe gives up after READINESS_CHECK_TIMEOUT."""
    settings.READINESS_CHECK_TIMEOUT = 0.5
    silent = socket.create_server(("127.0.0.1", 0))
    try:
        port = silent.getsockname()[1]
        with override_settings(CACHES={"default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": f"redis://127.0.0.1:{port}/0"}}):
            response = readyz()
    finally:
        silent.close()  # resets the waiting connection: the check's thread ends
    assert_only_failing(response, cache="timeout")
