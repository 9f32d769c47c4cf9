"""Which authority a verified ProConnect identity belongs to, and the hand-off of the
sign-in from the bare host to that authority's subdomain.

The hand-off: the bare host stores the verified claims in a `SignInHandoff` row (public
schema) and redirects to the subdomain with a token signed with the SECRET_KEY (salted)
that names the row and the authority. The subdomain checks the signature, the age
(≤ SSO_HANDOFF_MAX_AGE) and that the token is for itself, then deletes the row in the
same transaction that reads it: a token works once, whatever the race. No cookie
crosses hosts."""

from __future__ import annotations

import re
import secrets
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from tenants.crossing import in_public, live_authorities
from tenants.models import Authority, SignInHandoff

HANDOFF_SALT = "tenants.sso.handoff"
DIGITS = re.compile(r"\D")


class HandoffRefused(Exception):
    """A hand-off token that is forged, for another authority, expired or already used."""


def authorities_for(claims: dict) -> list[Authority]:
    """The live authorities the identity belongs to: by its organisation first (the
    `siret` claim's SIREN is the authority's, or the SIREN or SIRET is one the
    authority lists), else by the e-mail's domain. Empty: no authority."""
    siret = DIGITS.sub("", str(claims.get("siret") or ""))
    if len(siret) == 14:
        siren = siret[:9]
        found = list(live_authorities().filter(
            Q(siren=siren) | Q(sso_organisations__overlap=[siren, siret])))
        if found:
            return found
    email = str(claims.get("email") or "")
    if "@" not in email:
        return []
    domain = email.rsplit("@", 1)[1].strip().lower()
    # Domains are stored lower-case (tenants.services._create_authority).
    return list(live_authorities().filter(allowed_email_domains__contains=[domain]))


def prune_expired_handoffs() -> int:
    """Delete the hand-offs nobody took over in time (their claims are personal data):
    at each hand-off, and every five minutes (tenants.tasks). Public schema."""
    deleted, _ = SignInHandoff.objects.filter(expires_at__lt=timezone.now()).delete()
    return deleted


def issue_handoff(authority: Authority, *, claims: dict, id_token: str,
                  binding: str = "") -> str:
    """Store the verified sign-in (bare host, public schema) and return its token.
    `binding`: the value of the cookie the subdomain set when the sign-in started there."""
    now = timezone.now()
    prune_expired_handoffs()
    handoff = SignInHandoff.objects.create(
        nonce=secrets.token_urlsafe(32), authority=authority, claims=claims,
        id_token=id_token, binding=binding[:64],
        expires_at=now + timedelta(seconds=settings.SSO_HANDOFF_MAX_AGE))
    return signing.dumps({"n": handoff.nonce, "a": authority.pk}, salt=HANDOFF_SALT)


def _read_token(token: str, authority: Authority) -> str:
    try:
        data = signing.loads(token, salt=HANDOFF_SALT, max_age=settings.SSO_HANDOFF_MAX_AGE)
    except signing.BadSignature as error:  # SignatureExpired is one
        raise HandoffRefused(str(error)) from error
    if not isinstance(data, dict) or data.get("a") != authority.pk:
        raise HandoffRefused("token for another authority")
    return str(data.get("n"))


def pending_handoff(token: str, authority: Authority) -> SignInHandoff:
    """The sign-in `token` hands to `authority`, NOT used up (to show it before the
    agent confirms). Raises HandoffRefused."""
    nonce = _read_token(token, authority)
    with in_public(purpose="ProConnect sign-in hand-off"):
        handoff = SignInHandoff.objects.filter(nonce=nonce, authority_id=authority.pk,
                                               expires_at__gt=timezone.now()).first()
    if handoff is None:
        raise HandoffRefused("token already used, expired or unknown")
    return handoff


def consume_handoff(token: str, authority: Authority, *, binding: str | None) -> SignInHandoff:
    """The sign-in `token` hands to `authority` (the subdomain's), used up. A bound
    hand-off needs the same `binding` (the browser's cookie); an unbound one needs
    `binding` None (the agent confirmed with a POST). Raises HandoffRefused."""
    nonce = _read_token(token, authority)
    with in_public(purpose="ProConnect sign-in hand-off"), transaction.atomic():
        handoff = (SignInHandoff.objects.select_for_update()
                   .filter(nonce=nonce, authority_id=authority.pk).first())
        if handoff is None:
            raise HandoffRefused("token already used or unknown")
        if handoff.binding and not (binding and secrets.compare_digest(handoff.binding,
                                                                       binding)):
            raise HandoffRefused("token of another browser")
        if not handoff.binding and binding is not None:
            raise HandoffRefused("unbound token not confirmed")
        handoff.delete()
    if handoff.expires_at <= timezone.now():
        raise HandoffRefused("token expired")
    return handoff
