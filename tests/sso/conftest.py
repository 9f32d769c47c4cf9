"""A fake ProConnect on loopback for the whole session, reset before each test, and
the platform configured against it."""

import pytest
from django.core.cache import cache

from tests.sso_provider import CLIENT_ID, CLIENT_SECRET, DEFAULT_IDENTITY, FakeProConnect


@pytest.fixture(scope="session")
def _provider():
    provider = FakeProConnect(auto_approve=True).start()
    yield provider
    provider.stop()


@pytest.fixture
def provider(_provider, settings):
    _provider.identity = dict(DEFAULT_IDENTITY)
    _provider.tamper = set()
    _provider.authorize_requests.clear()
    _provider.token_requests.clear()
    settings.PROCONNECT_ENABLED = True
    settings.PROCONNECT_ISSUER = _provider.issuer
    settings.PROCONNECT_CLIENT_ID = settings.OIDC_RP_CLIENT_ID = CLIENT_ID
    settings.PROCONNECT_CLIENT_SECRET = settings.OIDC_RP_CLIENT_SECRET = CLIENT_SECRET
    cache.clear()
    yield _provider
    cache.clear()


# Fixtures shared by the modules of the authority's own provider.
from tests.sso.test_own_provider import admin_client  # noqa: E402, F401
from tests.sso.test_sso_only_own_provider import own_provider_on  # noqa: E402, F401
