"""Signing out after a sign-in through the authority's own provider also ends the
provider's session when its discovery names an end_session_endpoint."""

import html
import re
from urllib.parse import parse_qs, urlparse

import pytest
import requests

from accounts.models import AuthorityOidcProvider
from tests.conftest import client_for, in_authority
from tests.sso.test_own_provider import (
    PAGE,
    enabled_provider,
    round_trip,
)
from tests.sso.test_proconnect import signed_in_email
from tests.sso_provider import CLIENT_ID

pytestmark = pytest.mark.django_db

LOGIN = "http://chatellerault.localhost/accounts/login/"


def test_logout_ends_the_providers_session_and_comes_back_to_the_sign_in_page(
        provider, chatellerault, admin_client):
    enabled_provider(admin_client, provider, chatellerault)
    assert LOGIN in admin_client.get(PAGE).content.decode()  # the URI to register
    visitor = client_for(chatellerault)
    assert round_trip(visitor).status_code == 302
    assert signed_in_email(visitor) == "camille.martin@chatellerault.example"

    response = visitor.post("/accounts/logout/")
    assert response.status_code == 200
    page = html.unescape(response.content.decode())
    assert "Déconnexion de Keycloak de la ville en cours" in page
    location = html.unescape(re.search(r'http-equiv="refresh" content="0;url=([^"]+)"',
                                       response.content.decode()).group(1))
    end_session = urlparse(location)
    assert f"{end_session.scheme}://{end_session.netloc}{end_session.path}" == \
        f"{provider.issuer}/session/end"
    query = {k: v[0] for k, v in parse_qs(end_session.query).items()}
    assert query["id_token_hint"].count(".") == 2
    assert query["client_id"] == CLIENT_ID
    assert query["post_logout_redirect_uri"] == LOGIN
    assert signed_in_email(visitor) is None
    back = requests.get(location, allow_redirects=False, timeout=5)
    assert back.headers["Location"].startswith(LOGIN)


def test_without_an_end_session_endpoint_logout_stays_here(provider, chatellerault,
                                                          admin_client):
    enabled_provider(admin_client, provider, chatellerault)
    with in_authority(chatellerault):
        row = AuthorityOidcProvider.objects.get()
        row.discovery.pop("end_session_endpoint")
        row.save()
    visitor = client_for(chatellerault)
    round_trip(visitor)
    response = visitor.post("/accounts/logout/")
    assert response.status_code == 302 and response["Location"] == "/accounts/login/"
    assert signed_in_email(visitor) is None


def test_a_password_sign_in_logs_out_here_even_with_the_provider_on(
        provider, chatellerault, admin_client):
    enabled_provider(admin_client, provider, chatellerault)
    response = admin_client.post("/accounts/logout/")  # the admin's session: no ID token
    assert response.status_code == 302 and response["Location"] == "/accounts/login/"
