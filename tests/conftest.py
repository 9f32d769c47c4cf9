"""Test harness.

Authority schemas are created once per test session (migrating a schema costs
seconds); each test then runs inside a transaction that is rolled back, like
Zulip's "migrated once, then copied" database. Tests speak the product's
language: `in_authority(chatellerault)`, `client_for(chatellerault, user)`.
"""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django_tenants.utils import schema_context

from core.links import authority_host
from tenants.models import Authority
from tenants.services import create_authority, ensure_public_tenant

# Created once per session, in every test database.
TEST_AUTHORITIES = [
    {"slug": "chatellerault", "name": "Ville de Châtellerault", "kind": "commune",
     "siren": "218600666", "email_domains": ["chatellerault.example"],
     "departement": "86", "population": 31000},
    {"slug": "grand-chatellerault", "name": "Agglomération de Grand Châtellerault",
     "kind": "epci", "siren": "200070670", "email_domains": ["grand-chatellerault.example"],
     "departement": "86", "population": 84000},
]


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Extend pytest-django's database with the public tenant and two authorities."""
    with django_db_blocker.unblock():
        ensure_public_tenant()
        for spec in TEST_AUTHORITIES:
            if not Authority.objects.filter(slug=spec["slug"]).exists():
                create_authority(**spec, status="active")


@pytest.fixture(autouse=True)
def _back_to_public_schema():
    """Every test starts and ends in the public schema, whatever a request did."""
    yield
    connection.set_schema_to_public()


@pytest.fixture(autouse=True)
def _empty_cache():
    """Every test starts with an empty cache: the per-authority cache (core.cache) must
    not carry a rolled-back test's rows (same schemas, same ids) into the next one."""
    cache.clear()
    yield


@pytest.fixture
def chatellerault(db) -> Authority:
    return Authority.objects.get(slug="chatellerault")


@pytest.fixture
def grand_chatellerault(db) -> Authority:
    return Authority.objects.get(slug="grand-chatellerault")


def in_authority(authority: Authority):
    """Context manager: run ORM code inside the authority's schema."""
    return schema_context(authority.schema_name)


def host_of(authority: Authority | None) -> str:
    from django.conf import settings

    return settings.BASE_DOMAIN if authority is None else authority_host(authority.slug)


def client_for(authority: Authority | None, user=None) -> Client:
    """A test client on the authority's subdomain (or the bare host for None),
    signed in as `user` when given. The session is stored in that schema."""
    client = Client(HTTP_HOST=host_of(authority))
    if user is not None:
        schema = "public" if authority is None else authority.schema_name
        with schema_context(schema):
            client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


def verified_operator_client(user):
    """A client on the bare host, signed in as operator `user` AND past the second
    factor (a TOTP device is created for `user` if missing), as after /operator/verify/."""
    from django_otp import DEVICE_ID_SESSION_KEY

    from tenants.two_factor import DEMO_TOTP_SECRET, confirmed_device, ensure_device

    client = client_for(None, user)
    with schema_context("public"):
        device = confirmed_device(user) or ensure_device(user, DEMO_TOTP_SECRET)
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    return client
