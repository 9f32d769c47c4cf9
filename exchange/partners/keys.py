"""API keys: `<prefix>.<secret>`. The prefix is visible (lists, logs); the secret is
shown once and kept as a SHA-256 digest.

SHA-256 rather than a slow password hash: the secret is 256 random bits, so nothing
can be guessed from its digest, and the key is checked on every request (a slow hash
would cost ~100 ms each). GitHub and Stripe keep API tokens the same way.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

PREFIX_LENGTH = 10  # hex characters after "cr_"


def new_key() -> tuple[str, str, str]:
    """A fresh key: (prefix, secret, full key the partner sends)."""
    prefix = "cr_" + secrets.token_hex(PREFIX_LENGTH // 2)
    secret = secrets.token_urlsafe(32)
    return prefix, secret, f"{prefix}.{secret}"


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def matches(secret: str, stored_digest: str) -> bool:
    return hmac.compare_digest(digest(secret), stored_digest)


def split(raw: str) -> tuple[str, str] | None:
    """(prefix, secret) of a key as sent, or None when it is not one."""
    prefix, dot, secret = raw.strip().partition(".")
    if not dot or not prefix.startswith("cr_") or not secret or len(prefix) > 16:
        return None
    return prefix, secret
