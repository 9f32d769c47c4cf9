"""Every page carries the security headers: CSP without inline script, no framing."""

import pytest

from tests.conftest import client_for

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("slug", [None, "chatellerault"])
def test_pages_send_a_strict_content_security_policy(slug, chatellerault):
    authority = chatellerault if slug else None
    response = client_for(authority).get("/accounts/login/" if slug else "/")
    csp = response["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in csp.split(";") if part.strip())
    assert directives["script-src"] == "'self'"
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert directives["frame-ancestors"] == "'none'"
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


def test_templates_contain_no_inline_script():
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "platform" / "templates"
    offenders = [
        str(path) for path in root.rglob("*.html")
        if "<script>" in path.read_text() or " onclick=" in path.read_text()
    ]
    assert offenders == []


def test_forms_are_protected_by_csrf(chatellerault):
    client = client_for(chatellerault)
    client.handler.enforce_csrf_checks = True
    response = client.post("/accounts/login/", {"username": "a@chatellerault.example",
                                                "password": "x"})
    assert response.status_code == 403
