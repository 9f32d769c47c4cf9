"""An agent signs in with ProConnect: the button on their authority's login page, the
provider's page (a real OpenID Connect provider on loopback, tests/sso_provider.py),
the callback on the bare host and the hand-off to the subdomain, where they land as
themselves."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import serve_instance
from tests.browser.operator import operator_sign_in
from tests.sso_provider import CLIENT_ID, CLIENT_SECRET, DEFAULT_IDENTITY, FakeProConnect

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def provider():
    provider = FakeProConnect(auto_approve=False).start()
    yield provider
    provider.stop()


@pytest.fixture(scope="module")
def instance(tmp_path_factory, provider):
    with serve_instance(tmp_path_factory, PROCONNECT_ISSUER=provider.issuer,
                        PROCONNECT_CLIENT_ID=CLIENT_ID,
                        PROCONNECT_CLIENT_SECRET=CLIENT_SECRET) as served:
        yield served


@pytest.fixture(autouse=True)
def _identity(provider):
    provider.identity = dict(DEFAULT_IDENTITY)
    yield


def sign_in_with_proconnect(page, instance, slug):
    page.goto(instance.url(slug, "/accounts/login/"))
    page.get_by_role("link", name="S'identifier avec ProConnect").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("ProConnect de test")
    page.get_by_role("button", name="Continuer").click()


def test_a_demo_agent_signs_in_with_proconnect_and_lands_on_the_feed(instance, provider,
                                                                      page):
    provider.identity |= {"email": "agent@chatellerault.example", "given_name": "Camille",
                          "usual_name": "Martin"}
    sign_in_with_proconnect(page, instance, "chatellerault")
    expect(page).to_have_url(instance.url("chatellerault", "/"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Bonjour Camille")
    expect(page.locator(".brand-authority")).to_have_text("Ville de Châtellerault")
    # The session lives on chatellerault's subdomain only.
    page.goto(instance.url("grand-chatellerault", "/"))
    expect(page).to_have_url(re.compile(r"grand-chatellerault\.localhost:\d+/accounts/login/"))


def test_a_new_agent_is_created_and_chooses_their_service(instance, provider, page):
    provider.identity |= {"email": "lea.roux@chatellerault.example", "given_name": "Léa",
                          "usual_name": "Roux"}
    sign_in_with_proconnect(page, instance, "chatellerault")
    expect(page).to_have_url(instance.url("chatellerault", "/accounts/proconnect/service/"))
    page.get_by_label("Votre service").select_option(label="Médiathèques")
    page.get_by_role("button", name="Continuer").click()
    expect(page).to_have_url(instance.url("chatellerault", "/"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Bonjour Léa")


def test_an_agent_of_no_authority_gets_a_clear_page(instance, provider, page):
    provider.identity |= {"email": "jo@nulle-part.example", "siret": "11111111100019"}
    sign_in_with_proconnect(page, instance, "chatellerault")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Aucune collectivité pour votre organisation")
    expect(page.get_by_role("alert")).to_contain_text("Ville de Châtellerault")


def test_logout_ends_the_proconnect_session_and_comes_back_to_the_login_page(
        instance, provider, page):
    provider.identity |= {"email": "agent2@chatellerault.example", "given_name": "Julien",
                          "usual_name": "Bernard"}
    sign_in_with_proconnect(page, instance, "chatellerault")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Bonjour Julien")
    page.get_by_role("button", name="Se déconnecter").click()
    # Through ProConnect's end_session_endpoint and the bare host, back to the login page.
    expect(page).to_have_url(instance.url("chatellerault", "/accounts/login/"))
    page.goto(instance.url("chatellerault", "/"))
    expect(page).to_have_url(re.compile(r"chatellerault\.localhost:\d+/accounts/login/"))


def test_the_operator_makes_chatellerault_proconnect_only(instance, provider, page):
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
    provider.identity |= {"email": "moderateur@chatellerault.example",
                          "given_name": "Nadia", "usual_name": "Moreau"}
    page.get_by_role("link", name="S'identifier avec ProConnect").click()
    page.get_by_role("button", name="Continuer").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Bonjour Nadia")
