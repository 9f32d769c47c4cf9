"""Writes on authorities: creation, status changes."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction

from analytics.services import ensure_stats_settings
from core.links import authority_host
from exchange.listings.services import seed_categories
from tenants.crossing import PlatformWork, in_authority
from tenants.models import Authority, AuthorityKind, AuthorityStatus, Domain, schema_name_for
from tenants.provisioning import create_schema, prepare_template
from tenants.validators import validate_email_domain


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
    """Create an authority, its schema, its subdomain, categories and settings.

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
    authority.auto_create_schema = False  # created below, from the template schema
    authority.save()
    create_schema(authority)
    Domain.objects.create(domain=authority_host(slug), tenant=authority, is_primary=True)
    with in_authority(authority, ground=PlatformWork("seed a new authority's categories")):
        seed_categories()  # and its exchange settings row
    ensure_stats_settings(authority)  # rows the settings pages read, never create
    return authority
