"""Behind the load balancer, failed sign-ins lock an (e-mail, client address) pair:
an attacker's wrong passwords lock the attacker out, not the account's owner.

Every request reaches the app from the balancer's address (REMOTE_ADDR); the balancer
appends the client's address to X-Forwarded-For (TRUSTED_PROXY_COUNT = 1).
"""

import pytest
from django.conf import settings
from django.core.cache import cache
from rest_framework.test import APIClient

from tests.accounts.factories import PASSWORD, agent
from tests.conftest import client_for, host_of, in_authority

pytestmark = pytest.mark.django_db

BALANCER = "10.0.3.7"
ATTACKER = "203.0.113.66"
OWNER = "198.51.100.20"
EMAIL = "camille@chatellerault.example"


@pytest.fixture(autouse=True)
def _behind_the_balancer(settings, chatellerault):
    settings.TRUSTED_PROXY_COUNT = 1
    cache.clear()  # the token endpoint's throttle counters
    with in_authority(chatellerault):
        agent(email=EMAIL)
    yield
    cache.clear()


def via_balancer(client_address: str, spoofed: str = "") -> dict:
    """Request headers as the balancer forwards them (the client may have sent its own
    X-Forwarded-For: the balancer appends to it)."""
    forwarded = f"{spoofed}, {client_address}" if spoofed else client_address
    return {"REMOTE_ADDR": BALANCER, "HTTP_X_FORWARDED_FOR": forwarded}


def web_login(authority, password, **headers):
    return client_for(authority).post("/accounts/login/",
                                      {"username": EMAIL, "password": password}, **headers)


def token_request(authority, password, **headers):
    return APIClient(HTTP_HOST=host_of(authority)).post(
        "/api/v1/auth/token/", {"email": EMAIL, "password": password}, format="json",
        **headers)


def test_wrong_passwords_on_the_token_endpoint_do_not_lock_the_owner_out(chatellerault):
    codes = [token_request(chatellerault, "wrong", **via_balancer(ATTACKER)).status_code
             for _ in range(settings.AXES_FAILURE_LIMIT)]
    assert codes[-1] == 429
    # The attacker stays locked, even with the right password…
    assert token_request(chatellerault, PASSWORD, **via_balancer(ATTACKER)).status_code == 429
    assert web_login(chatellerault, PASSWORD, **via_balancer(ATTACKER)).status_code == 429
    # …and the owner, from another address, signs in on both.
    assert token_request(chatellerault, PASSWORD, **via_balancer(OWNER)).status_code == 200
    assert web_login(chatellerault, PASSWORD, **via_balancer(OWNER)).status_code == 302


def test_wrong_passwords_on_the_web_sign_in_do_not_lock_the_owner_out(chatellerault):
    codes = [web_login(chatellerault, "wrong", **via_balancer(ATTACKER)).status_code
             for _ in range(settings.AXES_FAILURE_LIMIT)]
    assert codes[-1] == 429
    assert web_login(chatellerault, PASSWORD, **via_balancer(ATTACKER)).status_code == 429
    assert token_request(chatellerault, PASSWORD, **via_balancer(ATTACKER)).status_code == 429
    assert web_login(chatellerault, PASSWORD, **via_balancer(OWNER)).status_code == 302
    assert token_request(chatellerault, PASSWORD, **via_balancer(OWNER)).status_code == 200


def test_a_forged_forwarded_address_does_not_escape_the_lock(chatellerault):
    for attempt in range(settings.AXES_FAILURE_LIMIT):
        web_login(chatellerault, "wrong", **via_balancer(ATTACKER, spoofed=f"192.0.2.{attempt}"))
    # Another forged entry on the left: still the attacker's address that counts.
    assert web_login(chatellerault, PASSWORD,
                     **via_balancer(ATTACKER, spoofed=OWNER)).status_code == 429
    assert token_request(chatellerault, PASSWORD,
                         **via_balancer(ATTACKER, spoofed=OWNER)).status_code == 429


def test_without_trusted_proxies_the_header_is_ignored(chatellerault, settings):
    settings.TRUSTED_PROXY_COUNT = 0
    direct = {"REMOTE_ADDR": ATTACKER}
    for attempt in range(settings.AXES_FAILURE_LIMIT):
        web_login(chatellerault, "wrong", **direct, HTTP_X_FORWARDED_FOR=f"192.0.2.{attempt}")
    assert web_login(chatellerault, PASSWORD, **direct,
                     HTTP_X_FORWARDED_FOR=OWNER).status_code == 429


def test_a_malformed_forwarded_entry_counts_under_the_socket_address(chatellerault):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        web_login(chatellerault, "wrong", REMOTE_ADDR=ATTACKER, HTTP_X_FORWARDED_FOR="junk")
    assert web_login(chatellerault, PASSWORD, REMOTE_ADDR=ATTACKER,
                     HTTP_X_FORWARDED_FOR="not-an-address").status_code == 429
    assert web_login(chatellerault, PASSWORD, **via_balancer(OWNER)).status_code == 302
