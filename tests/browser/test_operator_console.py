"""The operator signs in with password + TOTP, suspends an authority, whose agents then
see the suspension notice, and reactivates it."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.operator import PASSWORD, operator_sign_in

pytestmark = pytest.mark.browser

SLUG = "grand-chatellerault"


def change_status(page, instance, status: str, reason: str = "") -> None:
    page.goto(instance.url(None, f"/operator/authorities/{SLUG}/"))
    page.locator("select[name=status]").select_option(status)
    page.locator("textarea[name=reason]").fill(reason)
    page.locator("#status-form button[type=submit]").click()
    expect(page.locator("#authority-status")).to_have_text(
        {"suspended": "Suspendu", "active": "Actif"}[status])


def test_operator_suspends_and_reactivates_an_authority(served_instance, browser, page):
    # Password alone does not open the console.
    page.goto(served_instance.url(None, "/operator/"))
    expect(page).to_have_url(re.compile(r"/operator/login/"))
    operator_sign_in(page, served_instance)
    expect(page.locator(f'tr[data-slug="{SLUG}"]')).to_be_visible()

    agent_context = browser.new_context()
    agent_page = agent_context.new_page()
    agent_page.set_default_timeout(10_000)
    try:
        change_status(page, served_instance, "suspended", "Test de suspension")
        expect(page.locator('tr[data-action="status_changed"]')).to_have_count(1)

        agent_page.goto(served_instance.url(SLUG, "/accounts/login/"))
        expect(agent_page.get_by_role("heading", level=1)).to_have_text(
            "Cet espace est suspendu")
        expect(agent_page.locator("form input[name=password]")).to_have_count(0)
    finally:
        change_status(page, served_instance, "active")

    agent_page.goto(served_instance.url(SLUG, "/accounts/login/"))
    agent_page.get_by_label("Adresse e-mail").fill(f"agent@{SLUG}.example")
    agent_page.get_by_label("Mot de passe").fill(PASSWORD)
    agent_page.get_by_role("button", name="Se connecter").click()
    expect(agent_page).to_have_url(served_instance.url(SLUG, "/"))
    agent_context.close()

    page.goto(served_instance.url(None, "/operator/"))
    expect(page.locator('#operator-actions tr[data-action="status_changed"]')).to_have_count(2)
