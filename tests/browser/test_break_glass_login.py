"""Break-glass in a browser: Grand Châtellerault is set to "SSO only" with its own
provider switched on. An agent's password is refused with a message naming the
provider's button; the administrator signs in with their password, sets up their
authenticator app on the next page (the secret shown there), a wrong code is refused,
the right one opens the site, and the access journal shows the break-glass sign-in."""

import pytest
from playwright.sync_api import expect

from tests.browser.test_login import sign_in
from tests.browser.test_operator_enrolment import code_for

pytestmark = pytest.mark.browser

SLUG = "grand-chatellerault"

SWITCH_ON = f"""
from django.utils import timezone
from django_tenants.utils import schema_context
from accounts.models import AuthorityOidcProvider
from tenants.models import Authority
authority = Authority.objects.get(slug="{SLUG}")
authority.sso_only = True
authority.save(update_fields=["sso_only"])
with schema_context(authority.schema_name):
    AuthorityOidcProvider.objects.update_or_create(singleton=True, defaults=dict(
        name="Keycloak de l'agglo", issuer="https://keycloak.example.org/realms/agents",
        client_id="collectivrecup", client_secret_encrypted="x", discovery={{}},
        tested_at=timezone.now(), is_enabled=True))
"""

# Back as the other browser tests expect it: passwords open, provider off, no device.
SWITCH_OFF = f"""
from django_tenants.utils import schema_context
from django_otp.plugins.otp_totp.models import TOTPDevice
from accounts.models import AuthorityOidcProvider
from tenants.models import Authority
authority = Authority.objects.get(slug="{SLUG}")
authority.sso_only = False
authority.save(update_fields=["sso_only"])
with schema_context(authority.schema_name):
    AuthorityOidcProvider.objects.update(is_enabled=False)
    TOTPDevice.objects.all().delete()
"""


@pytest.fixture
def sso_only_authority(served_instance):
    served_instance.manage("shell", "-c", SWITCH_ON)
    yield SLUG
    served_instance.manage("shell", "-c", SWITCH_OFF)


def test_agents_are_refused_a_password_and_the_admin_gets_in_with_a_code(
        served_instance, sso_only_authority, page, browser):
    context = browser.new_context(locale="fr-FR")
    try:
        agent_page = context.new_page()
        sign_in(agent_page, served_instance, SLUG, f"agent@{SLUG}.example")
        expect(agent_page.get_by_role("alert")).to_contain_text(
            "Les agents de votre collectivité se connectent avec Keycloak de l'agglo : "
            "utilisez le bouton « Se connecter avec Keycloak de l'agglo ».")
        expect(agent_page.get_by_role("link", name="Se connecter avec Keycloak de l'agglo"))\
            .to_be_visible()
        expect(agent_page.get_by_role("link", name="Créer un compte")).to_have_count(0)
    finally:
        context.close()

    sign_in(page, served_instance, SLUG, f"admin@{SLUG}.example")
    expect(page).to_have_url(served_instance.url(SLUG, "/accounts/second-factor/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Code d'authentification")
    expect(page.locator("#second-factor-enrol")).to_contain_text(
        "Configurez maintenant votre application d'authentification")
    secret = page.locator("#totp-secret").inner_text()
    good = code_for(secret)
    page.locator("input[name=code]").fill("000000" if good != "000000" else "111111")
    page.get_by_role("button", name="Activer").click()
    expect(page.get_by_text("Ce code n'est pas valable", exact=False)).to_be_visible()
    page.locator("input[name=code]").fill(code_for(secret))
    page.get_by_role("button", name="Activer").click()
    expect(page).to_have_url(served_instance.url(SLUG, "/"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Bonjour")

    page.goto(served_instance.url(SLUG, "/accounts/admin/journal/"))
    journal = page.locator("table.sign-in-journal")
    expect(journal).to_contain_text("Mot de passe et code d'authentification (accès de secours)")
    expect(journal).to_contain_text("Application d'authentification configurée")
