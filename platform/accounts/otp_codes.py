"""Checking a TOTP code with a lockout after repeated wrong codes: the one rule behind
the operators' second factor (tenants.two_factor) and the authority administrators'
break-glass sign-in (accounts.two_factor).

After `limit` wrong codes the account is locked for `seconds`, the right code
included; each failure restarts the lock period. The counter lives in the cache (keys
carry the schema, so an authority's administrators and the operators never share one).
django-otp's TOTPDevice refuses a time step already used: a code serves once."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from django.conf import settings
from django.core.cache import cache
from django_otp.plugins.otp_totp.models import TOTPDevice


class CodeResult(Enum):
    REFUSED = "refused"    # wrong, malformed, reused, or the account is locked
    VERIFIED = "verified"  # right code of a confirmed device
    ENROLLED = "enrolled"  # right first code: the device is now confirmed


@dataclass(frozen=True)
class CodeLock:
    """Wrong-code lockout of one kind of account; limit and duration read from the
    settings named (so tests may change them)."""

    prefix: str
    limit_setting: str
    seconds_setting: str

    def _key(self, user) -> str:
        return f"{self.prefix}:{user.pk}"

    def is_locked(self, user) -> bool:
        return cache.get(self._key(user), 0) >= getattr(settings, self.limit_setting)

    def record_failure(self, user) -> None:
        key, timeout = self._key(user), getattr(settings, self.seconds_setting)
        if not cache.add(key, 1, timeout):
            try:
                cache.incr(key)
            except ValueError:  # expired in between
                cache.set(key, 1, timeout)
            cache.touch(key, timeout)  # each failure restarts the lock period

    def check(self, user, device: TOTPDevice, code: str) -> CodeResult:
        """Check `code` (spaces allowed) against `device`, refusing everything while
        `user` is locked; a right code clears the failures and confirms an enrolling
        device."""
        if self.is_locked(user):
            return CodeResult.REFUSED
        code = (code or "").strip().replace(" ", "")
        if not (code.isdigit() and device.verify_token(code)):
            self.record_failure(user)
            return CodeResult.REFUSED
        cache.delete(self._key(user))
        if device.confirmed:
            return CodeResult.VERIFIED
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        return CodeResult.ENROLLED
