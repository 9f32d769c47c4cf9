"""Accounts in a browser: sign-up with e-mail confirmation, password reset, and the
authority administrator's pages (users and roles, services, sites)."""

import re
import uuid

import pytest
from playwright.sync_api import expect

from tests.browser.test_login import sign_in

pytestmark = pytest.mark.browser

SLUG = "chatellerault"
NEW_PASSWORD = "un-mot-de-passe-solide"


def link_in(message, path_start: str) -> str:
    match = re.search(rf"http://\S+{re.escape(path_start)}\S+", message.get_content())
    assert match, message.get_content()
    return match.group(0)


def sign_up(page, instance, email: str) -> None:
    page.goto(instance.url(SLUG, "/accounts/signup/"))
    page.fill("#id_email", email)
    page.fill("#id_first_name", "Léa")
    page.fill("#id_last_name", "Dupont")
    page.select_option("#id_service", label="Médiathèques")
    page.fill("#id_password1", NEW_PASSWORD)
    page.fill("#id_password2", NEW_PASSWORD)
    page.click("form button[type=submit].primary")


def test_sign_up_confirm_then_reset_the_password(served_instance, page):
    email = f"lea-{uuid.uuid4().hex[:6]}@chatellerault.example"

    # A foreign address is refused, and what was typed stays.
    sign_up(page, served_instance, "lea@gmail.example")
    expect(page.locator(".field-invalid .error")).to_contain_text("chatellerault.example")
    expect(page.locator("#id_first_name")).to_have_value("Léa")

    before = len(served_instance.mails())
    sign_up(page, served_instance, email)
    expect(page.get_by_role("heading", level=1)).to_have_text("Consultez votre messagerie")
    [confirmation] = served_instance.mails_since(before, To=email)
    verify_link = link_in(confirmation, "/accounts/verify/")
    assert verify_link.startswith(served_instance.url(SLUG, "/accounts/verify/"))

    # Before confirming, signing in is refused.
    sign_in(page, served_instance, SLUG, email, NEW_PASSWORD)
    expect(page.get_by_role("alert")).to_be_visible()
    page.goto(verify_link)
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    sign_in(page, served_instance, SLUG, email, NEW_PASSWORD)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Bonjour Léa")

    # Forgotten password: the e-mailed link sets a new one.
    page.context.clear_cookies()
    before = len(served_instance.mails())
    page.goto(served_instance.url(SLUG, "/accounts/password-reset/"))
    page.fill("#id_email", email)
    page.click("form button[type=submit].primary")
    [reset] = served_instance.mails_since(before, To=email)
    reset_link = link_in(reset, "/accounts/password-reset/")
    assert reset_link.startswith(served_instance.url(SLUG, "/accounts/password-reset/"))
    page.goto(reset_link)
    page.fill("#id_new_password1", "encore-un-autre-mot-de-passe")
    page.fill("#id_new_password2", "encore-un-autre-mot-de-passe")
    page.click("form button[type=submit].primary")
    sign_in(page, served_instance, SLUG, email, "encore-un-autre-mot-de-passe")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Bonjour Léa")


def test_administrator_manages_services_sites_and_roles(served_instance, page):
    marker = uuid.uuid4().hex[:6]
    sign_in(page, served_instance, SLUG, "admin@chatellerault.example")

    page.goto(served_instance.url(SLUG, "/accounts/admin/services/new/"))
    page.fill("#id_name", f"Espaces verts {marker}")
    page.click("form button[type=submit].primary")
    expect(page.get_by_role("cell", name=f"Espaces verts {marker}")).to_be_visible()

    page.goto(served_instance.url(SLUG, "/accounts/admin/sites/new/"))
    page.fill("#id_name", f"Gymnase {marker}")
    page.fill("#id_address", "2 rue du Stade")
    page.fill("#id_postcode", "8610")  # four digits: refused, the rest is kept
    page.fill("#id_city", "Châtellerault")
    page.click("form button[type=submit].primary")
    expect(page.locator(".field-invalid .error")).to_contain_text("5 chiffres")
    expect(page.locator("#id_name")).to_have_value(f"Gymnase {marker}")
    page.fill("#id_postcode", "86100")
    page.click("form button[type=submit].primary")
    expect(page.get_by_role("cell", name=f"Gymnase {marker}")).to_be_visible()

    # Julien (agent2) becomes moderator too, then back to agent only.
    page.goto(served_instance.url(SLUG, "/accounts/admin/users/"))
    row = page.get_by_role("row").filter(has_text="agent2@chatellerault.example")
    row.get_by_role("link").click()
    page.check("input[name=roles][value=moderator]")
    page.click("form button[type=submit].primary")
    row = page.get_by_role("row").filter(has_text="agent2@chatellerault.example")
    expect(row).to_contain_text("Modérateur")
    row.get_by_role("link").click()
    page.uncheck("input[name=roles][value=moderator]")
    page.click("form button[type=submit].primary")
    row = page.get_by_role("row").filter(has_text="agent2@chatellerault.example")
    expect(row).not_to_contain_text("Modérateur")


def test_an_agent_is_refused_the_administration_pages(served_instance, page):
    sign_in(page, served_instance, SLUG, "agent@chatellerault.example")
    response = page.goto(served_instance.url(SLUG, "/accounts/admin/users/"))
    assert response.status == 403
    expect(page.get_by_role("heading", level=1)).to_have_text("Accès refusé")
