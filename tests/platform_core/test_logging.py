"""Logs: a request id on every record of a request, JSON lines in production, no
personal data (e-mail addresses, client addresses) in any record."""

import io
import json
import logging
import os
import re
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest
from django.conf import settings

from accounts.models import User
from collectivrecup.logging_config import (
    JsonFormatter,
    PlainFormatter,
    RequestContextFilter,
    request_context,
)
from tests.accounts.factories import ServiceFactory, agent
from tests.conftest import client_for, in_authority

ROOT = Path(__file__).resolve().parents[2]
HEX_ID = re.compile(r"[0-9a-f]{32}")


class LogLines:
    """What the root logger writes through a handler set up like LOGGING's console
    handler (request-context filter), with the formatter a test chooses."""

    def __init__(self):
        self.stream = io.StringIO()
        self.handler = logging.StreamHandler(self.stream)
        self.handler.addFilter(RequestContextFilter())

    def use(self, formatter: logging.Formatter) -> None:
        self.handler.setFormatter(formatter)

    def __call__(self) -> list[str]:
        return self.stream.getvalue().splitlines()


@pytest.fixture
def log_lines():
    lines = LogLines()
    root = logging.getLogger()
    level = root.level
    root.addHandler(lines.handler)
    root.setLevel(logging.INFO)
    yield lines
    root.removeHandler(lines.handler)
    root.setLevel(level)


@pytest.mark.django_db
def test_a_request_logs_json_with_its_request_id_and_authority(chatellerault, log_lines):
    log_lines.use(JsonFormatter())
    response = client_for(chatellerault).get("/accounts/login/",
                                             HTTP_X_REQUEST_ID="lb-7f3a.9_Z")
    assert response["X-Request-ID"] == "lb-7f3a.9_Z"
    entries = [json.loads(line) for line in log_lines()]
    [entry] = [e for e in entries if e["logger"] == "collectivrecup.requests"]
    assert entry["request_id"] == "lb-7f3a.9_Z"
    assert entry["authority"] == "chatellerault"
    assert entry["level"] == "INFO"
    assert entry["message"].startswith("GET /accounts/login/ 200 ")
    assert datetime.fromisoformat(entry["timestamp"]).utcoffset().total_seconds() == 0


@pytest.mark.django_db
def test_records_of_any_logger_during_a_request_carry_its_id_and_authority(chatellerault,
                                                                         log_lines):
    log_lines.use(JsonFormatter())

    class Request:
        tenant = chatellerault

    with request_context("req-1", Request()):
        logging.getLogger("exchange.listings.notifications").warning("contact mail deferred")
    logging.getLogger("exchange.listings.notifications").warning("outside any request")
    inside, outside = (json.loads(line) for line in log_lines())
    assert (inside["request_id"], inside["authority"]) == ("req-1", "chatellerault")
    assert (outside["request_id"], outside["authority"]) == ("-", "-")


@pytest.mark.django_db
def test_plain_text_logs_carry_the_request_id_too(log_lines):
    log_lines.use(PlainFormatter(settings.LOGGING["formatters"]["plain"]["format"]))
    response = client_for(None).get("/", HTTP_X_REQUEST_ID="abc-123")
    [line] = [li for li in log_lines() if "collectivrecup.requests" in li]
    assert "[abc-123 public] GET / 200" in line
    assert response["X-Request-ID"] == "abc-123"


@pytest.mark.django_db
@pytest.mark.parametrize("evil", ["abc\r\nX-Forged: 1", "x" * 65, "id with spaces", "é", ""])
def test_an_unsafe_incoming_request_id_is_replaced(evil):
    response = client_for(None).get("/", HTTP_X_REQUEST_ID=evil)
    assert HEX_ID.fullmatch(response["X-Request-ID"])


@pytest.mark.django_db
def test_a_request_without_id_gets_a_new_one_each_time():
    first = client_for(None).get("/")["X-Request-ID"]
    second = client_for(None).get("/")["X-Request-ID"]
    assert HEX_ID.fullmatch(first) and HEX_ID.fullmatch(second) and first != second
    assert client_for(None).get("/", HTTP_X_REQUEST_ID="x" * 64)["X-Request-ID"] == "x" * 64


def test_formatters_redact_email_addresses_and_keep_celery_arguments_out():
    """Celery logs "Task received" and failures with the task's arguments as an `extra`;
    a JSON line has a fixed set of keys, so they stay out."""
    record = logging.LogRecord("celery.app.trace", logging.ERROR, __file__, 1,
                               "Task %s raised: %s", ("exchange.notify", "no camille@x.fr"),
                               None)
    record.data = {"args": "('camille.martin@chatellerault.example',)"}
    entry = json.loads(JsonFormatter().format(record))
    assert set(entry) == {"timestamp", "level", "logger", "message", "request_id",
                          "authority"}
    assert entry["message"] == "Task exchange.notify raised: no [redacted]"
    plain = PlainFormatter("%(request_id)s %(message)s").format(record)
    assert plain == "- Task exchange.notify raised: no [redacted]"


def test_json_lines_carry_exceptions_on_one_line():
    try:
        raise ValueError("boom")
    except ValueError:
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", (),
                                   sys.exc_info())
    line = JsonFormatter().format(record)
    assert "\n" not in line
    assert "ValueError: boom" in json.loads(line)["exc_info"]


def test_production_settings_log_json_lines():
    """The real production configuration, in a process of its own."""
    env = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": f"{ROOT / 'platform'}:{ROOT}",
        "DJANGO_SETTINGS_MODULE": "collectivrecup.settings.production",
        "DATABASE_URL": "postgres://app@db.invalid:5432/collectivrecup",
        "SECRET_KEY": "x" * 60,
    }
    code = "import logging; logging.getLogger('collectivrecup.probe').warning('hello %s', 1)"
    result = subprocess.run([sys.executable, "manage.py", "shell", "-c", code], cwd=ROOT,
                            env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    entry = json.loads(result.stderr.strip().splitlines()[-1])
    assert entry["message"] == "hello 1"
    assert entry["logger"] == "collectivrecup.probe" and entry["level"] == "WARNING"
    assert entry["request_id"] == "-" and entry["authority"] == "-"


# --- No personal data in any record -----------------------------------------------------

EMAIL = "camille.martin@chatellerault.example"
NEW_EMAIL = "dominique.petit@chatellerault.example"
CLIENT_ADDRESS, FORWARDED_ADDRESS = "203.0.113.7", "198.51.100.23"


@pytest.mark.django_db
def test_sign_in_reset_and_sign_up_log_no_email_nor_client_address(
        chatellerault, caplog, django_capture_on_commit_callbacks, mailoutbox):
    with in_authority(chatellerault):
        agent(email=EMAIL)
        service = ServiceFactory(name="Direction des écoles")
    client = client_for(chatellerault)
    network = {"REMOTE_ADDR": CLIENT_ADDRESS, "HTTP_X_FORWARDED_FOR": FORWARDED_ADDRESS}

    with caplog.at_level(logging.DEBUG), django_capture_on_commit_callbacks(execute=True):
        failed = client.post("/accounts/login/", {"username": EMAIL, "password": "wrong"},
                             **network)
        reset = client.post("/accounts/password-reset/", {"email": EMAIL}, **network)
        signup = client.post("/accounts/signup/", {
            "email": NEW_EMAIL, "first_name": "Dominique", "last_name": "Petit",
            "service": service.pk, "password1": "un vélo rouge 2024",
            "password2": "un vélo rouge 2024"}, **network)

    # The three things happened, so there was something to log.
    assert failed.status_code == 200
    assert "Adresse e-mail ou mot de passe incorrect" in failed.content.decode()
    assert reset.status_code == 302
    assert signup.status_code == 200
    with in_authority(chatellerault):
        assert User.objects.filter(email=NEW_EMAIL).exists()
    assert {tuple(m.to) for m in mailoutbox} == {(EMAIL,), (NEW_EMAIL,)}
    request_lines = [r for r in caplog.records if r.name == "collectivrecup.requests"]
    assert len(request_lines) == 3

    for record in caplog.records:
        text = f"{record.getMessage()} {record.__dict__!r}".lower()
        for secret in (EMAIL, NEW_EMAIL, "camille", "dominique", CLIENT_ADDRESS,
                       FORWARDED_ADDRESS):
            assert secret not in text, f"{record.name}: {record.getMessage()}"
