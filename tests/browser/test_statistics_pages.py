"""Statistics pages in a browser: a moderator, mailed that the weight campaign is
open, corrects a category total and validates the semester; an authority admin
overrides a factor and opts in to the public impact page, which then counts the
authority; an agent sees their own figures, without €."""

from __future__ import annotations

from datetime import date

import pytest
from playwright.sync_api import expect

from analytics.facts import OVERRIDE_SUFFIX
from analytics.models import REFERENCE_FACTORS_VERSION
from tests.browser.test_login import sign_in

OVERRIDDEN_VERSION = REFERENCE_FACTORS_VERSION + OVERRIDE_SUFFIX

pytestmark = pytest.mark.browser

SLUG = "chatellerault"


def test_weight_campaign_flow(served_instance, browser):
    today = date.today()
    semester = 1 if today.month <= 6 else 2
    before = len(served_instance.mails())
    output = served_instance.manage("open_weight_campaign", "--authority", SLUG,
                                    "--year", str(today.year), "--semester", str(semester))
    assert "opened" in output
    mails = served_instance.mails_since(before, To="moderateur@chatellerault.example")
    assert len(mails) == 1
    body = mails[0].get_content()
    path = f"/listings/moderation/weights/{today.year}/s{semester}/"
    assert path in body

    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    sign_in(page, served_instance, SLUG, "moderateur@chatellerault.example")
    page.goto(served_instance.url(SLUG, "/listings/moderation/weights/"))
    page.click(f"a[href='{path}']")
    expect(page.locator("#campaign-status")).to_have_attribute("data-status", "open")
    first = page.locator("section.campaign-category").first
    first.locator("input[name=total_kg]").fill("123,5")
    first.locator("form.category-form button").click()
    expect(page.locator("section.campaign-category").first.locator(".corrected-kg")) \
        .to_have_text("123,5")  # as typed: French, not 123.500
    # A negative weight is refused with a French message.
    line = page.locator("form.line-form").first
    line.locator("input[name=weight_kg]").fill("-2")
    line.locator("button").click()
    expect(page.locator("#campaign-error")).to_contain_text("Saisissez un poids")
    page.click("#validate-form button")
    expect(page.locator("#campaign-status")).to_have_attribute("data-status", "validated")
    expect(page.locator("#table-adjustments")).to_contain_text("Aucun ajustement")
    context.close()


def test_factors_opt_in_and_public_impact(served_instance, browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    sign_in(page, served_instance, SLUG, "admin@chatellerault.example")
    page.goto(served_instance.url(SLUG, "/listings/factors/"))
    row = page.locator("tr[data-code='chaise-visiteur']")
    expect(row.locator(".version")).to_have_text(REFERENCE_FACTORS_VERSION)
    row.locator("input[name=weight_kg]").fill("7,5")
    row.locator("input[name=source]").fill("Pesée au centre technique")
    row.locator("button").click()
    expect(page.locator("tr[data-code='chaise-visiteur'] .version")).to_have_text(
        OVERRIDDEN_VERSION)

    # The demo authorities are on the public impact page; the admin leaves, then returns.
    page.goto(served_instance.url(None, "/impact/"))
    before = int(page.locator("#impact-authorities").inner_text())
    expect(page.locator("main")).to_contain_text("Ville de Châtellerault")
    page.goto(served_instance.url(SLUG, "/listings/settings/statistics/"))
    page.uncheck("#id_public_impact")
    page.click("#stats-settings-form button[type=submit]")
    expect(page.locator("#id_public_impact")).not_to_be_checked()
    page.goto(served_instance.url(None, "/impact/"))
    expect(page.locator("#impact-authorities")).to_have_text(str(before - 1))
    expect(page.locator("main")).not_to_contain_text("Ville de Châtellerault")
    page.goto(served_instance.url(SLUG, "/listings/settings/statistics/"))
    page.check("#id_public_impact")
    page.click("#stats-settings-form button[type=submit]")
    expect(page.locator("#id_public_impact")).to_be_checked()
    page.goto(served_instance.url(None, "/impact/"))
    expect(page.locator("#impact-authorities")).to_have_text(str(before))
    expect(page.locator("body")).to_contain_text("Ville de Châtellerault")
    assert "€" not in page.locator("main").inner_text()
    context.close()


def test_agent_sees_own_figures_without_euros(served_instance, page):
    sign_in(page, served_instance, SLUG, "agent@chatellerault.example")
    page.click("a[href='/listings/my-impact/']")
    expect(page.get_by_role("heading", level=1)).to_have_text("Mon impact")
    expect(page.locator("#given-quantity")).to_be_visible()
    assert "€" not in page.locator("main").inner_text()
    page.goto(served_instance.url(SLUG, "/listings/moderation/report/"))
    expect(page.locator("body")).not_to_contain_text("Valeur donnée")
