"""An authority's own OpenID Connect provider, configured by its administrators, end to
end against the real provider on loopback (tests/sso_provider.py) used as that
authority's Keycloak: discovery checked on save, secret encrypted, the test round trip
before switching on, agents signing in on the subdomain's callback, role mapping, and
the refusals (forged tokens, provider off, another authority's provider)."""

from __future__ import annotations

import html
from urllib.parse import parse_qs, urlparse

import pytest
import requests
from django.db import connection

from accounts.models import (
    AccessChange,
    AccessChannel,
    AuthorityOidcProvider,
    OidcProviderChange,
    Role,
    Service,
    SignInOutcome,
    SignInRecord,
    User,
)
from accounts.sso import own
from tests.accounts.factories import agent, authority_admin
from tests.conftest import client_for, in_authority
from tests.sso_provider import CLIENT_ID, CLIENT_SECRET

pytestmark = pytest.mark.django_db

PAGE = "/accounts/admin/identity-provider/"
SWITCH = "/accounts/admin/identity-provider/switch/"


def form(provider, **changes) -> dict:
    data = {"name": "Keycloak de la ville", "issuer": provider.issuer, "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET, "email_claim": "email",
            "moderator_claim": "groups", "moderator_values": "moderateurs\nrecyclerie"}
    return {**data, **changes}


@pytest.fixture
def admin_client(chatellerault):
    with in_authority(chatellerault):
        admin = authority_admin(email="admin@chatellerault.example")
        Service.objects.update(is_active=False)  # no service to choose after sign-in
    client = client_for(chatellerault, admin)
    client.admin = admin
    return client


def configure(client, provider, **changes):
    response = client.post(PAGE, form(provider, **changes))
    assert response.status_code == 302, response.content.decode()[:2000]
    return response


def round_trip(client, *, test=False):
    """The browser goes to the provider (auto-approving) and back to the callback."""
    start = client.get("/accounts/oidc/authenticate/" + ("?test=1" if test else ""))
    assert start.status_code == 302, start.content[:300]
    back = requests.get(start["Location"], allow_redirects=False, timeout=5)
    assert back.status_code == 302, back.text
    target = urlparse(back.headers["Location"])
    assert target.path == "/accounts/oidc/callback/"
    return client.get(target.path, {k: v[0] for k, v in parse_qs(target.query).items()})


def enabled_provider(client, provider, chatellerault, **changes):
    configure(client, provider, **changes)
    tested = round_trip(client, test=True)
    assert tested.status_code == 200
    assert client.post(SWITCH, {"enabled": "on"}).status_code == 302
    with in_authority(chatellerault):
        assert AuthorityOidcProvider.objects.get().is_enabled


# --- Settings -------------------------------------------------------------------------

@pytest.mark.parametrize(("issuer", "message"), [
    ("pas une adresse", "Saisissez l'adresse complète de l'émetteur"),
    ("http://keycloak.example.org/realms/agents", "L'adresse de l'émetteur doit commencer par https://."),
    ("http://127.0.0.1:1/realms/agents", "Le document de découverte n'a pas pu être lu"),
])
def test_a_bad_issuer_is_refused_clearly_and_the_typed_values_kept(
        provider, chatellerault, admin_client, issuer, message):
    response = admin_client.post(PAGE, form(provider, issuer=issuer))
    assert response.status_code == 400
    page = html.unescape(response.content.decode())
    assert message in page
    assert issuer in page and "Keycloak de la ville" in page and "recyclerie" in page
    assert CLIENT_SECRET not in page
    with in_authority(chatellerault):
        assert not AuthorityOidcProvider.objects.exists()


def test_an_issuer_whose_document_names_another_is_refused(provider, admin_client):
    response = admin_client.post(PAGE, form(provider, issuer=provider.issuer + "/autre"))
    assert response.status_code == 400
    assert "Le document de découverte n'a pas pu être lu" in html.unescape(
        response.content.decode())


def test_the_secret_is_encrypted_at_rest_never_shown_and_changes_are_journalled(
        provider, chatellerault, admin_client):
    configure(admin_client, provider)
    with in_authority(chatellerault):
        row = AuthorityOidcProvider.objects.get()
        with connection.cursor() as cursor:
            cursor.execute("SELECT client_secret_encrypted FROM accounts_authorityoidcprovider")
            stored = cursor.fetchone()[0]
        assert CLIENT_SECRET not in stored and own.decrypt_secret(stored) == CLIENT_SECRET
        assert row.discovery["token_endpoint"] == f"{provider.issuer}/token"
        assert not row.is_enabled and row.tested_at is None
        created = OidcProviderChange.objects.get()
        assert created.actor == admin_client.admin and created.action == "created"
        assert created.changes["client_secret"] == "set"
        assert created.changes["issuer"] == [None, provider.issuer]
    page = admin_client.get(PAGE).content.decode()
    assert CLIENT_SECRET not in page and stored not in page
    assert "Un secret est enregistré" in page
    assert "http://chatellerault.localhost/accounts/oidc/callback/" in page

    # Empty secret: kept. A new one: replaced, journalled without its value.
    configure(admin_client, provider, client_secret="", name="Keycloak")
    configure(admin_client, provider, client_secret="un-autre-secret", name="Keycloak")
    with in_authority(chatellerault):
        last, before = OidcProviderChange.objects.all()[:2]
        assert before.changes == {"name": ["Keycloak de la ville", "Keycloak"]}
        assert last.changes == {"client_secret": "replaced"}
        assert "un-autre-secret" not in str(OidcProviderChange.objects.values_list(
            "changes", flat=True))
        assert own.decrypt_secret(
            AuthorityOidcProvider.objects.get().client_secret_encrypted) == "un-autre-secret"


def test_only_the_authority_admins_configure_test_and_switch(provider, chatellerault):
    with in_authority(chatellerault):
        member = agent()
    client = client_for(chatellerault, member)
    assert client.get(PAGE).status_code == 403
    assert client.post(PAGE, form(provider)).status_code == 403
    assert client.post(SWITCH, {"enabled": "on"}).status_code == 403
    assert client.get("/accounts/oidc/authenticate/?test=1").status_code == 403
    with in_authority(chatellerault):
        assert not AuthorityOidcProvider.objects.exists()


# --- Test, switch, sign in ---------------------------------------------------------------

def test_the_provider_is_switched_on_only_after_a_successful_test(
        provider, chatellerault, admin_client):
    configure(admin_client, provider)
    admin_client.post(SWITCH, {"enabled": "on"})
    with in_authority(chatellerault):
        assert not AuthorityOidcProvider.objects.get().is_enabled
    provider.identity["groups"] = ["moderateurs"]
    tested = round_trip(admin_client, test=True)
    assert tested.status_code == 200
    page = tested.content.decode()
    assert "camille.martin@chatellerault.example" in page and "serait modérateur" in page
    # The test signs nobody in, creates no account: the admin's session is untouched.
    assert tested.wsgi_request.user == admin_client.admin
    with in_authority(chatellerault):
        assert not User.objects.filter(email="camille.martin@chatellerault.example").exists()
        assert AuthorityOidcProvider.objects.get().tested_at is not None
    assert admin_client.post(SWITCH, {"enabled": "on"}).status_code == 302
    with in_authority(chatellerault):
        assert AuthorityOidcProvider.objects.get().is_enabled
        assert list(OidcProviderChange.objects.values_list("action", flat=True)) == [
            "enabled", "tested", "created"]

    # Changing the client makes the test void and switches the provider off.
    configure(admin_client, provider, client_id="autre-client")
    with in_authority(chatellerault):
        row = AuthorityOidcProvider.objects.get()
        assert (row.is_enabled, row.tested_at) == (False, None)


def test_an_agent_signs_in_with_the_authoritys_provider(provider, chatellerault,
                                                        admin_client):
    enabled_provider(admin_client, provider, chatellerault)
    visitor = client_for(chatellerault)
    assert "Se connecter avec Keycloak de la ville" in visitor.get(
        "/accounts/login/").content.decode()
    answer = round_trip(visitor)
    assert answer.status_code == 302 and answer["Location"] == "/"
    asked = provider.authorize_requests[-1]
    assert asked["redirect_uri"] == "http://chatellerault.localhost/accounts/oidc/callback/"
    assert asked["code_challenge_method"] == "S256" and len(asked["nonce"]) >= 32
    assert visitor.get("/accounts/profile/").wsgi_request.user.email == \
        "camille.martin@chatellerault.example"
    with in_authority(chatellerault):
        user = User.objects.get(email="camille.martin@chatellerault.example")
        assert user.roles == [Role.AGENT] and user.last_name == "Martin"
        assert AccessChange.objects.filter(member=user, via=AccessChannel.OWN_PROVIDER).exists()
        record = SignInRecord.objects.get(member=user)
        assert (record.method, record.outcome) == ("own_oidc", SignInOutcome.ACCOUNT_CREATED)


def test_the_role_mapping_grants_moderator_and_never_removes_admin(
        provider, chatellerault, admin_client):
    enabled_provider(admin_client, provider, chatellerault)
    provider.identity["groups"] = ["agents", "recyclerie"]
    round_trip(client_for(chatellerault))
    with in_authority(chatellerault):
        assert User.objects.get(email="camille.martin@chatellerault.example").roles == [
            Role.AGENT, Role.MODERATOR]
    # The admin signs in with no matching group: they stay admin.
    provider.identity.update(email="admin@chatellerault.example", groups=["agents"])
    assert round_trip(client_for(chatellerault)).status_code == 302
    with in_authority(chatellerault):
        assert Role.AUTHORITY_ADMIN in User.objects.get(
            email="admin@chatellerault.example").roles


@pytest.mark.parametrize("tamper", ["audience", "signature", "issuer", "nonce"])
def test_forged_tokens_are_refused(provider, chatellerault, admin_client, tamper):
    enabled_provider(admin_client, provider, chatellerault)
    provider.tamper = {tamper}
    visitor = client_for(chatellerault)
    answer = round_trip(visitor)
    assert answer.status_code == 403
    assert visitor.get("/accounts/profile/").status_code == 302
    with in_authority(chatellerault):
        assert not User.objects.filter(email="camille.martin@chatellerault.example").exists()
        assert SignInRecord.objects.filter(method="own_oidc",
                                           outcome=SignInOutcome.INVALID_TOKEN).exists()


def test_a_disabled_provider_refuses(provider, chatellerault, admin_client):
    enabled_provider(admin_client, provider, chatellerault)
    visitor = client_for(chatellerault)
    start = visitor.get("/accounts/oidc/authenticate/")
    assert start.status_code == 302
    back = urlparse(requests.get(start["Location"], allow_redirects=False,
                                 timeout=5).headers["Location"])
    admin_client.post(SWITCH, {})  # switched off while the agent was at the provider
    answer = visitor.get(back.path, {k: v[0] for k, v in parse_qs(back.query).items()})
    assert answer.status_code == 403
    assert visitor.get("/accounts/oidc/authenticate/").status_code == 404
    assert "Se connecter avec" not in visitor.get("/accounts/login/").content.decode()
    with in_authority(chatellerault):
        assert not User.objects.filter(email="camille.martin@chatellerault.example").exists()


def test_another_authoritys_provider_is_never_used(provider, chatellerault,
                                                   grand_chatellerault, admin_client):
    enabled_provider(admin_client, provider, chatellerault)
    elsewhere = client_for(grand_chatellerault)
    assert elsewhere.get("/accounts/oidc/authenticate/").status_code == 404
    assert "Se connecter avec" not in elsewhere.get("/accounts/login/").content.decode()
    # A callback carrying chatellerault's state on the other subdomain: unknown there.
    visitor = client_for(chatellerault)
    start = visitor.get("/accounts/oidc/authenticate/")
    back = urlparse(requests.get(start["Location"], allow_redirects=False,
                                 timeout=5).headers["Location"])
    answer = elsewhere.get(back.path, {k: v[0] for k, v in parse_qs(back.query).items()})
    assert answer.status_code == 400
    with in_authority(grand_chatellerault):
        assert not AuthorityOidcProvider.objects.exists()
        assert SignInRecord.objects.filter(outcome=SignInOutcome.BAD_STATE).exists()


def test_without_a_secrets_key_nothing_is_saved_and_the_admin_is_told(
        provider, chatellerault, admin_client, settings):
    settings.OIDC_SECRETS_KEY = ""  # production without OIDC_SECRETS_KEY
    response = admin_client.post(PAGE, form(provider))
    assert response.status_code == 400
    page = html.unescape(response.content.decode())
    assert "OIDC_SECRETS_KEY n'est pas défini" in page and "Keycloak de la ville" in page
    with in_authority(chatellerault):
        assert not AuthorityOidcProvider.objects.exists()
