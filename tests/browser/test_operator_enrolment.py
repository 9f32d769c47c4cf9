"""A new operator sets up two-factor authentication through the link e-mailed to them:
the password alone shows no secret; the link (sent again by another operator from the
console) leads, after the password, to the secret; the first code opens the console;
the link then works no more."""

from __future__ import annotations

import base64
import random
import re
import string

import pytest
from django_otp.oath import totp
from playwright.sync_api import expect

from tests.browser.operator import operator_sign_in
from tests.browser.test_account_pages import link_in

pytestmark = pytest.mark.browser

NEW_PASSWORD = "Console-Collectiv-2026"


def code_for(secret_b32: str) -> str:
    """What an authenticator app shows for this secret now (RFC 6238, 30 s steps)."""
    return f"{totp(base64.b32decode(secret_b32), step=30, t0=0, digits=6, drift=0):06d}"


def sign_in_as(page, instance, address: str) -> None:
    page.get_by_label("Adresse e-mail").fill(address)
    page.get_by_label("Mot de passe").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Se connecter").click()


def test_a_new_operator_enrols_through_the_mailed_link(served_instance, browser, page):
    address = "ops-" + "".join(random.choices(string.ascii_lowercase, k=6)) \
        + "@collectivrecup.example"
    before = len(served_instance.mails())
    output = served_instance.manage("create_operator", "--email", address,
                                    "--port", str(served_instance.port))
    assert "e-mailed to " + address in output
    assert "/two-factor/link/" not in output
    password_link = re.search(r"http://\S+/operator/password-reset/\S+", output)[0]

    newcomer_context = browser.new_context()
    newcomer = newcomer_context.new_page()
    newcomer.set_default_timeout(10_000)
    try:
        newcomer.goto(password_link)
        newcomer.fill("#id_new_password1", NEW_PASSWORD)
        newcomer.fill("#id_new_password2", NEW_PASSWORD)
        newcomer.click("form button[type=submit].primary")
        expect(newcomer).to_have_url(served_instance.url(None, "/operator/password-reset/done/"))

        # Password alone: the enrolment page explains, and shows no secret.
        newcomer.goto(served_instance.url(None, "/operator/"))
        sign_in_as(newcomer, served_instance, address)
        newcomer.goto(served_instance.url(None, "/operator/two-factor/"))
        expect(newcomer.locator("#enrol-needs-link")).to_contain_text("lien envoyé")
        expect(newcomer.locator("#totp-secret")).to_have_count(0)

        # Another operator e-mails a fresh link from the console (the first one dies).
        operator_sign_in(page, served_instance)
        row = page.locator("#operators-without-device li", has_text=address)
        row.get_by_role("button", name="Envoyer un lien de configuration").click()
        expect(page.locator(".messages")).to_contain_text(address)
        mails = served_instance.mails_since(before, To=address)
        assert len(mails) == 2, [m["Subject"] for m in mails]
        first = link_in(mails[0], "/operator/two-factor/link/")
        latest = link_in(mails[-1], "/operator/two-factor/link/")

        newcomer.goto(first)
        expect(newcomer.locator("#enrol-needs-link")).to_contain_text("a déjà servi")

        newcomer.goto(latest)
        expect(newcomer).to_have_url(served_instance.url(None, "/operator/two-factor/"))
        secret = newcomer.locator("#totp-secret").inner_text()
        newcomer.locator("input[name=code]").fill(code_for(secret))
        newcomer.locator("#code-form button[type=submit]").click()
        expect(newcomer).to_have_url(served_instance.url(None, "/operator/"))
        expect(newcomer.get_by_role("heading", level=1)).to_contain_text("Console")

        # Spent: signed out and in again, the link leads to the code step, not a secret.
        newcomer_context.clear_cookies()
        newcomer.goto(latest)
        sign_in_as(newcomer, served_instance, address)
        expect(newcomer).to_have_url(served_instance.url(None, "/operator/verify/"))
    finally:
        newcomer_context.close()

    page.goto(served_instance.url(None, "/operator/"))
    expect(page.locator("#operators-without-device li", has_text=address)).to_have_count(0)
