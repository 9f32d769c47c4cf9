"""The journal of roles and access, in a browser: the agglomération's administrator
makes an agent moderator, then takes it back; both changes are on the journal page,
latest first, with who did it and the roles before and after."""

import pytest
from playwright.sync_api import expect

from tests.browser.test_login import sign_in

pytestmark = pytest.mark.browser

SLUG = "grand-chatellerault"
MEMBER = f"agent@{SLUG}.example"


def _toggle_moderator(page, instance, *, on: bool) -> None:
    page.goto(instance.url(SLUG, "/accounts/admin/users/"))
    page.get_by_role("row").filter(has_text=MEMBER).get_by_role("link").click()
    box = page.locator("input[name=roles][value=moderator]")
    if on:
        box.check()
    else:
        box.uncheck()
    page.click("form button[type=submit].primary")
    expect(page.get_by_role("heading", level=1)).to_have_text("Utilisateurs et rôles")


def test_an_administrator_reads_the_role_changes_in_the_journal(served_instance, page):
    sign_in(page, served_instance, SLUG, f"admin@{SLUG}.example")
    _toggle_moderator(page, served_instance, on=True)
    _toggle_moderator(page, served_instance, on=False)

    page.get_by_role("navigation", name="Administration").get_by_role(
        "link", name="Journal").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Journal des rôles et des accès")
    rows = page.locator("tr.access-change").filter(has_text=MEMBER)
    latest, previous = rows.nth(0), rows.nth(1)
    expect(latest.locator("td").nth(1)).to_contain_text(f"admin@{SLUG}.example")
    expect(latest.locator("td").nth(3)).to_have_text("Agent, Modérateur")
    expect(latest.locator("td").nth(4)).to_have_text("Agent")
    expect(latest.locator("td").nth(6)).to_have_text("Page « Utilisateurs et rôles »")
    expect(previous.locator("td").nth(3)).to_have_text("Agent")
    expect(previous.locator("td").nth(4)).to_have_text("Agent, Modérateur")
