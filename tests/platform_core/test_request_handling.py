"""Health probe, request logs without personal data, language of early pages."""

import logging

import pytest
from django.conf import settings

from tests.accounts.factories import agent
from tests.conftest import client_for, in_authority

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("host", ["localhost", "chatellerault.localhost", "10.0.0.12",
                                  "unknown.localhost"])
def test_healthz_answers_on_any_host(host):
    response = client_for(None).get("/healthz", HTTP_HOST=host)
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_request_log_has_the_route_not_the_token_nor_the_address(chatellerault, caplog):
    with in_authority(chatellerault):
        agent(email="camille@chatellerault.example")
    client = client_for(chatellerault)
    with caplog.at_level(logging.INFO, logger="collectivrecup.requests"):
        client.get("/accounts/verify/MQ/secret-token-abc123/", REMOTE_ADDR="203.0.113.7")
        client.post("/accounts/login/", {"username": "camille@chatellerault.example",
                                         "password": "wrong"})
    lines = [r.getMessage() for r in caplog.records if r.name == "collectivrecup.requests"]
    assert len(lines) == 2
    assert "/accounts/verify/<str:uidb64>/<str:token>/ 400" in lines[0]
    assert "authority=chatellerault" in lines[0]
    text = "\n".join(lines)
    assert "secret-token-abc123" not in text
    assert "203.0.113.7" not in text
    assert "camille" not in text


def test_early_pages_do_not_inherit_the_previous_visitor_language(chatellerault):
    english = client_for(chatellerault)
    english.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    assert "<h1>Sign in</h1>" in english.get("/accounts/login/").content.decode()

    response = client_for(None).get("/", HTTP_HOST="inconnue.localhost")
    assert response.status_code == 404
    assert "Collectivité inconnue" in response.content.decode()
    assert response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"
