"""Authorities (tenants) and their domains. These tables live in the public schema."""

from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_tenants.models import DomainMixin, TenantMixin

from .validators import validate_authority_slug, validate_siren


class AuthorityKind(models.TextChoices):
    COMMUNE = "commune", _("Commune")
    EPCI = "epci", _("Intercommunality (EPCI)")
    DEPARTEMENT = "departement", _("Département")
    REGION = "region", _("Région")
    SYNDICAT = "syndicat", _("Joint association (syndicat)")
    OTHER = "other", _("Other public body")


class AuthorityStatus(models.TextChoices):
    TRIAL = "trial", _("Trial")
    ACTIVE = "active", _("Active")
    SUSPENDED = "suspended", _("Suspended")
    CLOSED = "closed", _("Closed")


def schema_name_for(slug: str) -> str:
    """The PostgreSQL schema of an authority: its slug with hyphens as underscores.

    Slugs never contain underscores, so the mapping is one-to-one.
    """
    return slug.replace("-", "_")


class Authority(TenantMixin):
    """A local authority using the platform: one PostgreSQL schema, one subdomain.

    The row whose schema is `public` stands for the platform itself (landing page
    and operator console); django-tenants requires it.
    """

    name = models.CharField(_("official name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=AuthorityKind.choices)
    siren = models.CharField(_("SIREN"), max_length=9, blank=True)
    slug = models.CharField(_("address"), max_length=40, unique=True,
                            validators=[validate_authority_slug])
    status = models.CharField(_("status"), max_length=20, choices=AuthorityStatus.choices,
                              default=AuthorityStatus.TRIAL)
    allowed_email_domains = ArrayField(
        models.CharField(max_length=253), default=list, blank=True,
        verbose_name=_("allowed e-mail domains"),
        help_text=_("Agents may sign up only with an address in one of these domains."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    auto_create_schema = True
    auto_drop_schema = False

    class Meta:
        verbose_name = _("authority")
        verbose_name_plural = _("authorities")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(schema_name="public") | Q(siren__regex=r"^\d{9}$"),
                name="authority_siren_9_digits",
            ),
            models.UniqueConstraint(
                fields=["siren"], condition=~Q(siren=""), name="authority_siren_unique",
                violation_error_message=_("An authority with this SIREN already exists."),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_public(self) -> bool:
        return self.schema_name == "public"

    @property
    def serves_data(self) -> bool:
        """Suspended and closed authorities show a notice and no data."""
        return self.status in (AuthorityStatus.TRIAL, AuthorityStatus.ACTIVE)

    def accepts_email(self, email: str) -> bool:
        domain = email.rsplit("@", 1)[-1].strip().lower()
        return domain in {d.lower() for d in self.allowed_email_domains}

    def clean(self) -> None:
        super().clean()
        if not self.is_public:
            try:
                validate_siren(self.siren)
            except ValidationError as error:
                raise ValidationError({"siren": error}) from error


class Domain(DomainMixin):
    """A host name that serves one authority (`<slug>.<BASE_DOMAIN>`)."""

    class Meta:
        verbose_name = _("domain")
        verbose_name_plural = _("domains")
