"""Writes on accounts: sign-up, e-mail verification, user administration.

Every change of a member's roles or access is journalled here, by the service that
makes it (`record_access_change`), whoever calls it: the admin pages, the command
line, the onboarding of an authority, sign-up."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _

from accounts.models import AUTHORITY_ROLES, AccessChange, AccessChannel, Role, Service, User
from accounts.permissions import roles_grant_administration
from accounts.selectors import members_with_role
from accounts.tokens import email_verification_token
from core.links import absolute_url
from core.mail import after_commit_in_language


class SignupError(ValidationError):
    """A sign-up that cannot go through; the message is for the person signing up."""


def _send_verification(user: User, host: str, authority_name: str) -> None:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = email_verification_token.make_token(user)
    link = absolute_url(reverse("accounts:verify_email", args=[uid, token]), host,
                        public_port=False)
    context = {"user": user, "link": link, "authority_name": authority_name}
    message = EmailMessage(
        subject=render_to_string("accounts/email/verify_subject.txt", context).strip(),
        body=render_to_string("accounts/email/verify_body.txt", context),
        to=[user.email],
    )
    message.send()


def register_agent(*, authority, email: str, first_name: str, last_name: str,
                   service: Service | None, password: str, host: str) -> User:
    """Create an agent account awaiting e-mail verification and mail the link.

    Refused (SignupError) when the address is outside the authority's allowed
    domains or already has an account. The mail leaves after commit.
    """
    email = User.objects.normalize_email(email).strip().lower()
    if not authority.accepts_email(email):
        raise SignupError(
            _("Sign-up is reserved for addresses of %(domains)s.")
            % {"domains": ", ".join(authority.allowed_email_domains) or "—"},
            code="foreign_domain",
        )
    if User.objects.filter(email__iexact=email).exists():
        raise SignupError(_("An account already exists with this address."), code="taken")
    with transaction.atomic():
        user = User.objects.create_user(
            email=email, password=password, first_name=first_name.strip(),
            last_name=last_name.strip(), service=service, roles=[Role.AGENT],
        )
        record_access_change(actor=user, member=user, roles_before=[], was_active=None,
                             via=AccessChannel.SIGN_UP)
        after_commit_in_language(_send_verification, user, host, authority.name)
    return user


def verify_email(user: User) -> None:
    if user.email_verified_at is None:
        user.email_verified_at = timezone.now()
        user.save(update_fields=["email_verified_at"])


def person_label(user: User) -> str:
    """How the journal names someone: "Full Name <e-mail>"."""
    return (f"{user.full_name} <{user.email}>" if user.full_name else user.email)[:300]


def record_access_change(*, member: User, roles_before: list[str], was_active: bool | None,
                         via: str, actor: User | None = None,
                         actor_label: str = "") -> AccessChange | None:
    """Journal one change of `member`'s roles or access (in the current schema), made
    by `actor` (a member of this authority) or by someone named by `actor_label` (an
    operator, the command line). `was_active` None: the account was just created.
    Nothing is written when neither the roles nor the access changed."""
    roles_unchanged = sorted(roles_before) == sorted(member.roles)
    if was_active is not None and roles_unchanged and was_active == member.is_active:
        return None
    if actor is not None and not actor_label:
        actor_label = person_label(actor)
    if not actor_label:
        raise ValueError("an access change needs an actor or an actor label")
    return AccessChange.objects.create(
        actor=actor, actor_label=actor_label[:300], member=member,
        member_label=person_label(member), roles_before=list(roles_before),
        roles_after=list(member.roles), was_active=was_active, is_active=member.is_active,
        via=via)


@transaction.atomic
def update_member(*, actor: User | None, member: User, roles: list[str],
                  service: Service | None, is_active: bool,
                  via: str = AccessChannel.ADMIN_PAGE, actor_label: str = "") -> User:
    """Change a member's roles, service or access, and journal the change of roles or
    access. `actor` is the authority admin acting; without one (the command line)
    `actor_label` says who. An admin cannot lock themself out, and the authority
    keeps at least one active administrator."""
    roles = [r for r in dict.fromkeys(roles) if r in AUTHORITY_ROLES]
    if not roles:
        raise ValidationError(_("Choose at least one role."), code="no_role")
    if actor is not None and member.pk == actor.pk and not roles_grant_administration(
            roles, is_active):
        raise ValidationError(
            _("You cannot remove your own administrator role or deactivate yourself."),
            code="self_lockout",
        )
    current = User.objects.select_for_update().get(pk=member.pk)
    roles_before, was_active = list(current.roles), current.is_active
    if (roles_grant_administration(roles_before, was_active)
            and not roles_grant_administration(roles, is_active)
            and not members_with_role(Role.AUTHORITY_ADMIN).exclude(pk=member.pk).exists()):
        raise ValidationError(_("The authority must keep at least one active administrator."),
                              code="last_admin")
    member.roles = roles
    member.service = service
    member.is_active = is_active
    member.save(update_fields=["roles", "service", "is_active"])
    record_access_change(actor=actor, actor_label=actor_label, member=member,
                         roles_before=roles_before, was_active=was_active, via=via)
    return member

