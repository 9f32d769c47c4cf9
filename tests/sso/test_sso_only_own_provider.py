""""SSO only" with the authority's OWN identity provider (not ProConnect): while that
provider is switched on, agents lose their password and sign-up, API tokens are not
given for a password, and the administrators' settings page says so."""

import html

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import AuthorityOidcProvider
from tests.accounts.factories import PASSWORD, agent, authority_admin
from tests.conftest import client_for, host_of, in_authority
from tests.sso.test_proconnect import signed_in_email

pytestmark = pytest.mark.django_db


@pytest.fixture
def own_provider_on(chatellerault, settings):
    """Chatellerault set to "SSO only" by the operator, ProConnect off, and its own
    provider (Keycloak) tested and switched on."""
    settings.PROCONNECT_ENABLED = False
    chatellerault.sso_only = True
    chatellerault.save(update_fields=["sso_only"])
    with in_authority(chatellerault):
        AuthorityOidcProvider.objects.create(
            name="Keycloak de la ville", issuer="https://keycloak.example.org/realms/agents",
            client_id="collectivrecup", client_secret_encrypted="x",
            tested_at=timezone.now(), is_enabled=True)
    return chatellerault


def password_sign_in(authority, email):
    client = Client(HTTP_HOST=host_of(authority))
    return client, client.post("/accounts/login/", {"username": email, "password": PASSWORD})


def api_token(authority, email):
    return Client(HTTP_HOST=host_of(authority)).post(
        "/api/v1/auth/token/", {"email": email, "password": PASSWORD},
        content_type="application/json")


def test_an_agent_is_refused_a_password_and_pointed_to_the_authoritys_provider(
        own_provider_on):
    with in_authority(own_provider_on):
        agent(email="camille@chatellerault.example")
    client, response = password_sign_in(own_provider_on, "camille@chatellerault.example")
    assert response.status_code == 200
    assert ("Les agents de votre collectivité se connectent avec Keycloak de la ville : "
            "utilisez le bouton « Se connecter avec Keycloak de la ville ».") in html.unescape(
        response.content.decode())
    assert signed_in_email(client) is None


def test_sign_up_is_closed_and_its_link_hidden(own_provider_on):
    client = Client(HTTP_HOST=host_of(own_provider_on))
    response = client.get("/accounts/signup/")
    assert response.status_code == 302 and response["Location"] == "/accounts/login/"
    page = html.unescape(client.get("/accounts/login/").content.decode())
    assert "se connectent avec son fournisseur d'identité" in page
    assert "/accounts/signup/" not in page


def test_no_api_token_for_a_password_not_even_an_administrators(own_provider_on):
    with in_authority(own_provider_on):
        agent(email="camille@chatellerault.example")
        authority_admin(email="sophie@chatellerault.example")
    for email in ("camille@chatellerault.example", "sophie@chatellerault.example"):
        response = api_token(own_provider_on, email)
        assert response.status_code == 400
        assert response.json()["code"] == "sso_only"


def test_switching_the_provider_off_opens_passwords_again(own_provider_on):
    with in_authority(own_provider_on):
        agent(email="camille@chatellerault.example")
        AuthorityOidcProvider.objects.update(is_enabled=False)
    client, response = password_sign_in(own_provider_on, "camille@chatellerault.example")
    assert response.status_code == 302
    assert signed_in_email(client) == "camille@chatellerault.example"
    assert api_token(own_provider_on, "camille@chatellerault.example").status_code == 200


def test_without_sso_only_the_own_provider_leaves_passwords_open(own_provider_on):
    own_provider_on.sso_only = False
    own_provider_on.save(update_fields=["sso_only"])
    with in_authority(own_provider_on):
        agent(email="camille@chatellerault.example")
    client, response = password_sign_in(own_provider_on, "camille@chatellerault.example")
    assert response.status_code == 302
    assert signed_in_email(client) == "camille@chatellerault.example"


def test_the_settings_page_explains_what_sso_only_closes(own_provider_on):
    with in_authority(own_provider_on):
        admin = authority_admin(email="sophie@chatellerault.example")
    client = client_for(own_provider_on, admin)
    page = html.unescape(client.get("/accounts/admin/identity-provider/").content.decode())
    assert 'id="passwords-closed"' in page
    assert "les agents ne peuvent plus se connecter avec un mot de passe" in page
    with in_authority(own_provider_on):
        AuthorityOidcProvider.objects.update(is_enabled=False)
    page = html.unescape(client.get("/accounts/admin/identity-provider/").content.decode())
    assert 'id="passwords-closed"' not in page
    assert "dès que ce fournisseur est activé" in page
