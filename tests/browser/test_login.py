"""An agent signs in on their authority's subdomain, and only there."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.operator import operator_sign_in

pytestmark = pytest.mark.browser

PASSWORD = "collectivrecup"


def sign_in(page, instance, slug, email, password=PASSWORD):
    page.goto(instance.url(slug, "/accounts/login/"))
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Mot de passe").fill(password)
    page.get_by_role("button", name="Se connecter").click()


def test_agent_signs_in_on_chatellerault_but_not_on_grand_chatellerault(served_instance, page):
    page.goto(served_instance.url("chatellerault", "/"))
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Se connecter")
    expect(page.locator("html")).to_have_attribute("lang", "fr")

    sign_in(page, served_instance, "chatellerault", "agent@chatellerault.example")
    expect(page).to_have_url(served_instance.url("chatellerault", "/"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Bonjour Camille")
    expect(page.locator(".brand-authority")).to_have_text("Ville de Châtellerault")

    sign_in(page, served_instance, "grand-chatellerault", "agent@chatellerault.example")
    expect(page).to_have_url(re.compile(r"grand-chatellerault\.localhost:\d+/accounts/login/"))
    expect(page.get_by_role("alert")).to_contain_text("Adresse e-mail ou mot de passe incorrect")
    # The Châtellerault session is still alive on its own subdomain only.
    page.goto(served_instance.url("grand-chatellerault", "/"))
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    page.goto(served_instance.url("chatellerault", "/"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Bonjour Camille")


def test_unknown_subdomain_shows_a_french_page(served_instance, page):
    response = page.goto(served_instance.url("nulle-part", "/"))
    assert response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("Collectivité inconnue")


def test_operator_reaches_the_console_on_the_bare_host(served_instance, page):
    operator_sign_in(page, served_instance)  # password, then the TOTP code
    expect(page.get_by_role("heading", level=1)).to_have_text("Console opérateur")
    # In the authorities' table: the audit log below may name them too (e.g. exports).
    authorities = page.locator("#authorities")
    expect(authorities.get_by_role("cell", name="Ville de Châtellerault")).to_be_visible()
    expect(authorities.get_by_role("cell", name="Agglomération de Grand Châtellerault")) \
        .to_be_visible()
