"""Operators' second factor: a TOTP device (django-otp) and a lock after wrong codes.

The lock counts wrong codes per operator in the cache (keys carry the schema, see
settings.CACHES): after OPERATOR_OTP_FAILURE_LIMIT wrong codes, every code is refused
for OPERATOR_OTP_LOCKOUT_SECONDS, the right one included.

Enrolment needs more than the password: a link e-mailed to the operator's address
(`send_enrolment_link`, by `create_operator` or by another operator from the console).
Sending it creates the operator's pending (unconfirmed) device; the link is the signed
pair (operator, pending device), valid OPERATOR_ENROL_LINK_MAX_AGE seconds, and only
while that device is pending: confirming it — or sending a newer link, which replaces
the pending device — ends it. A password alone never shows a secret.
"""

from __future__ import annotations

import base64

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.urls import reverse
from django_otp import login as otp_login
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import Role
from accounts.otp_codes import CodeLock, CodeResult
from accounts.permissions import can_operate
from accounts.selectors import members_with_role
from core.links import absolute_url
from core.mail import mail_each_after_commit
from tenants.audit import record_action

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


ENROL_LINK_SALT = "tenants.two_factor.enrolment-link"
# The session of an operator who opened a valid link holds the link (see enrol view).
ENROL_SESSION_KEY = "two_factor_enrolment_link"


class EnrolmentRefused(Exception):
    """The operator cannot be sent an enrolment link (already enrolled, not an operator)."""


def send_enrolment_link(user, *, sent_by=None) -> None:
    """E-mail `user` (an operator without a confirmed device) a one-time link to enrol
    a TOTP device; any earlier link stops working. Audited; the mail leaves after commit.

    Raises EnrolmentRefused for an account without the operator role or already enrolled
    (a lost phone: delete the device first, docs/operations.md).
    """
    if not can_operate(user):
        raise EnrolmentRefused("not an active operator")
    if confirmed_device(user) is not None:
        raise EnrolmentRefused("already enrolled")
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user, confirmed=False).delete()
        device = TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)
        token = signing.dumps({"user": user.pk, "device": device.pk}, salt=ENROL_LINK_SALT)
        link = absolute_url(reverse("operator:enrol_link", args=[token],
                                    urlconf=settings.PUBLIC_SCHEMA_URLCONF))
        record_action(sent_by, "two_factor_link_sent", target_operator_id=user.pk)
        hours = settings.OPERATOR_ENROL_LINK_MAX_AGE // 3600
        context = {"link": link, "hours": hours,
                   "login": absolute_url(reverse("operator:login",
                                                 urlconf=settings.PUBLIC_SCHEMA_URLCONF))}
        mail_each_after_commit("tenants/email/two_factor_link", context, [user.email],
                               language=settings.LANGUAGE_CODE)


def device_for_link(token: str | None, user) -> TOTPDevice | None:
    """The pending device a link (or the token kept in the session) lets `user` enrol;
    None when the link is forged, expired, someone else's, used or superseded."""
    if not token or not user.is_authenticated:
        return None
    try:
        claims = signing.loads(token, salt=ENROL_LINK_SALT,
                               max_age=settings.OPERATOR_ENROL_LINK_MAX_AGE)
    except signing.BadSignature:  # SignatureExpired included
        return None
    if not isinstance(claims, dict) or claims.get("user") != user.pk:
        return None
    return TOTPDevice.objects.filter(pk=claims.get("device"), user=user,
                                     confirmed=False).first()


def operators_without_device():
    """Active operators who have not enrolled a device yet (console list)."""
    return (members_with_role(Role.OPERATOR)
            .exclude(pk__in=TOTPDevice.objects.filter(confirmed=True).values("user_id")))


def ensure_device(user, secret_b32: str) -> TOTPDevice:
    """A confirmed device with a fixed secret (the demo operator's)."""
    device, _ = TOTPDevice.objects.update_or_create(
        user=user, name=DEVICE_NAME,
        defaults={"key": secret_to_hex(secret_b32), "confirmed": True},
    )
    return device


LOCK = CodeLock("operator-otp-failures", "OPERATOR_OTP_FAILURE_LIMIT",
                "OPERATOR_OTP_LOCKOUT_SECONDS")


def is_locked(user) -> bool:
    return LOCK.is_locked(user)


def check_code(request, device: TOTPDevice, code: str, *, action: str = "signed_in") -> bool:
    """Verify `code` against `device`; on success mark the session verified.

    Refuses everything while the operator is locked out. Confirms an enrolling device.
    """
    user = request.user
    result = LOCK.check(user, device, code)
    if result is CodeResult.REFUSED:
        return False
    if result is CodeResult.ENROLLED:
        record_action(user, "two_factor_enrolled")
    otp_login(request, device)
    record_action(user, action)
    return True
