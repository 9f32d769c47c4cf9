"""Break-glass sign-in of an authority's administrators: password, then a TOTP code.

Where passwords are closed to agents (accounts.permissions.password_accounts_closed),
an administrator keeps their password, the way back in when the identity provider
fails, but the password alone no longer signs them in
(accounts.permissions.needs_second_factor): the sign-in page only remembers, in the
session, who gave the right password and when (`start`); the account is signed in by
`accounts.views.second_factor` once a code of their TOTP device (django-otp, in the
authority's schema, beside the user) is right.

- An administrator without a device sets one up at that step, right after the
  password: the secret is shown then (the pending device of this break-glass attempt,
  never again once confirmed by a first right code). This is chosen over "every admin
  enrols before the switch can be turned on": the switch is the operator's, admins
  are appointed after it, phones get lost, and refusing device-less admins could
  leave an authority whose provider is down with no admin able to get in — the very
  case break-glass exists for. Each enrolment is journalled (SignInRecord), so the
  other admins see it in the access journal.
- Codes are not reusable: django-otp's TOTPDevice refuses a time step already used.
- After ADMIN_OTP_FAILURE_LIMIT wrong codes the account is locked for
  ADMIN_OTP_LOCKOUT_SECONDS (cache keys carry the schema), the right code included;
  the lock is journalled.
- Every break-glass sign-in is journalled (method "break_glass").
"""

from __future__ import annotations

import base64
import time

from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import SignInOutcome, SignInRecord, User
from accounts.otp_codes import CodeLock, CodeResult
from accounts.services import person_label

METHOD = "break_glass"
DEVICE_NAME = "TOTP"
PENDING_KEY = "break_glass_pending"
# Between the right password and the code (seconds): after it, the password again.
PENDING_MAX_AGE = 600


def _journal(outcome: str, member: User) -> None:
    SignInRecord.objects.create(method=METHOD, outcome=outcome, member=member,
                                member_label=person_label(member))


def start(request, user: User, next_url: str) -> None:
    """The right password of an administrator who also owes a code: remember them (not
    signed in) in this session."""
    request.session[PENDING_KEY] = {"user": user.pk, "at": time.time(), "next": next_url,
                                    "device": None}


def pending(request) -> tuple[User, dict] | None:
    """The administrator who gave their password in this session a short while ago,
    still active; None otherwise."""
    state = request.session.get(PENDING_KEY)
    if not isinstance(state, dict) or time.time() - state.get("at", 0) > PENDING_MAX_AGE:
        return None
    user = User.objects.filter(pk=state.get("user"), is_active=True).first()
    return (user, state) if user is not None else None


def end(request) -> None:
    request.session.pop(PENDING_KEY, None)


def confirmed_device(user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()


def enrolment_device(request, user: User, state: dict) -> TOTPDevice:
    """The unconfirmed device this break-glass attempt sets up (created once per
    attempt; any older unconfirmed device of the account is dropped)."""
    device = TOTPDevice.objects.filter(pk=state.get("device"), user=user,
                                       confirmed=False).first()
    if device is None:
        with transaction.atomic():
            TOTPDevice.objects.filter(user=user, confirmed=False).delete()
            device = TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)
        state["device"] = device.pk
        request.session[PENDING_KEY] = state
    return device


def secret_of(device: TOTPDevice) -> str:
    """The device's key as the base32 text authenticator apps expect."""
    return base64.b32encode(device.bin_key).decode()


LOCK = CodeLock("admin-otp-failures", "ADMIN_OTP_FAILURE_LIMIT",
                "ADMIN_OTP_LOCKOUT_SECONDS")


def is_locked(user: User) -> bool:
    return LOCK.is_locked(user)


@transaction.atomic
def check_code(user: User, device: TOTPDevice, code: str) -> bool:
    """True when `code` is a fresh code of `device` and the account is not locked;
    confirms an enrolling device and journals the enrolment and the sign-in. The
    caller then signs the session in (django.contrib.auth.login, django_otp.login)."""
    was_locked = LOCK.is_locked(user)
    result = LOCK.check(user, device, code)
    if result is CodeResult.REFUSED:
        if not was_locked and LOCK.is_locked(user):
            _journal(SignInOutcome.TOTP_LOCKED, user)
        return False
    if result is CodeResult.ENROLLED:
        _journal(SignInOutcome.TOTP_ENROLLED, user)
    _journal(SignInOutcome.SIGNED_IN, user)
    return True
