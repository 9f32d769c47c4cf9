"""Idle sessions end: an agent's after AGENT_SESSION_IDLE_SECONDS (2 h) without a
request, an operator's on the console after OPERATOR_SESSION_IDLE_SECONDS (15 min).
The clock is advanced, not waited for."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.accounts.factories import agent, operator
from tests.conftest import client_for, in_authority, verified_operator_client

pytestmark = pytest.mark.django_db


class Clock:
    """django.utils.timezone.now, moved forward at will (sessions' expiry included)."""

    def __init__(self, monkeypatch):
        self.offset = timedelta()
        real_now = timezone.now
        monkeypatch.setattr(timezone, "now", lambda: real_now() + self.offset)

    def advance(self, **delta) -> None:
        self.offset += timedelta(**delta)


@pytest.fixture
def clock(monkeypatch) -> Clock:
    return Clock(monkeypatch)


def test_an_agent_is_signed_out_after_two_idle_hours(chatellerault, clock, settings):
    assert settings.AGENT_SESSION_IDLE_SECONDS == 2 * 3600
    with in_authority(chatellerault):
        camille = agent()
    client = client_for(chatellerault, camille)
    assert client.get("/").status_code == 200
    clock.advance(hours=1, minutes=59)
    assert client.get("/").status_code == 200  # still within the limit: and it restarts
    clock.advance(hours=1, minutes=59)
    assert client.get("/").status_code == 200
    clock.advance(hours=2, seconds=61)
    response = client.get("/", follow=True)
    assert response.redirect_chain[-1][0].startswith("/accounts/login/")
    assert "inactivité" in response.content.decode()
    # Signed out for good: the old cookie opens nothing any more, even at once.
    assert client.get("/accounts/profile/").status_code == 302


def test_activity_keeps_an_agent_signed_in(chatellerault, clock):
    with in_authority(chatellerault):
        camille = agent()
    client = client_for(chatellerault, camille)
    for _ in range(8):  # four hours in all, a request every half hour
        assert client.get("/").status_code == 200
        clock.advance(minutes=30)
    assert client.get("/").status_code == 200


def test_an_operator_is_signed_out_of_the_console_after_fifteen_idle_minutes(clock, settings):
    assert settings.OPERATOR_SESSION_IDLE_SECONDS == 15 * 60
    client = verified_operator_client(operator())
    assert client.get("/operator/").status_code == 200
    clock.advance(minutes=14)
    assert client.get("/operator/").status_code == 200
    clock.advance(minutes=15, seconds=61)
    response = client.get("/operator/")
    assert response.status_code == 302
    assert response["Location"].startswith("/operator/login/")
    assert client.get("/operator/verify/").status_code == 302  # not even half signed in


def test_the_agent_limit_is_not_the_operator_one(chatellerault, clock):
    with in_authority(chatellerault):
        camille = agent()
    client = client_for(chatellerault, camille)
    assert client.get("/").status_code == 200
    clock.advance(minutes=30)  # would end an operator's session
    assert client.get("/").status_code == 200
