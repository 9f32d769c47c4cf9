"""The ProConnect settings of an authority (operator console), "ProConnect only"
(passwords closed to agents, kept by administrators), and logout that also ends the
ProConnect session."""

import html
import re
from urllib.parse import parse_qs, urlparse

import pytest
import requests
from django.conf import settings
from django.test import Client

from accounts.models import Role
from tenants.models import Authority, OperatorAction
from tests.accounts.factories import PASSWORD, agent, authority_admin, operator
from tests.conftest import client_for, host_of, in_authority, verified_operator_client
from tests.sso.test_proconnect import Flow, land, signed_in_email

pytestmark = pytest.mark.django_db


def password_sign_in(authority, email):
    client = Client(HTTP_HOST=host_of(authority))
    response = client.post("/accounts/login/", {"username": email, "password": PASSWORD})
    return client, response


# --- Operator console -------------------------------------------------------------------

def test_the_operator_lists_establishments_and_switches_proconnect_only(chatellerault):
    client = verified_operator_client(operator())
    response = client.post("/operator/authorities/chatellerault/sign-in/", {
        "organisations": "213456789\n21345678900012, 213456789", "sso_only": "on"})
    assert response.status_code == 302
    chatellerault.refresh_from_db()
    assert chatellerault.sso_organisations == ["213456789", "21345678900012"]
    assert chatellerault.sso_only is True
    line = OperatorAction.objects.get(action="sign_in_settings_changed")
    assert line.authority == chatellerault
    assert line.details["new"] == {"organisations": ["213456789", "21345678900012"],
                                   "sso_only": True}
    page = client.get("/operator/authorities/chatellerault/").content.decode()
    assert "Paramètres ProConnect modifiés" in page


def test_a_wrong_siren_is_refused_and_the_typed_list_kept(chatellerault):
    client = verified_operator_client(operator())
    response = client.post("/operator/authorities/chatellerault/sign-in/", {
        "organisations": "213456789\n12345", "sso_only": "on"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "Un SIREN a 9 chiffres, un SIRET 14 : 12345." in page
    assert "213456789\n12345" in page
    assert Authority.objects.get(pk=chatellerault.pk).sso_organisations == []


def test_only_a_verified_operator_changes_the_settings(chatellerault):
    with in_authority(chatellerault):
        admin = authority_admin()
    response = client_for(chatellerault, admin).post(
        "/operator/authorities/chatellerault/sign-in/", {"sso_only": "on"})
    assert response.status_code == 404  # no operator console on an authority's host
    assert Authority.objects.get(pk=chatellerault.pk).sso_only is False


# --- ProConnect only ---------------------------------------------------------------------

@pytest.fixture
def sso_only(chatellerault):
    chatellerault.sso_only = True
    chatellerault.save(update_fields=["sso_only"])
    return chatellerault


def test_proconnect_only_refuses_an_agents_password(provider, sso_only):
    with in_authority(sso_only):
        agent(email="camille@chatellerault.example")
    client, response = password_sign_in(sso_only, "camille@chatellerault.example")
    assert response.status_code == 200
    assert "se connectent avec ProConnect" in response.content.decode()
    assert signed_in_email(client) is None
    # The API token too (it uses the same sign-in rules).
    token = Client(HTTP_HOST=host_of(sso_only)).post(
        "/api/v1/auth/token/", {"email": "camille@chatellerault.example",
                                "password": PASSWORD}, content_type="application/json")
    assert token.status_code == 400


def test_proconnect_only_keeps_the_administrators_password_with_a_second_factor(
        provider, sso_only):
    with in_authority(sso_only):
        admin = authority_admin(email="sophie@chatellerault.example")
        assert admin.has_role(Role.AUTHORITY_ADMIN)
    client, response = password_sign_in(sso_only, "sophie@chatellerault.example")
    # The password is right; the code comes next (tests/sso/test_break_glass.py).
    assert response.status_code == 302
    assert response["Location"] == "/accounts/second-factor/"
    assert signed_in_email(client) is None


def test_proconnect_only_closes_sign_up_and_hides_its_link(provider, sso_only):
    client = Client(HTTP_HOST=host_of(sso_only))
    response = client.get("/accounts/signup/")
    assert response.status_code == 302 and response["Location"] == "/accounts/login/"
    page = client.get("/accounts/login/").content.decode()
    assert "votre compte est créé à votre première connexion" in page
    assert "/accounts/signup/" not in page


def test_proconnect_only_means_nothing_while_proconnect_is_off(sso_only, settings):
    settings.PROCONNECT_ENABLED = False
    with in_authority(sso_only):
        agent(email="camille@chatellerault.example")
    client, response = password_sign_in(sso_only, "camille@chatellerault.example")
    assert response.status_code == 302
    assert signed_in_email(client) == "camille@chatellerault.example"


# --- Logout ------------------------------------------------------------------------------

def test_logout_after_a_proconnect_sign_in_ends_the_proconnect_session(provider,
                                                                      chatellerault):
    client = land(Flow(provider).authorize(came_from=chatellerault), chatellerault)
    response = client.post("/accounts/logout/")
    # A page that moves on to ProConnect (a redirect would break the CSP's form-action).
    assert response.status_code == 200
    link = re.search(r'http-equiv="refresh" content="0;url=([^"]+)"',
                     response.content.decode()).group(1)
    location = html.unescape(link)
    end_session = urlparse(location)
    assert f"{end_session.scheme}://{end_session.netloc}" == provider.issuer
    assert end_session.path == "/session/end"
    query = {k: v[0] for k, v in parse_qs(end_session.query).items()}
    assert query["id_token_hint"].count(".") == 2
    assert query["post_logout_redirect_uri"] == (
        f"{settings.SITE_SCHEME}://{settings.BASE_DOMAIN}/oidc/logged-out/")
    assert signed_in_email(client) is None
    # The provider comes back to the bare host, which leads to the authority's login page.
    back = urlparse(requests.get(location, allow_redirects=False,
                                 timeout=5).headers["Location"])
    public = Client(HTTP_HOST=settings.BASE_DOMAIN)
    landed = public.get(back.path, {"state": parse_qs(back.query)["state"][0]})
    assert landed["Location"] == (
        f"{settings.SITE_SCHEME}://{host_of(chatellerault)}/accounts/login/")


def test_a_forged_post_logout_state_leads_to_the_landing_page(provider):
    public = Client(HTTP_HOST=settings.BASE_DOMAIN)
    assert public.get("/oidc/logged-out/", {"state": "chatellerault"})["Location"] == "/"


def test_logout_after_a_password_sign_in_stays_here(provider, chatellerault):
    with in_authority(chatellerault):
        agent(email="camille@chatellerault.example")
    client, _ = password_sign_in(chatellerault, "camille@chatellerault.example")
    response = client.post("/accounts/logout/")
    assert response["Location"] == "/accounts/login/"
