"""Plausibility bounds in a browser (issue 12): an agent's listing of 400,000 items
worth 99,999,999 € is refused on its field, with nothing to tick; a moderator sees why,
ticks « Je confirme… » and the listing is saved."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.test_login import sign_in

pytestmark = pytest.mark.browser

SLUG = "chatellerault"


def fill_huge_listing(page, instance, title: str) -> None:
    page.goto(instance.url(SLUG, "/listings/new/"))
    page.fill("#id_title", title)
    page.select_option("#id_category", label="Table pliante / de collectivité")
    page.fill("#id_quantity", "400000")
    page.select_option("#id_condition", "used")
    page.fill("#id_estimated_value", "99999999")
    page.locator("#id_site").select_option(index=1)


def test_an_outlier_is_refused_for_an_agent_and_confirmed_by_a_moderator(served_instance,
                                                                         browser):
    agent = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    sign_in(agent, served_instance, SLUG, f"agent@{SLUG}.example")
    fill_huge_listing(agent, served_instance, "Tables de l'agent")
    expect(agent.locator("#id_confirm_outlier")).to_have_count(0)
    agent.click("button[name=draft]")
    expect(agent.locator("body")).to_contain_text("pas une quantité vraisemblable")
    assert "/listings/new/" in agent.url

    moderator = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    sign_in(moderator, served_instance, SLUG, f"moderateur@{SLUG}.example")
    fill_huge_listing(moderator, served_instance, "Tables du modérateur")
    moderator.click("button[name=draft]")
    expect(moderator.locator("body")).to_contain_text("pas une quantité vraisemblable")
    moderator.check("#id_confirm_outlier")
    moderator.click("button[name=draft]")
    expect(moderator).to_have_url(re.compile(r"/listings/\d+/(\?posted=[\w-]+)?$"))
    expect(moderator.get_by_role("heading", level=1)).to_have_text("Tables du modérateur")
    expect(moderator.locator("body")).to_contain_text(
        "Quantité ou valeur inhabituelle confirmée par un modérateur")
