"""Operators' second factor: a TOTP device (django-otp) and a lock after wrong codes.

The lock counts wrong codes per operator in the cache (keys carry the schema, see
settings.CACHES): after OPERATOR_OTP_FAILURE_LIMIT wrong codes, every code is refused
for OPERATOR_OTP_LOCKOUT_SECONDS, the right one included.
"""

from __future__ import annotations

import base64

from django.conf import settings
from django.core.cache import cache
from django_otp import login as otp_login
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from .audit import record_action

DEVICE_NAME = "TOTP"

# The demo operator's secret (base32), printed by `make run`: local demo only.
DEMO_TOTP_SECRET = "COLLECTIVRECUPDEMOTOTPSECRET2345"


def secret_to_hex(secret_b32: str) -> str:
    return base64.b32decode(secret_b32.upper()).hex()


def secret_of(device: TOTPDevice) -> str:
    """The device's key as the base32 text authenticator apps expect."""
    return base64.b32encode(device.bin_key).decode()


def current_code(device: TOTPDevice) -> str:
    code = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits,
                drift=device.drift)
    return str(code).zfill(device.digits)


def confirmed_device(user) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()


def pending_device(user) -> TOTPDevice:
    """The unconfirmed device an operator is enrolling (created on first visit)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    return device or TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)


def ensure_device(user, secret_b32: str) -> TOTPDevice:
    """A confirmed device with a fixed secret (the demo operator's)."""
    device, _ = TOTPDevice.objects.update_or_create(
        user=user, name=DEVICE_NAME,
        defaults={"key": secret_to_hex(secret_b32), "confirmed": True},
    )
    return device


def _failures_key(user) -> str:
    return f"operator-otp-failures:{user.pk}"


def is_locked(user) -> bool:
    return cache.get(_failures_key(user), 0) >= settings.OPERATOR_OTP_FAILURE_LIMIT


def _record_failure(user) -> None:
    key = _failures_key(user)
    timeout = settings.OPERATOR_OTP_LOCKOUT_SECONDS
    if cache.add(key, 1, timeout):
        return
    try:
        cache.incr(key)
    except ValueError:  # expired in between
        cache.set(key, 1, timeout)
    # Each failure restarts the lock period.
    cache.touch(key, timeout)


def check_code(request, device: TOTPDevice, code: str, *, action: str = "signed_in") -> bool:
    """Verify `code` against `device`; on success mark the session verified.

    Refuses everything while the operator is locked out. Confirms an enrolling device.
    """
    user = request.user
    if is_locked(user):
        return False
    code = (code or "").strip().replace(" ", "")
    if not (code.isdigit() and device.verify_token(code)):
        _record_failure(user)
        return False
    cache.delete(_failures_key(user))
    if not device.confirmed:
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        record_action(user, "two_factor_enrolled")
    otp_login(request, device)
    record_action(user, action)
    return True
