"""The demo operator's sign-in (password + TOTP) for browser tests.

The served instance is seeded with seed_demo: the demo operator's TOTP device has the
fixed secret tenants.two_factor.DEMO_TOTP_SECRET; the code is computed here from the
secret (RFC 6238), as an authenticator app would.
"""

from __future__ import annotations

import base64
import time

from django_otp.oath import totp

from tenants.two_factor import DEMO_TOTP_SECRET

OPERATOR_EMAIL = "operateur@collectivrecup.example"
PASSWORD = "collectivrecup"
STEP = 30
_last_step = -1


def fresh_code() -> str:
    """The current code, waiting for the next time step if this one was already used
    (django-otp refuses a code twice)."""
    global _last_step
    while int(time.time()) // STEP <= _last_step:
        time.sleep(0.5)
    now = time.time()
    _last_step = int(now) // STEP
    key = base64.b32decode(DEMO_TOTP_SECRET)
    return f"{totp(key, step=STEP, t0=0, digits=6, drift=0):06d}"


def operator_sign_in(page, instance) -> None:
    page.goto(instance.url(None, "/operator/"))
    page.get_by_label("Adresse e-mail").fill(OPERATOR_EMAIL)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(instance.url(None, "/operator/verify/"))
    page.locator("input[name=code]").fill(fresh_code())
    page.locator("#code-form button[type=submit]").click()
    page.wait_for_url(instance.url(None, "/operator/"))
