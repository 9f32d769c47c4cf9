"""An agent signs in with ProConnect: the button on their authority's login page, the
provider's page (a real OpenID Connect provider from PyPI on loopback,
oidc-provider-mock, as `make run` starts it: tests/proconnect_mock.py), the callback on
the bare host and the hand-off to the subdomain, where they land as themselves."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import serve_instance
from tests.browser.operator import operator_sign_in
from tests.proconnect_mock import (
    CLIENT_ID,
    CLIENT_SECRET,
    DEMO_IDENTITIES,
    SCOPES,
    identity,
    proconnect_app,
    serve,
)

pytestmark = pytest.mark.browser

CHATELLERAULT = "21860066600018"
IDENTITIES = (
    *DEMO_IDENTITIES,
    identity("lea.roux@chatellerault.example", "Léa", "Roux", CHATELLERAULT),
    identity("jo@nulle-part.example", "Jo", "Nulle-Part", "11111111100019"),
    identity("agent2@chatellerault.example", "Julien", "Bernard", CHATELLERAULT),
    identity("moderateur@chatellerault.example", "Nadia", "Moreau", CHATELLERAULT),
)


@pytest.fixture(scope="module")
def provider():
    with serve(proconnect_app(identities=IDENTITIES)) as issuer:
        yield issuer


@pytest.fixture(scope="module")
def instance(tmp_path_factory, provider):
    with serve_instance(tmp_path_factory, PROCONNECT_ISSUER=provider,
                        PROCONNECT_CLIENT_ID=CLIENT_ID, PROCONNECT_CLIENT_SECRET=CLIENT_SECRET,
                        PROCONNECT_SCOPES=SCOPES) as served:
        yield served


def at_the_provider(page, sub):
    """On the provider's page: the identity clicked among those it offers."""
    expect(page.get_by_role("heading", level=1)).to_have_text("Authorize Client")
    page.get_by_role("button", name=sub, exact=True).click()


def sign_in_with_proconnect(page, instance, slug, sub):
    page.goto(instance.url(slug, "/accounts/login/"))
    page.get_by_role("link", name="S'identifier avec ProConnect").click()
    at_the_provider(page, sub)


def test_a_demo_agent_signs_in_with_proconnect_and_lands_on_the_feed(instance, page):
    sign_in_with_proconnect(page, instance, "chatellerault", "agent@chatellerault.example")
    expect(page).to_have_url(instance.url("chatellerault", "/"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Bonjour Camille")
    expect(page.locator(".user-chip")).to_have_text("Camille Martin")
    expect(page.locator(".brand-authority")).to_have_text("Ville de Châtellerault")
    # The session lives on chatellerault's subdomain only.
    page.goto(instance.url("grand-chatellerault", "/"))
    expect(page).to_have_url(re.compile(r"grand-chatellerault\.localhost:\d+/accounts/login/"))


def test_an_agent_types_her_identity_on_the_providers_page(instance, page):
    page.goto(instance.url("chatellerault", "/accounts/login/"))
    page.get_by_role("link", name="S'identifier avec ProConnect").click()
    page.get_by_placeholder("sub").fill("agent2@chatellerault.example")
    page.get_by_role("button", name="Authorize").click()
    expect(page).to_have_url(instance.url("chatellerault", "/"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Bonjour Julien")


def test_a_new_agent_is_created_and_chooses_their_service(instance, page):
    sign_in_with_proconnect(page, instance, "chatellerault", "lea.roux@chatellerault.example")
    expect(page).to_have_url(instance.url("chatellerault", "/accounts/proconnect/service/"))
    page.get_by_label("Votre service").select_option(label="Médiathèques")
    page.get_by_role("button", name="Continuer").click()
    expect(page).to_have_url(instance.url("chatellerault", "/"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Bonjour Léa")


def test_an_agent_of_no_authority_gets_a_clear_page(instance, page):
    sign_in_with_proconnect(page, instance, "chatellerault", "jo@nulle-part.example")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Aucune collectivité pour votre organisation")
    expect(page.get_by_role("alert")).to_contain_text("Ville de Châtellerault")


def test_logout_ends_the_proconnect_session_and_comes_back_to_the_login_page(
        instance, page):
    sign_in_with_proconnect(page, instance, "chatellerault", "agent2@chatellerault.example")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Bonjour Julien")
    page.get_by_role("button", name="Se déconnecter").click()
    # Through the provider's end_session_endpoint and the bare host, to the login page.
    expect(page.get_by_role("heading", level=1)).to_have_text("End Session")
    page.get_by_role("button", name="End session").click()
    expect(page).to_have_url(instance.url("chatellerault", "/accounts/login/"))
    page.goto(instance.url("chatellerault", "/"))
    expect(page).to_have_url(re.compile(r"chatellerault\.localhost:\d+/accounts/login/"))


def test_the_operator_makes_chatellerault_proconnect_only(instance, page):
    operator_sign_in(page, instance)
    page.goto(instance.url(None, "/operator/authorities/chatellerault/"))
    page.get_by_label("Établissements et communes (SIREN ou SIRET)").fill("12345")
    page.get_by_label("ProConnect uniquement").check()
    page.get_by_role("button", name="Enregistrer les paramètres ProConnect").click()
    expect(page.get_by_role("alert")).to_contain_text("Un SIREN a 9 chiffres, un SIRET 14")
    expect(page.get_by_label("Établissements et communes (SIREN ou SIRET)")).to_have_value(
        "12345")
    page.get_by_label("Établissements et communes (SIREN ou SIRET)").fill("213456789")
    page.get_by_role("button", name="Enregistrer les paramètres ProConnect").click()
    expect(page.get_by_role("status")).to_contain_text("Paramètres ProConnect enregistrés")

    # An agent's password no longer opens a session; ProConnect does.
    page.goto(instance.url("chatellerault", "/accounts/login/"))
    expect(page.get_by_role("link", name="Créer un compte")).to_have_count(0)
    page.get_by_label("Adresse e-mail").fill("moderateur@chatellerault.example")
    page.get_by_label("Mot de passe").fill("collectivrecup")
    page.get_by_role("button", name="Se connecter", exact=True).click()
    expect(page.get_by_role("alert")).to_contain_text("se connectent avec ProConnect")
    page.get_by_role("link", name="S'identifier avec ProConnect").click()
    at_the_provider(page, "moderateur@chatellerault.example")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Bonjour Nadia")
