"""An authority's own OpenID Connect provider, in a browser: the administrator enters
its settings (a real provider on loopback, tests/sso_provider.py, standing for the
authority's Keycloak), tests the sign-in in a new tab, switches it on; an agent then
signs in with it from the login page and lands on their authority's feed."""

import pytest
from playwright.sync_api import expect

from tests.browser.test_login import sign_in
from tests.sso_provider import CLIENT_ID, CLIENT_SECRET, DEFAULT_IDENTITY, FakeProConnect

pytestmark = pytest.mark.browser

SLUG = "grand-chatellerault"


@pytest.fixture(scope="module")
def provider():
    provider = FakeProConnect(auto_approve=False).start()
    yield provider
    provider.stop()


def test_the_admin_configures_tests_and_switches_on_then_an_agent_signs_in(
        served_instance, provider, page, browser):
    provider.identity = dict(DEFAULT_IDENTITY, email=f"admin@{SLUG}.example")
    sign_in(page, served_instance, SLUG, f"admin@{SLUG}.example")
    page.goto(served_instance.url(SLUG, "/accounts/admin/identity-provider/"))
    expect(page.locator("#redirect-uri")).to_contain_text(
        f"{SLUG}.localhost:{served_instance.url(SLUG, '/').split(':')[-1].split('/')[0]}"
        "/accounts/oidc/callback/")
    page.get_by_label("Nom du fournisseur").fill("Keycloak de l'agglo")
    page.get_by_label("URL de l'émetteur").fill("http://keycloak.example.org")
    page.get_by_label("Identifiant client").fill(CLIENT_ID)
    page.get_by_label("Secret client").fill(CLIENT_SECRET)
    page.get_by_role("button", name="Enregistrer").click()
    # Not https: refused, what was typed is kept (but the secret).
    expect(page.get_by_text("L'adresse de l'émetteur doit commencer par https://."))\
        .to_be_visible()
    expect(page.get_by_label("Nom du fournisseur")).to_have_value("Keycloak de l'agglo")
    expect(page.get_by_label("Secret client")).to_have_value("")
    page.get_by_label("URL de l'émetteur").fill(provider.issuer)
    page.get_by_label("Secret client").fill(CLIENT_SECRET)
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_text("Un secret est enregistré.", exact=False)).to_be_visible()
    expect(page.get_by_role("button", name="Activer")).to_be_disabled()

    with page.context.expect_page() as opened:
        page.get_by_role("link", name="Tester").click()
    tab = opened.value
    expect(tab.get_by_role("heading", level=1)).to_have_text("ProConnect de test")
    tab.get_by_role("button", name="Continuer").click()
    expect(tab.get_by_role("heading", level=1)).to_have_text("Test réussi")
    tab.close()

    page.reload()
    page.get_by_role("button", name="Activer").click()
    expect(page.get_by_text("État : activé.")).to_be_visible()

    provider.identity = dict(DEFAULT_IDENTITY, email=f"agent@{SLUG}.example",
                             given_name="Noé")
    context = browser.new_context(locale="fr-FR")
    try:
        agent_page = context.new_page()
        agent_page.goto(served_instance.url(SLUG, "/accounts/login/"))
        agent_page.get_by_role("link", name="Se connecter avec Keycloak de l'agglo").click()
        agent_page.get_by_role("button", name="Continuer").click()
        expect(agent_page).to_have_url(served_instance.url(SLUG, "/"))
        expect(agent_page.get_by_role("heading", level=1)).to_contain_text("Bonjour Noé")
    finally:
        context.close()

    # Switched off again: the shared instance's other tests see no extra button.
    page.get_by_role("button", name="Désactiver").click()
    expect(page.get_by_text("État : désactivé.")).to_be_visible()
