"""Break-glass: where passwords are closed to agents, an administrator signs in with
their password AND a code of their authenticator app (TOTP, in the authority's
schema), setting the app up at their first such sign-in; wrong codes lock the account
for a while, a code serves once, and the access journal shows each step."""

from __future__ import annotations

import html
import time

import pytest
from django.db import connection
from django.test import Client
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import two_factor
from accounts.models import SignInOutcome, SignInRecord
from tests.accounts.factories import PASSWORD, authority_admin
from tests.conftest import host_of, in_authority
from tests.sso.test_proconnect import signed_in_email

pytestmark = pytest.mark.django_db

STEP = "/accounts/second-factor/"
EMAIL = "sophie@chatellerault.example"


def code_of(device: TOTPDevice, *, steps_ahead: int = 0) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + steps_ahead * device.step
    return str(totp.token()).zfill(device.digits)


def password_step(authority, client=None):
    client = client or Client(HTTP_HOST=host_of(authority))
    response = client.post("/accounts/login/", {"username": EMAIL, "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == STEP
    assert signed_in_email(client) is None  # the password alone signs nobody in
    return client


@pytest.fixture
def admin(own_provider_on):
    with in_authority(own_provider_on):
        return authority_admin(email=EMAIL, first_name="Sophie", last_name="Durand")


def enrolled_device(authority, admin):
    with in_authority(authority):
        return TOTPDevice.objects.get(user=admin)


def test_an_admin_without_an_app_sets_it_up_right_after_the_password(own_provider_on,
                                                                     admin):
    client = password_step(own_provider_on)
    page = client.get(STEP)
    assert page.status_code == 200
    text = html.unescape(page.content.decode())
    assert 'id="second-factor-enrol"' in text
    device = enrolled_device(own_provider_on, admin)
    assert not device.confirmed
    assert two_factor.secret_of(device) in text and "otpauth://totp/" in text
    # A wrong code: refused, still not signed in.
    wrong = client.post(STEP, {"code": "000000" if code_of(device) != "000000" else "111111"})
    assert wrong.status_code == 400
    assert "Ce code n'est pas valable" in html.unescape(wrong.content.decode())
    # The right one: the app is set up, the admin signed in past the second factor.
    done = client.post(STEP, {"code": code_of(device)})
    assert done.status_code == 302 and done["Location"] == "/"
    profile = client.get("/accounts/profile/")
    assert profile.wsgi_request.user.email == EMAIL
    assert profile.wsgi_request.user.is_verified()
    with in_authority(own_provider_on):
        device.refresh_from_db()
        assert device.confirmed
        assert list(SignInRecord.objects.filter(method="break_glass").order_by("pk")
                    .values_list("outcome", flat=True)) == [
            SignInOutcome.TOTP_ENROLLED, SignInOutcome.SIGNED_IN]
    # The device lives beside the user, in the authority's schema, not in public.
    connection.set_schema_to_public()
    assert not TOTPDevice.objects.filter(pk=device.pk, name=device.name,
                                         key=device.key).exists()

    # Next time: the code only, the secret never shown again, a used code refused.
    client.post("/accounts/logout/")
    used = code_of(device)
    client = password_step(own_provider_on)
    text = html.unescape(client.get(STEP).content.decode())
    assert 'id="second-factor-enrol"' not in text
    assert two_factor.secret_of(device) not in text
    assert client.post(STEP, {"code": used}).status_code == 400
    assert client.post(STEP, {"code": code_of(device, steps_ahead=1)}).status_code == 302
    assert signed_in_email(client) == EMAIL


def test_repeated_wrong_codes_lock_the_account_the_right_code_included(own_provider_on,
                                                                      admin, settings):
    settings.ADMIN_OTP_FAILURE_LIMIT = 3
    client = password_step(own_provider_on)
    client.get(STEP)
    device = enrolled_device(own_provider_on, admin)
    good = code_of(device)
    bad = "123456" if good != "123456" else "654321"
    statuses = [client.post(STEP, {"code": bad}).status_code for _ in range(3)]
    assert statuses == [400, 400, 429]
    locked = client.post(STEP, {"code": good})
    assert locked.status_code == 429
    assert "Trop de codes erronés" in html.unescape(locked.content.decode())
    assert signed_in_email(client) is None
    with in_authority(own_provider_on):
        assert SignInRecord.objects.filter(method="break_glass",
                                           outcome=SignInOutcome.TOTP_LOCKED).exists()
        assert not SignInRecord.objects.filter(outcome=SignInOutcome.SIGNED_IN).exists()


def test_the_code_step_needs_a_recent_password(own_provider_on, admin, monkeypatch):
    client = Client(HTTP_HOST=host_of(own_provider_on))
    assert client.get(STEP)["Location"] == "/accounts/login/"
    password_step(own_provider_on, client)
    monkeypatch.setattr(two_factor, "PENDING_MAX_AGE", -1)
    response = client.post(STEP, {"code": "123456"})
    assert response.status_code == 302 and response["Location"] == "/accounts/login/"
    assert signed_in_email(client) is None


def test_no_second_factor_while_passwords_are_open(own_provider_on, admin):
    own_provider_on.sso_only = False
    own_provider_on.save(update_fields=["sso_only"])
    client = Client(HTTP_HOST=host_of(own_provider_on))
    response = client.post("/accounts/login/", {"username": EMAIL, "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/"
    assert signed_in_email(client) == EMAIL


def test_the_access_journal_shows_break_glass_sign_ins(own_provider_on, admin):
    client = password_step(own_provider_on)
    client.get(STEP)
    client.post(STEP, {"code": code_of(enrolled_device(own_provider_on, admin))})
    page = html.unescape(client.get("/accounts/admin/journal/").content.decode())
    assert "Mot de passe et code d'authentification (accès de secours)" in page
    assert "Application d'authentification configurée" in page
