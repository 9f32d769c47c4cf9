"""What a verified ProConnect identity does to the accounts of the authority whose
schema the connection points at (the subdomain that took the hand-off over).

- An account with the verified e-mail: it is that agent (a password account is linked
  by its e-mail); their names, unit and e-mail verification follow the claims.
- No account: one is created just in time when the e-mail is within the authority's
  e-mail domains (the agent then chooses their service), refused otherwise.
- Every attempt is recorded (accounts.models.SignInRecord), in this schema.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from accounts.models import (
    AccessChannel,
    Role,
    Service,
    SignInOutcome,
    SignInRecord,
    User,
)
from accounts.permissions import roles_granting_moderation
from accounts.services import person_label, record_access_change

NAME_MAX = 150


@dataclass(frozen=True)
class SignInResult:
    outcome: str
    user: User | None = None

    @property
    def signed_in(self) -> bool:
        return self.user is not None


def record_attempt(outcome: str, member: User | None = None, *,
                   method: str = "proconnect") -> SignInRecord:
    """Journal one attempt in the current schema. Only a member of this authority is
    named; a refusal before an account was found names nobody."""
    return SignInRecord.objects.create(
        method=method, outcome=outcome, member=member,
        member_label=person_label(member) if member else "")


def _names(claims: dict) -> dict:
    return {
        "first_name": str(claims.get("given_name", "")).strip()[:NAME_MAX],
        "last_name": str(claims.get("usual_name", "")).strip()[:NAME_MAX],
        "organizational_unit": str(claims.get("organizational_unit") or "").strip()[:300],
    }


@transaction.atomic
def sign_in_with_claims(*, authority, claims: dict, method: str = "proconnect",
                        via: str = AccessChannel.PROCONNECT,
                        grant_moderator: bool = False) -> SignInResult:
    """The account `claims` (verified by accounts.sso.oidc) sign in to, created or
    updated; or a refusal. `authority` is the current schema's authority.
    `grant_moderator` (an own provider's role mapping) adds the moderator role; no
    role is ever taken away here."""
    email = User.objects.normalize_email(str(claims.get("email", ""))).strip().lower()
    member = User.objects.select_for_update().filter(email__iexact=email).first()
    names = _names(claims)
    if member is None:
        if not email or not authority.accepts_email(email):
            record_attempt(SignInOutcome.OUTSIDE_DOMAINS, method=method)
            return SignInResult(SignInOutcome.OUTSIDE_DOMAINS)
        roles = roles_granting_moderation([Role.AGENT]) if grant_moderator else [Role.AGENT]
        member = User.objects.create_user(
            email=email, password=None, roles=roles,
            email_verified_at=timezone.now(), **names)
        record_access_change(actor=member, member=member, roles_before=[], was_active=None,
                             via=via)
        record_attempt(SignInOutcome.ACCOUNT_CREATED, member, method=method)
        return SignInResult(SignInOutcome.ACCOUNT_CREATED, member)
    if not member.is_active:
        record_attempt(SignInOutcome.INACTIVE, member, method=method)
        return SignInResult(SignInOutcome.INACTIVE)
    changed = [field for field, value in names.items()
               if value and getattr(member, field) != value]
    for field in changed:
        setattr(member, field, names[field])
    if member.email_verified_at is None:
        member.email_verified_at = timezone.now()
        changed.append("email_verified_at")
    roles_before = list(member.roles)
    if grant_moderator:  # added, never removed (an admin stays an admin)
        member.roles = roles_granting_moderation(roles_before)
        if member.roles != roles_before:
            changed.append("roles")
    if changed:
        member.save(update_fields=changed)
        record_access_change(actor=member, member=member, roles_before=roles_before,
                             was_active=True, via=via)
    record_attempt(SignInOutcome.SIGNED_IN, member, method=method)
    return SignInResult(SignInOutcome.SIGNED_IN, member)


def needs_service(user: User) -> bool:
    """A first ProConnect visit asks the agent for their service (when there are any)."""
    return user.service_id is None and Service.objects.filter(is_active=True).exists()


def choose_service(user: User, service) -> None:
    user.service = service
    user.save(update_fields=["service"])
