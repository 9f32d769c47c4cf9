"""The whole code flow against a real OpenID Connect provider installed from PyPI,
oidc-provider-mock, on loopback (tests/sso_provider.py's hand-written FakeProConnect
covers more tamper modes in test_proconnect.py and test_own_provider.py).

- As ProConnect (tests/proconnect_mock.py: the library, its userinfo answer signed as
  ProConnect does): the login page's button, the provider's sign-in page answered with
  a `sub`, the callback on the bare host, the hand-off to the subdomain.
- As an authority's own provider (the library as it comes, userinfo in plain JSON):
  configured by the administrator, tested, switched on; an agent signs in and the
  moderator role follows a claim.
- Refused: an ID token altered in transit (its claims, or one byte of its signature),
  an ID token the same provider issued to another client (wrong audience), a replayed
  `state`, an expired hand-off token, an identity of another authority."""

from __future__ import annotations

import json
import logging
import time
from urllib.parse import ParseResult, parse_qs, urlencode, urlparse

import jwt
import oidc_provider_mock
import pytest
import requests
from django.conf import settings
from django.core.cache import cache

from accounts.models import (
    AccessChange,
    AccessChannel,
    AuthorityOidcProvider,
    Role,
    Service,
    SignInOutcome,
    SignInRecord,
    User,
)
from accounts.sso.oidc import ProConnectClient
from accounts.sso.own import OwnProviderClient
from tenants.models import SignInHandoff
from tests.accounts.factories import authority_admin
from tests.conftest import client_for, host_of, in_authority
from tests.proconnect_mock import (
    CLIENT_ID,
    CLIENT_SECRET,
    SCOPES,
    identity,
    proconnect_app,
    serve,
    set_identity,
)
from tests.sso.test_proconnect import (
    Flow,
    handoff_target,
    land,
    refused,
    signed_in_email,
    take_over,
)

pytestmark = pytest.mark.django_db

CAMILLE = identity("camille.martin@chatellerault.example", "Camille", "Martin",
                   "21860066600018", "Direction des écoles")
LEA = identity("lea.roux@grand-chatellerault.example", "Léa", "Roux", "20007067000019")


def sub_of(query: str) -> dict:
    return {key: values[0] for key, values in parse_qs(query).items()}


def sign_in_at_provider(location: str, sub: str) -> ParseResult:
    """The provider's sign-in page, then its form sent with `sub`, as a person does:
    the redirect back to our callback."""
    page = requests.get(location, timeout=5)
    assert page.status_code == 200 and 'name="sub"' in page.text, page.text[:500]
    back = requests.post(location, data={"sub": sub}, allow_redirects=False, timeout=5)
    assert back.status_code == 302, back.text[:500]
    return urlparse(back.headers["Location"])


# --- As ProConnect ---------------------------------------------------------------------

@pytest.fixture(scope="module")
def _registry():
    with serve(proconnect_app(identities=(CAMILLE, LEA))) as issuer:
        yield issuer


@pytest.fixture
def registry(_registry, settings):
    settings.PROCONNECT_ENABLED = True
    settings.PROCONNECT_ISSUER = _registry
    settings.PROCONNECT_CLIENT_ID = settings.OIDC_RP_CLIENT_ID = CLIENT_ID
    settings.PROCONNECT_CLIENT_SECRET = settings.OIDC_RP_CLIENT_SECRET = CLIENT_SECRET
    settings.OIDC_RP_SCOPES = SCOPES
    cache.clear()
    yield _registry
    cache.clear()


class RegistryFlow(Flow):
    """test_proconnect's browser journey, the provider's page answered with `sub`."""

    def __init__(self, issuer: str, sub: str = CAMILLE.sub):
        super().__init__(provider=None)
        self.issuer, self.sub = issuer, sub
        self.authorization_request = None

    def authorize(self, came_from=None):
        if came_from is not None:
            start = self.browser(host_of(came_from)).get("/accounts/proconnect/")
            assert start.status_code == 302
            target = urlparse(start["Location"])
            response = self.public.get(target.path, sub_of(target.query))
        else:
            response = self.public.get("/oidc/authenticate/")
        assert response.status_code == 302
        location = response["Location"]
        assert location.startswith(f"{self.issuer}/oauth2/authorize?")
        self.authorization_request = sub_of(urlparse(location).query)
        self.callback_url = sign_in_at_provider(location, self.sub)
        assert self.callback_url.path == "/oidc/callback/"
        return self.callback()


def test_proconnect_claims_with_a_siret_land_the_agent_in_her_authority(registry,
                                                                       chatellerault):
    with in_authority(chatellerault):
        Service.objects.update(is_active=False)  # no service to choose
    flow = RegistryFlow(registry)
    client = land(flow.authorize(), chatellerault)  # from the bare host: by the SIRET
    assert client.landing.status_code == 302 and client.landing["Location"] == "/"
    assert signed_in_email(client) == CAMILLE.sub
    asked = flow.authorization_request
    assert asked["client_id"] == CLIENT_ID and len(asked["nonce"]) >= 32
    assert asked["code_challenge_method"] == "S256"
    with in_authority(chatellerault):
        user = User.objects.get(email=CAMILLE.sub)
        assert (user.first_name, user.last_name) == ("Camille", "Martin")
        assert user.organizational_unit == "Direction des écoles"
        assert SignInRecord.objects.get().outcome == SignInOutcome.ACCOUNT_CREATED
    assert not SignInHandoff.objects.exists()


def test_the_login_page_button_of_the_authority_leads_back_there(registry, chatellerault):
    client = land(RegistryFlow(registry).authorize(came_from=chatellerault), chatellerault)
    assert signed_in_email(client) == CAMILLE.sub


def test_an_identity_of_another_authority_is_refused(registry, chatellerault,
                                                     grand_chatellerault):
    page = refused(RegistryFlow(registry, LEA.sub).authorize(came_from=chatellerault))
    assert "Ville de Châtellerault" in page
    assert not SignInHandoff.objects.exists()
    for authority in (chatellerault, grand_chatellerault):
        with in_authority(authority):
            assert not User.objects.filter(email=LEA.sub).exists()
    assert SignInRecord.objects.filter(outcome=SignInOutcome.NO_AUTHORITY).count() == 1


def test_a_replayed_state_is_refused(registry, chatellerault):
    flow = RegistryFlow(registry)
    land(flow.authorize(came_from=chatellerault), chatellerault)
    refused(flow.callback(), 400)  # the same code and state, a second time
    assert SignInRecord.objects.filter(outcome=SignInOutcome.BAD_STATE).count() == 1


def test_an_expired_handoff_token_is_refused(registry, chatellerault, monkeypatch):
    response = RegistryFlow(registry).authorize(came_from=chatellerault)
    host, path = handoff_target(response)
    later = time.time() + settings.SSO_HANDOFF_MAX_AGE + 1
    monkeypatch.setattr("django.core.signing.time.time", lambda: later)
    client, answer = take_over(response)
    assert answer.status_code == 400
    assert signed_in_email(client) is None
    with in_authority(chatellerault):
        assert not User.objects.filter(email=CAMILLE.sub).exists()
        assert SignInRecord.objects.get().outcome == SignInOutcome.HANDOFF_REFUSED


# --- Tokens altered in transit ---------------------------------------------------------

def _flip_signature_byte(token: str) -> str:
    header, payload, signature = token.split(".")
    middle = len(signature) // 2  # a full 6 bits of the signature, not padding
    swapped = "A" if signature[middle] != "A" else "B"
    return ".".join([header, payload, signature[:middle] + swapped + signature[middle + 1:]])


def _other_claims(token: str) -> str:
    """The same token, its payload claiming another address; the signature kept."""
    header, _, signature = token.split(".")
    claims = jwt.decode(token, options={"verify_signature": False})
    claims["email"] = "admin@chatellerault.example"
    payload = jwt.utils.base64url_encode(
        json.dumps(claims, separators=(",", ":")).encode()).decode()
    return ".".join([header, payload, signature])


def _token_of_another_client(issuer: str, sub: str, nonce: str) -> str:
    """A genuine ID token of the same provider, for the same person and nonce, issued
    to another client (another service of the same provider)."""
    redirect_uri = "http://autre-service.example/callback"
    query = {"client_id": "autre-service", "redirect_uri": redirect_uri,
             "response_type": "code", "scope": "openid email", "state": "s" * 32,
             "nonce": nonce}
    back = sign_in_at_provider(f"{issuer}/oauth2/authorize?{urlencode(query)}", sub)
    tokens = requests.post(f"{issuer}/oauth2/token", timeout=5, data={
        "grant_type": "authorization_code", "code": sub_of(back.query)["code"],
        "redirect_uri": redirect_uri, "client_id": "autre-service",
        "client_secret": "son-secret"})
    tokens.raise_for_status()
    return tokens.json()["id_token"]


@pytest.fixture
def in_transit(monkeypatch):
    """Alters the ID token of the provider's token answer on its way to the client
    (`in_transit.alter = function(id_token, nonce) -> id_token`)."""
    state = {"alter": lambda token, nonce: token, "nonce": None, "seen": []}
    original_verified = ProConnectClient.verified_identity

    def verified_identity(self, request, *, nonce, code_verifier):
        state["nonce"] = nonce
        return original_verified(self, request, nonce=nonce, code_verifier=code_verifier)

    def altering(original):
        def get_token(self, payload):
            tokens = original(self, payload)
            state["seen"].append(tokens["id_token"])
            tokens["id_token"] = state["alter"](tokens["id_token"], state["nonce"])
            return tokens
        return get_token

    # The own provider's client fetches its token itself (each request checks the
    # address again): both clients' answers are altered.
    for client_class in (ProConnectClient, OwnProviderClient):
        monkeypatch.setattr(client_class, "get_token", altering(client_class.get_token))
    monkeypatch.setattr(ProConnectClient, "verified_identity", verified_identity)
    return state


@pytest.mark.parametrize(("alteration", "reason"), [
    ("claims", "Signature verification failed"),
    ("signature", "Signature verification failed"),
    ("audience", "Audience doesn't match"),
])
def test_an_id_token_altered_in_transit_is_refused(registry, chatellerault, in_transit,
                                                   caplog, alteration, reason):
    in_transit["alter"] = {
        "claims": lambda token, nonce: _other_claims(token),
        "signature": lambda token, nonce: _flip_signature_byte(token),
        "audience": lambda token, nonce: _token_of_another_client(registry, CAMILLE.sub,
                                                                  nonce),
    }[alteration]
    with caplog.at_level(logging.WARNING, logger="tenants.sso.views"):
        refused(RegistryFlow(registry).authorize(came_from=chatellerault))
    assert f"(invalid_token): JWT refused: {reason}" in caplog.text
    assert len(in_transit["seen"]) == 1  # the provider's own token, then altered
    assert not SignInHandoff.objects.exists()
    assert SignInRecord.objects.filter(outcome=SignInOutcome.INVALID_TOKEN).count() == 1
    with in_authority(chatellerault):
        assert not User.objects.filter(
            email__in=[CAMILLE.sub, "admin@chatellerault.example"]).exists()


def test_the_unaltered_token_of_the_same_flow_is_accepted(registry, chatellerault,
                                                          in_transit):
    in_transit["alter"] = lambda token, nonce: token
    client = land(RegistryFlow(registry).authorize(came_from=chatellerault), chatellerault)
    assert signed_in_email(client) == CAMILLE.sub


# --- As the authority's own provider -------------------------------------------------

PAGE = "/accounts/admin/identity-provider/"


@pytest.fixture(scope="module")
def keycloak():
    """The library as it comes (userinfo in plain JSON, as Keycloak or Entra ID)."""
    with oidc_provider_mock.run_server_in_thread(require_nonce=True) as server:
        yield f"http://localhost:{server.server_port}"


def own_identity(issuer: str, email: str, **claims) -> str:
    set_identity(issuer, oidc_provider_mock.User(sub=email, claims={
        "email": email, "given_name": "Nadia", "family_name": "Moreau", **claims}))
    return email


@pytest.fixture
def own_provider(keycloak, chatellerault):
    """Chatellerault's administrator configures the provider, tests it, switches it on."""
    with in_authority(chatellerault):
        admin = authority_admin(email="admin@chatellerault.example")
        Service.objects.update(is_active=False)
    client = client_for(chatellerault, admin)
    saved = client.post(PAGE, {
        "name": "Keycloak de la ville", "issuer": keycloak, "client_id": "recyclerie",
        "client_secret": "secret-de-la-ville", "email_claim": "email",
        "moderator_claim": "groups", "moderator_values": "moderateurs"})
    assert saved.status_code == 302, saved.content.decode()[:1000]
    own_identity(keycloak, "admin@chatellerault.example", groups=["agents"])
    tested = own_round_trip(client, "admin@chatellerault.example", test=True)
    assert tested.status_code == 200
    assert "Test réussi" in tested.content.decode()
    assert client.post(PAGE + "switch/", {"enabled": "on"}).status_code == 302
    with in_authority(chatellerault):
        assert AuthorityOidcProvider.objects.get().is_enabled
    return keycloak


def own_round_trip(client, sub: str, *, test=False):
    start = client.get("/accounts/oidc/authenticate/" + ("?test=1" if test else ""))
    assert start.status_code == 302, start.content[:300]
    back = sign_in_at_provider(start["Location"], sub)
    assert back.path == "/accounts/oidc/callback/"
    return client.get(back.path, sub_of(back.query))


def test_an_agent_signs_in_with_the_authoritys_provider_and_is_mapped_moderator(
        own_provider, chatellerault):
    email = own_identity(own_provider, "nadia.moreau@chatellerault.example",
                         groups=["agents", "moderateurs"])
    visitor = client_for(chatellerault)
    answer = own_round_trip(visitor, email)
    assert answer.status_code == 302 and answer["Location"] == "/"
    assert signed_in_email(visitor) == email
    with in_authority(chatellerault):
        user = User.objects.get(email=email)
        assert user.roles == [Role.AGENT, Role.MODERATOR]
        assert (user.first_name, user.last_name) == ("Nadia", "Moreau")
        assert AccessChange.objects.filter(member=user,
                                           via=AccessChannel.OWN_PROVIDER).exists()
        record = SignInRecord.objects.get(member=user)
        assert (record.method, record.outcome) == ("own_oidc", SignInOutcome.ACCOUNT_CREATED)


def test_without_the_claim_the_agent_stays_an_agent(own_provider, chatellerault):
    email = own_identity(own_provider, "paul.simon@chatellerault.example",
                         groups=["agents"])
    visitor = client_for(chatellerault)
    assert own_round_trip(visitor, email).status_code == 302
    with in_authority(chatellerault):
        assert User.objects.get(email=email).roles == [Role.AGENT]


def test_the_own_provider_refuses_an_address_of_another_authority(
        own_provider, chatellerault, grand_chatellerault):
    email = own_identity(own_provider, "lea.roux@grand-chatellerault.example")
    visitor = client_for(chatellerault)
    answer = own_round_trip(visitor, email)
    assert answer.status_code == 403
    assert signed_in_email(visitor) is None
    for authority in (chatellerault, grand_chatellerault):
        with in_authority(authority):
            assert not User.objects.filter(email=email).exists()
    with in_authority(chatellerault):
        assert SignInRecord.objects.filter(
            method="own_oidc", outcome=SignInOutcome.OUTSIDE_DOMAINS).count() == 1


def test_the_own_provider_refuses_a_tampered_id_token(own_provider, chatellerault,
                                                      in_transit):
    in_transit["alter"] = lambda token, nonce: _flip_signature_byte(token)
    email = own_identity(own_provider, "paul.simon@chatellerault.example")
    visitor = client_for(chatellerault)
    assert own_round_trip(visitor, email).status_code == 403
    assert len(in_transit["seen"]) == 1  # the provider's real token was altered
    assert signed_in_email(visitor) is None
    with in_authority(chatellerault):
        assert not User.objects.filter(email=email).exists()
        assert SignInRecord.objects.filter(
            method="own_oidc", outcome=SignInOutcome.INVALID_TOKEN).count() == 1


def test_the_own_provider_refuses_a_replayed_state(own_provider, chatellerault):
    email = own_identity(own_provider, "paul.simon@chatellerault.example")
    visitor = client_for(chatellerault)
    start = visitor.get("/accounts/oidc/authenticate/")
    back = sign_in_at_provider(start["Location"], email)
    assert visitor.get(back.path, sub_of(back.query)).status_code == 302
    assert visitor.get(back.path, sub_of(back.query)).status_code == 400
    with in_authority(chatellerault):
        assert SignInRecord.objects.filter(
            method="own_oidc", outcome=SignInOutcome.BAD_STATE).count() == 1
