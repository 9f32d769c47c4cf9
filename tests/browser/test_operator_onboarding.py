"""The operator onboards an authority from the console; its first administrator opens
the e-mailed invitation, chooses a password and signs in on the new subdomain."""

import random
import re
import string

import pytest
from playwright.sync_api import expect

from tenants.validators import luhn_is_valid
from tests.browser.operator import operator_sign_in
from tests.browser.test_account_pages import link_in
from tests.browser.test_login import sign_in

pytestmark = pytest.mark.browser

NAME = "Commune de Naintré"
ADMIN_PASSWORD = "Recyclons-a-Naintre-86"


def random_siren() -> str:
    """Nine digits with a valid Luhn check digit."""
    stem = "2" + "".join(random.choices(string.digits, k=7))
    return next(f"{stem}{digit}" for digit in "0123456789" if luhn_is_valid(f"{stem}{digit}"))


def test_operator_onboards_an_authority_whose_admin_signs_in(served_instance, browser, page):
    slug = "naintre-" + "".join(random.choices(string.ascii_lowercase, k=4))
    admin_email = f"dgs@{slug}.example"
    operator_sign_in(page, served_instance)

    page.locator("#new-authority").click()
    expect(page).to_have_url(served_instance.url(None, "/operator/authorities/new/"))
    page.fill("#id_name", NAME)
    page.select_option("#id_kind", "commune")
    page.fill("#id_siren", "218601699")  # wrong check digit: refused, the rest is kept
    page.fill("#id_slug", slug)
    page.fill("#id_admin_email", admin_email)
    before = len(served_instance.mails())
    page.locator("#authority-form button[type=submit]").click()
    expect(page.locator(".field-invalid #id_siren")).to_be_visible()
    expect(page.locator("#id_name")).to_have_value(NAME)
    expect(page.locator("#id_slug")).to_have_value(slug)

    page.fill("#id_siren", random_siren())
    page.locator("#authority-form button[type=submit]").click()
    expect(page).to_have_url(served_instance.url(None, f"/operator/authorities/{slug}/"))
    expect(page.locator(".messages")).to_contain_text(f"{slug}.localhost")
    expect(page.locator('#operator-actions tr[data-action="authority_created"]')).to_have_count(1)

    [invitation] = served_instance.mails_since(before, To=admin_email)
    link = link_in(invitation, "/accounts/password-reset/")
    assert link.startswith(served_instance.url(slug, "/accounts/password-reset/")), link

    admin_context = browser.new_context()
    admin = admin_context.new_page()
    admin.set_default_timeout(10_000)
    try:
        admin.goto(link)
        admin.fill("#id_new_password1", ADMIN_PASSWORD)
        admin.fill("#id_new_password2", ADMIN_PASSWORD)
        admin.click("form button[type=submit].primary")
        sign_in(admin, served_instance, slug, admin_email, ADMIN_PASSWORD)
        expect(admin).to_have_url(served_instance.url(slug, "/"))
        expect(admin.get_by_role("heading", level=1)).to_contain_text("Bonjour")
        expect(admin.locator(".brand-authority")).to_have_text(NAME)
    finally:
        admin_context.close()

    # The new authority is listed in the console.
    page.goto(served_instance.url(None, "/operator/"))
    expect(page.locator(f'tr[data-slug="{slug}"]')).to_be_visible()
    assert re.fullmatch(r"naintre-[a-z]{4}", slug)
