"""The demo operator's sign-in (password + TOTP) for browser tests.

The served instance is seeded with seed_demo: the demo operator's TOTP device has the
fixed secret tenants.two_factor.DEMO_TOTP_SECRET; the code is computed here from the
secret (RFC 6238), as an authenticator app would, and checked by django-otp on the
server as in production.

django-otp refuses a code from a time step it has already accepted (the device's
`last_t`). Rather than sleep until the next 30-second step, each sign-in first
forgets, in the served instance's database, which step the demo device used last —
as if the operator signed in for the first time in this step. The password, the code
and its verification stay real; only the test device's replay memory is reset.
"""

from __future__ import annotations

import base64

import psycopg
from django_otp.oath import totp

from tenants.two_factor import DEMO_TOTP_SECRET

OPERATOR_EMAIL = "operateur@collectivrecup.example"
PASSWORD = "collectivrecup"
STEP = 30

FORGET_LAST_STEP_SQL = """
UPDATE public.otp_totp_totpdevice SET last_t = -1, drift = 0
WHERE user_id IN (SELECT id FROM public.accounts_user WHERE email = %s)
"""


def forget_last_used_step(instance, email: str = OPERATOR_EMAIL) -> None:
    """Let the operator's TOTP devices accept a code of the current step again."""
    with psycopg.connect(instance.env["DATABASE_URL"], autocommit=True) as connection:
        updated = connection.execute(FORGET_LAST_STEP_SQL, [email]).rowcount
    assert updated >= 1, f"no TOTP device for {email} in the served instance"


def current_code() -> str:
    """The demo device's code for the current time step."""
    key = base64.b32decode(DEMO_TOTP_SECRET)
    return f"{totp(key, step=STEP, t0=0, digits=6, drift=0):06d}"


def operator_sign_in(page, instance) -> None:
    """Sign the demo operator in through the real pages: password, then TOTP code."""
    page.goto(instance.url(None, "/operator/"))
    page.get_by_label("Adresse e-mail").fill(OPERATOR_EMAIL)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(instance.url(None, "/operator/verify/"))
    forget_last_used_step(instance)
    page.locator("input[name=code]").fill(current_code())
    page.locator("#code-form button[type=submit]").click()
    page.wait_for_url(instance.url(None, "/operator/"))
