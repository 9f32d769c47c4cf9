"""schemathesis against the agents' API's OpenAPI schema on the served (seeded) instance,
with an agent's token: no 5xx, no response outside the schema (status codes, media types,
bodies, headers), bad input refused, authentication enforced (issue 12).

Like tests/browser/test_partner_schemathesis.py, with these choices:

- The run is on grand-chatellerault's host (its demo data: listings, photos, sharing with
  chatellerault), as an agent created here for it: schemathesis creates, edits, submits
  and closes listings, and the agent may only change its own, so the demo listings other
  browser tests use are left alone. Its failed sign-ins (`POST /auth/token/` with
  generated credentials, some of them the documented example's e-mail) are erased
  afterwards, so that no lockout outlives the run.
- `positive_data_acceptance` is left out on purpose: it expects every schema-valid request
  to succeed, and the agents' API refuses many of them by rules that OpenAPI cannot state
  (a listing's state for submit/close/approve, the quantity left, a recipient required by
  the reason, the category in use, contact on one's own listing, the hourly contact
  limit, a period's start after its end). Each such refusal is a documented 400/403/429
  problem, which `status_code_conformance` and `response_schema_conformance` check.
"""

from __future__ import annotations

import json
import re
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

SCHEMATHESIS = Path(__file__).resolve().parents[2] / ".venv" / "bin" / "schemathesis"
SLUG = "grand-chatellerault"
FUZZ_AGENT = f"fuzz-agent@{SLUG}.example"
FUZZ_MODERATOR = f"fuzz-moderator@{SLUG}.example"
# Python for the instance's `manage.py shell`, in grand-chatellerault's schema.
IN_SCHEMA = ("from django_tenants.utils import schema_context; "
             "from tenants.models import schema_name_for; "
             f"ctx = schema_context(schema_name_for({SLUG!r})); ctx.__enter__(); ")
CREATE_ACCOUNT = IN_SCHEMA + (
    "from django.utils import timezone; from accounts.models import Service, User; "
    "from rest_framework.authtoken.models import Token; "
    "user = User.objects.filter(email={email!r}).first() or User.objects.create_user("
    "email={email!r}, password=None, first_name='Fuzz', last_name='Test', roles={roles!r}, "
    "service=Service.objects.filter(is_active=True).first(), "
    "email_verified_at=timezone.now()); "
    "print(Token.objects.get_or_create(user=user)[0].key)")
FORGET_FAILED_SIGN_INS = IN_SCHEMA + (
    "from axes.models import AccessAttempt, AccessFailureLog; "
    "AccessAttempt.objects.all().delete(); AccessFailureLog.objects.all().delete(); "
    "print('ok')")


def token_of(instance, email: str, roles: list[str]) -> str:
    code = CREATE_ACCOUNT.format(email=email, roles=roles)
    return instance.manage("shell", "-c", code).strip().splitlines()[-1]


def schemathesis(instance, schema: Path, token: str, *options: str) -> tuple[str, int]:
    """Run schemathesis on grand-chatellerault's host; (its report's end, cases
    generated), after asserting that every case passed."""
    origin = f"http://127.0.0.1:{instance.port}"
    host = f"{SLUG}.localhost:{instance.port}"  # *.localhost: not in /etc/hosts
    result = subprocess.run(
        [str(SCHEMATHESIS), "run", str(schema), "--url", origin, "-H", f"Host: {host}",
         "-H", f"Authorization: Token {token}", "--checks", "all",
         "--exclude-checks", "positive_data_acceptance", "--max-examples", "20",
         "--workers", "1", "--seed", "20261204", "--generation-database", "none",
         "--no-color", *options],
        capture_output=True, text=True, timeout=900, cwd=schema.parent)
    summary = result.stdout[-3000:]
    failures = result.stdout.partition("FAILURES")[2].partition("WARNINGS")[0][:8000]
    assert result.returncode == 0, failures + summary + instance.log_tail(20)
    generated, passed = map(int, re.search(r"(\d+) generated, (\d+) passed", summary).groups())
    assert generated == passed, summary
    return summary, generated


def test_the_agents_api_conforms_to_its_schema(served_instance, tmp_path):
    request = urllib.request.Request(
        f"http://127.0.0.1:{served_instance.port}/api/v1/schema/?format=json",
        headers={"Host": f"{SLUG}.localhost:{served_instance.port}"})
    schema = tmp_path / "schema.json"
    schema.write_bytes(urllib.request.urlopen(request, timeout=30).read())
    paths = json.loads(schema.read_text())["paths"].values()
    operations = sum(len(methods) for methods in paths)
    reads = sum("get" in methods for methods in paths)

    started = time.monotonic()
    try:
        # Every operation, as an agent.
        summary, generated = schemathesis(
            served_instance, schema, token_of(served_instance, FUZZ_AGENT, ["agent"]))
        assert f"Tested: {operations}" in summary, summary
        assert generated > 20 * operations, summary
        # The moderators' answers too (queue, figures, CSV), read-only: a moderator could
        # approve, reject or close the demo listings other browser tests rely on.
        summary, moderator_generated = schemathesis(
            served_instance, schema,
            token_of(served_instance, FUZZ_MODERATOR, ["agent", "moderator"]),
            "--include-method", "GET")
        assert f"Tested: {reads}" in summary, summary
    finally:
        served_instance.manage("shell", "-c", FORGET_FAILED_SIGN_INS)
    print(f"schemathesis: {generated} + {moderator_generated} cases on {operations} "
          f"operations in {time.monotonic() - started:.0f} s")
