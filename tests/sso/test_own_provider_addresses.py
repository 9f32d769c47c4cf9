"""The issuer URL an authority's admin types is fetched by the server, and so are the
endpoints its discovery names: https on public addresses only (no cloud metadata, no
10.x database, no loopback service), checked on save and again at each sign-in."""

from __future__ import annotations

import html
import socket
from types import SimpleNamespace

import pytest

from accounts.models import AuthorityOidcProvider, SignInOutcome, SignInRecord
from accounts.sso import own
from tests.conftest import in_authority
from tests.sso.test_own_provider import (
    PAGE,
    enabled_provider,
    form,
    round_trip,
)

pytestmark = pytest.mark.django_db

PUBLIC = "93.184.216.34"
PRIVATE_HOST_MESSAGE = ("mène à un réseau privé, local ou réservé : le fournisseur doit "
                        "être joignable sur Internet, en https.")


def resolving(monkeypatch, table: dict[str, list[str]]):
    """socket.getaddrinfo answering `table` (host → addresses) and refusing the rest."""
    real = socket.getaddrinfo

    def fake(host, port, *args, **kwargs):
        if host not in table:
            return real(host, port, *args, **kwargs)
        return [(socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM,
                 socket.IPPROTO_TCP, "", (a, port, 0, 0) if ":" in a else (a, port))
                for a in table[host]]

    monkeypatch.setattr(socket, "getaddrinfo", fake)


@pytest.fixture
def no_fetch(monkeypatch):
    """Fails the test if the server fetches anything for the provider's settings."""
    def refuse(*args, **kwargs):
        raise AssertionError(f"fetched {args[:1]}")

    monkeypatch.setattr(own.requests, "get", refuse)


@pytest.mark.parametrize(("issuer", "host"), [
    ("https://10.1.2.3/realms/agents", "10.1.2.3"),
    ("https://127.0.0.1/realms/agents", "127.0.0.1"),
    ("https://169.254.169.254/latest/meta-data", "169.254.169.254"),
    ("https://[::1]/realms/agents", "::1"),
    ("https://idp.ville.example/realms/agents", "idp.ville.example"),
])
def test_an_issuer_on_a_private_address_is_refused_before_any_fetch(
        chatellerault, admin_client, settings, monkeypatch, no_fetch, issuer, host):
    settings.OIDC_ALLOW_LOOPBACK_ISSUERS = False  # production
    resolving(monkeypatch, {"idp.ville.example": ["192.168.10.20"]})
    response = admin_client.post(PAGE, form(SimpleNamespace(issuer=issuer)))
    assert response.status_code == 400
    page = html.unescape(response.content.decode())
    assert f"L'adresse {host} {PRIVATE_HOST_MESSAGE}" in page
    with in_authority(chatellerault):
        assert not AuthorityOidcProvider.objects.exists()


def test_a_host_with_one_private_address_among_public_ones_is_refused(settings, monkeypatch,
                                                                       no_fetch):
    settings.OIDC_ALLOW_LOOPBACK_ISSUERS = False
    resolving(monkeypatch, {"idp.ville.example": [PUBLIC, "fd00::5"]})
    with pytest.raises(own.UnsafeAddress):
        own.check_public_url("https://idp.ville.example/realms/agents")
    resolving(monkeypatch, {"idp.ville.example": [PUBLIC, "::ffff:10.0.0.1"]})
    with pytest.raises(own.UnsafeAddress):
        own.check_public_url("https://idp.ville.example/realms/agents")
    resolving(monkeypatch, {"idp.ville.example": [PUBLIC, "2606:2800:220:1::1"]})
    own.check_public_url("https://idp.ville.example/realms/agents")  # public: accepted


def test_the_loopback_setting_lets_loopback_through_never_a_private_network(settings,
                                                                            no_fetch):
    settings.OIDC_ALLOW_LOOPBACK_ISSUERS = True  # local and test settings
    own.check_public_url("http://127.0.0.1:8080/realms/agents")
    own.check_public_url("https://[::1]/realms/agents")
    for url in ("https://10.1.2.3/realms/agents", "https://169.254.169.254/",
                "http://10.1.2.3/realms/agents"):
        with pytest.raises(own.UnsafeAddress):
            own.check_public_url(url)


def test_plain_http_is_refused_on_a_public_host(settings, monkeypatch, no_fetch):
    settings.OIDC_ALLOW_LOOPBACK_ISSUERS = False
    resolving(monkeypatch, {"idp.ville.example": [PUBLIC]})
    with pytest.raises(own.UnsafeAddress, match="https"):
        own.check_public_url("http://idp.ville.example/realms/agents")


class Answer:
    """What requests.get returns for a JSON document (no network)."""

    def __init__(self, document):
        self.document = document

    def raise_for_status(self):
        pass

    def json(self):
        return self.document


@pytest.mark.parametrize("endpoint", ["token_endpoint", "jwks_uri", "userinfo_endpoint",
                                      "end_session_endpoint"])
def test_an_endpoint_of_the_discovery_document_on_a_private_address_is_refused(
        chatellerault, admin_client, settings, monkeypatch, endpoint):
    settings.OIDC_ALLOW_LOOPBACK_ISSUERS = False
    resolving(monkeypatch, {"idp.ville.example": [PUBLIC]})
    issuer = "https://idp.ville.example/realms/agents"
    document = {"issuer": issuer, "authorization_endpoint": f"{issuer}/auth",
                "token_endpoint": f"{issuer}/token", "jwks_uri": f"{issuer}/certs",
                "userinfo_endpoint": f"{issuer}/userinfo",
                "end_session_endpoint": f"{issuer}/logout"}
    document[endpoint] = "https://169.254.169.254/latest/meta-data/"
    fetched = []

    def get(url, **kwargs):
        fetched.append(url)
        return Answer(document if url.endswith("openid-configuration") else {"keys": [{}]})

    monkeypatch.setattr(own.requests, "get", get)
    response = admin_client.post(PAGE, form(SimpleNamespace(issuer=issuer)))
    assert response.status_code == 400
    page = html.unescape(response.content.decode())
    assert f"Le champ {endpoint} du document de découverte est refusé" in page
    assert PRIVATE_HOST_MESSAGE in page
    assert fetched == [f"{issuer}/.well-known/openid-configuration"]  # nothing else


def test_each_sign_in_checks_the_endpoints_again(provider, chatellerault, admin_client,
                                                 settings):
    enabled_provider(admin_client, provider, chatellerault)
    # The provider's host now counts as private (as a host re-pointed at 10.x would):
    # the callback sends no token request and refuses the sign-in.
    settings.OIDC_ALLOW_LOOPBACK_ISSUERS = False
    provider.token_requests.clear()
    answer = round_trip(admin_client.__class__(HTTP_HOST=admin_client.defaults["HTTP_HOST"]))
    assert answer.status_code == 403
    assert provider.token_requests == []
    with in_authority(chatellerault):
        assert SignInRecord.objects.filter(method=own.METHOD).latest("pk").outcome == \
            SignInOutcome.PROVIDER_ERROR
