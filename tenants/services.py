"""Writes on authorities and operators: the platform row, a new authority (created, then
provisioned with its first administrator), a platform operator.

Status changes are tenants/lifecycle.py's; exports, deletion and import are
tenants/offboarding/'s.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.core.validators import validate_email
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from accounts.models import AccessChannel, Role, User
from accounts.services import person_label, record_access_change
from core.links import absolute_url, authority_host
from core.mail import after_commit_in_language
from tenants.audit import record_action
from tenants.background import after_commit, queue_quietly
from tenants.crossing import PlatformWork, in_authority, in_public
from tenants.models import Authority, AuthorityKind, AuthorityStatus, Domain, schema_name_for
from tenants.provisioning import create_schema, prepare_template, run_provisioning_steps
from tenants.tasks import refill_spare_schemas
from tenants.validators import validate_email_domain


@dataclass(frozen=True)
class Provisioned:
    authority: Authority
    invitation_url: str


def ensure_public_tenant() -> Authority:
    """The platform's own row (schema `public`) and its bare-host domain. Idempotent."""
    public, _ = Authority.objects.get_or_create(
        schema_name=settings.PUBLIC_SCHEMA_NAME,
        defaults={
            "name": "Collectiv'Récup",
            "kind": AuthorityKind.OTHER,
            "slug": "public",
            "status": AuthorityStatus.ACTIVE,
        },
    )
    Domain.objects.get_or_create(
        domain=settings.BASE_DOMAIN, defaults={"tenant": public, "is_primary": True}
    )
    return public


def create_authority(*, name: str, kind: str, siren: str, slug: str,
                     email_domains: list[str] | None = None,
                     status: str = AuthorityStatus.TRIAL, departement: str = "",
                     population: int | None = None) -> Authority:
    """Create an authority, its schema, its subdomain, and what the apps above need in it
    (categories, exchange and statistics settings: their provisioning steps).

    The schema is built from the template schema's pre-rendered DDL (see
    tenants/provisioning.py); provision_authority() adds the first administrator.

    Validation errors (bad SIREN, reserved or taken slug) raise ValidationError
    before anything is written.
    """
    prepare_template()  # a stale template is migrated outside the transaction
    with transaction.atomic():
        return _create_authority(name=name, kind=kind, siren=siren, slug=slug,
                                 email_domains=email_domains, status=status,
                                 departement=departement, population=population)


def _create_authority(*, name, kind, siren, slug, email_domains, status, departement="",
                      population=None) -> Authority:
    domains = [d.strip().lower() for d in email_domains or [] if d.strip()]
    errors = []
    for domain in domains:
        try:
            validate_email_domain(domain)
        except ValidationError as error:
            errors.extend(error.messages)
    authority = Authority(
        name=name,
        kind=kind,
        siren=siren,
        slug=slug,
        schema_name=schema_name_for(slug),
        status=status,
        allowed_email_domains=domains,
        departement=departement,
        population=population,
    )
    try:
        authority.full_clean()
    except ValidationError as error:
        if errors:
            error.error_dict.setdefault("allowed_email_domains", []).append(
                ValidationError(errors))
        raise
    if errors:
        raise ValidationError({"allowed_email_domains": errors})
    authority.auto_create_schema = False  # created below: a spare renamed, or the template
    authority.save()
    create_schema(authority)
    if settings.SPARE_SCHEMAS:  # one spare taken, or none was ready: top the pool up
        after_commit(queue_quietly, refill_spare_schemas)
    Domain.objects.create(domain=authority_host(slug), tenant=authority, is_primary=True)
    run_provisioning_steps(authority)  # rows the apps' pages read, never create
    return authority


# --- Provisioning an authority: its first administrator ----------------------------------

def invitation_url(user: User, host: str) -> str:
    """One-time link (Django's password-reset token) to choose a first password."""
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    path = reverse("accounts:password_reset_confirm", kwargs={"uidb64": uid, "token": token},
                   urlconf=settings.ROOT_URLCONF)
    return absolute_url(path, host)


def _send_invitation(email: str, link: str, authority_name: str, host: str) -> None:
    context = {"link": link, "authority_name": authority_name, "host": host}
    EmailMessage(
        subject=render_to_string("tenants/email/invitation_subject.txt", context).strip(),
        body=render_to_string("tenants/email/invitation_body.txt", context),
        to=[email],
    ).send()


def provision_authority(*, name: str, kind: str, siren: str, slug: str, admin_email: str,
                        email_domains: list[str] | None = None,
                        status: str | None = None, departement: str = "",
                        population: int | None = None, operator=None,
                        via: str = "platform") -> Provisioned:
    """Create an authority ready to use and invite its first administrator.

    Validation errors (bad SIREN, reserved or taken slug, bad e-mail) raise
    ValidationError before anything is written; any later failure rolls everything
    back, schema included. The invitation leaves after commit.

    Audited here, whoever calls it: the console's audit log gets "authority_created"
    (by `operator`, or by the platform when run from the command line, `via` saying
    which), and the authority's access journal gets its first administrator's roles.
    """
    admin_email = User.objects.normalize_email(admin_email or "").strip().lower()
    try:
        validate_email(admin_email)
    except ValidationError as error:
        raise ValidationError({"admin_email": error.messages}) from error
    prepare_template()  # a stale template is migrated now, outside the transaction
    extra = {"status": status} if status else {}
    with transaction.atomic():
        authority = create_authority(name=name, kind=kind, siren=siren, slug=slug,
                                     email_domains=email_domains, departement=departement,
                                     population=population, **extra)
        host = authority_host(authority.slug)
        with in_authority(authority, ground=PlatformWork("provisioning: first admin")):
            admin = User(email=admin_email, first_name="", last_name="",
                         roles=[Role.AGENT, Role.MODERATOR, Role.AUTHORITY_ADMIN],
                         email_verified_at=timezone.now())
            admin.set_unusable_password()
            admin.save()
            record_access_change(
                member=admin, roles_before=[], was_active=None,
                via=AccessChannel.ONBOARDING,
                actor_label=(person_label(operator) if operator is not None
                             else "manage.py onboard_authority"))
            link = invitation_url(admin, host)
        record_action(operator, "authority_created", authority, slug=authority.slug, via=via)
        after_commit_in_language(_send_invitation, admin_email, link, authority.name, host)
    return Provisioned(authority=authority, invitation_url=link)


# --- Operators --------------------------------------------------------------------------

def create_operator(*, email: str, first_name: str = "", last_name: str = "",
                    password: str | None = None) -> tuple[User, bool]:
    """A platform operator in the public schema, e-mail address taken as verified.

    Without `password` the account gets an unusable one, to be chosen through a
    password-set link. Idempotent: an existing account with this address is returned
    unchanged, with created=False. Raises ValidationError for a weak password.
    """
    email = User.objects.normalize_email(email).strip().lower()
    with in_public(purpose="create an operator"), transaction.atomic():
        existing = User.objects.filter(email__iexact=email).first()
        if existing is not None:
            return existing, False
        user = User(email=email, first_name=first_name.strip(), last_name=last_name.strip(),
                    roles=[Role.OPERATOR], email_verified_at=timezone.now())
        if password is not None:
            password_validation.validate_password(password, user)
        user.set_password(password)  # None: unusable
        user.save()
    return user, True


@transaction.atomic
def set_sign_in_settings(authority: Authority, *, organisations: list[str], sso_only: bool,
                         operator) -> Authority:
    """The authority's ProConnect settings (tenants/sso/), journalled in the operator
    log (SIRENs and SIRETs of organisations are no personal data)."""
    before = {"organisations": list(authority.sso_organisations),
              "sso_only": authority.sso_only}
    authority.sso_organisations = Authority._meta.get_field("sso_organisations").clean(
        list(organisations), authority)
    authority.sso_only = sso_only
    authority.save(update_fields=["sso_organisations", "sso_only"])
    after = {"organisations": authority.sso_organisations, "sso_only": authority.sso_only}
    if after != before:
        record_action(operator, "sign_in_settings_changed", authority, old=before, new=after)
    return authority
