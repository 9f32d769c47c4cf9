"""Authorities (tenants) and their domains. These tables live in the public schema."""

from datetime import date, timedelta

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_tenants.models import DomainMixin, TenantMixin

from tenants.validators import (
    validate_authority_slug,
    validate_departement,
    validate_siren,
    validate_siret_of,
)


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


# THE "live" rule's statuses: a live authority is in one of them, has its data and is
# not the platform row (`Authority.serves_data`; tenants.crossing.live_authorities is the
# same rule for querysets).
LIVE_STATUSES = (AuthorityStatus.TRIAL, AuthorityStatus.ACTIVE)

TRIAL_DAYS = 30


def default_trial_end() -> date:
    """A trial lasts 30 days from the authority's creation."""
    return timezone.localdate() + timedelta(days=TRIAL_DAYS)


def schema_name_for(slug: str) -> str:
    """The PostgreSQL schema of an authority: its slug with hyphens as underscores.

    Slugs never contain underscores, so the mapping is one-to-one.
    """
    return slug.replace("-", "_")


class AuthorityManager(models.Manager):
    """Authorities that still have their data: a deleted one has no schema left, so every
    loop over authorities (django-tenants' migrate_schemas, periodic jobs, rebuilds)
    must skip it. `Authority.all_objects` sees them all (console, validation)."""

    def get_queryset(self):
        return super().get_queryset().filter(data_deleted_at__isnull=True)


class Authority(TenantMixin):
    """A local authority using the platform: one PostgreSQL schema, one subdomain.

    The row whose schema is `public` stands for the platform itself (landing page
    and operator console); django-tenants requires it.
    """

    name = models.CharField(_("official name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=AuthorityKind.choices)
    siren = models.CharField(_("SIREN"), max_length=9, blank=True)
    # The one home of the SIRET (its SIREN + the establishment number): invoices and the
    # loi AGEC declaration both read it.
    siret = models.CharField(_("SIRET"), max_length=14, blank=True,
                             help_text=_("14 digits: the SIREN and the establishment's "
                                         "number."))
    slug = models.CharField(_("address"), max_length=40, unique=True,
                            validators=[validate_authority_slug])
    status = models.CharField(_("status"), max_length=20, choices=AuthorityStatus.choices,
                              default=AuthorityStatus.TRIAL)
    allowed_email_domains = ArrayField(
        models.CharField(max_length=253), default=list, blank=True,
        verbose_name=_("allowed e-mail domains"),
        help_text=_("Agents may sign up only with an address in one of these domains."),
    )
    # ProConnect sign-in (tenants/sso/): an agent whose `siret` claim's SIREN is the
    # authority's, or is one of these (or whose SIRET is one of these), belongs here.
    sso_organisations = ArrayField(
        models.CharField(max_length=14, validators=[RegexValidator(
            r"^(\d{9}|\d{14})$", _("A SIREN has 9 digits, a SIRET 14."))]),
        default=list, blank=True, verbose_name=_("establishments and communes (SIREN/SIRET)"),
        help_text=_("Organisations whose agents sign in here with ProConnect, besides "
                    "the authority itself."),
    )
    # "SSO only": its agents sign in with ProConnect only (no password sign-in, sign-up
    # or password reset); its administrators keep their password as a way back in.
    sso_only = models.BooleanField(
        _("ProConnect only"), default=False,
        help_text=_("Agents sign in with ProConnect only; administrators keep their "
                    "password."))
    # Where and how large: statistics group authorities by département, billing plans
    # follow the population, partners filter offers by the départements they serve.
    departement = models.CharField(
        _("département"), max_length=3, blank=True, validators=[validate_departement],
        help_text=_("INSEE code: 01 to 95, 2A, 2B, 971 to 976."))
    population = models.PositiveIntegerField(_("population"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    trial_ends_at = models.DateField(_("end of trial"), default=default_trial_end)
    # Offboarding (tenants/offboarding/): set when the schema and media were deleted; the
    # row stays for the anonymised statistics facts that point at it.
    data_deleted_at = models.DateTimeField(_("data deleted at"), null=True, blank=True)

    auto_create_schema = True
    auto_drop_schema = False

    objects = AuthorityManager()
    all_objects = models.Manager()

    class Meta:
        # Uniqueness checks (slug, SIREN) and forms see deleted authorities too.
        default_manager_name = "all_objects"
        verbose_name = _("authority")
        verbose_name_plural = _("authorities")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(schema_name="public") | Q(siren__regex=r"^\d{9}$"),
                name="authority_siren_9_digits",
            ),
            models.CheckConstraint(
                condition=Q(siret="") | Q(siret__regex=r"^\d{14}$"),
                name="authority_siret_14_digits",
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
        """True while the authority is live: trial or active, data not deleted, not the
        platform row. Suspended, closed and deleted authorities show a notice and no data
        (tenants.crossing.is_live and live_authorities apply the same rule)."""
        return (not self.is_public and self.status in LIVE_STATUSES
                and self.data_deleted_at is None)

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
            if self.siret:
                try:
                    validate_siret_of(self.siret, self.siren)
                except ValidationError as error:
                    raise ValidationError({"siret": error}) from error


class Domain(DomainMixin):
    """A host name that serves one authority (`<slug>.<BASE_DOMAIN>`)."""

    class Meta:
        verbose_name = _("domain")
        verbose_name_plural = _("domains")


class SpareSchema(models.Model):
    """A schema built ahead of time from the template schema, fully migrated and empty,
    waiting to become a new authority's by `ALTER SCHEMA … RENAME TO` (tenants/
    provisioning.py). It is no authority and has no domain: nothing but provisioning and
    the release step (which renews the pool) ever sees it. Internal: no page shows it."""

    schema_name = models.CharField(max_length=63, unique=True)
    # Digest of the migration graph's leaves the schema holds (provisioning.migrations_key):
    # a spare whose key is not the running code's is never taken, only renewed.
    migrations_key = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.schema_name


ACTION_LABELS = {
    "signed_in": _("Signed in (two-factor)"),
    "two_factor_enrolled": _("Enrolled a two-factor device"),
    "two_factor_link_sent": _("E-mailed a two-factor enrolment link"),
    "status_changed": _("Changed the status"),
    "trial_reminder": _("Trial reminder sent"),
    "authority_created": _("Created the authority"),
    "export_requested": _("Requested a data export"),
    "export_downloaded": _("Downloaded a data export"),
    "data_deleted": _("Deleted the authority's data"),
    "authority_imported": _("Imported an authority from an export"),
    "invoice_overdue": _("Invoice overdue"),
    "billing_updated": _("Changed the billing details"),
    "billing_failed": _("Stripe subscription not created"),
    "sign_in_settings_changed": _("Changed the ProConnect settings"),
}


class OperatorAction(models.Model):
    """One line of the operator console's audit log (public schema).

    `details` never holds personal data beyond the acting operator's own e-mail.
    An action without actor was taken by the platform itself (e.g. a reminder).
    """

    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                              blank=True, related_name="+", verbose_name=_("operator"))
    action = models.CharField(_("action"), max_length=40)
    authority = models.ForeignKey(Authority, on_delete=models.SET_NULL, null=True, blank=True,
                                  related_name="operator_actions",
                                  verbose_name=_("authority"))
    details = models.JSONField(_("details"), default=dict, blank=True)
    created_at = models.DateTimeField(_("date"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("operator action")
        verbose_name_plural = _("operator actions")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.action} ({self.created_at:%Y-%m-%d %H:%M})"

    @property
    def label(self) -> str:
        return str(ACTION_LABELS.get(self.action, self.action))

    @property
    def status_change(self) -> tuple[str, str] | None:
        """(old, new) status labels of a status change, for display."""
        if self.action != "status_changed":
            return None
        labels = dict(AuthorityStatus.choices)
        old, new = self.details.get("old"), self.details.get("new")
        return str(labels.get(old, old)), str(labels.get(new, new))


class ExportStatus(models.TextChoices):
    PENDING = "pending", _("Waiting")
    RUNNING = "running", _("In progress")
    DONE = "done", _("Ready")
    FAILED = "failed", _("Failed")


class AuthorityExport(models.Model):
    """One complete export (ZIP) of an authority's data, built by a Celery task.

    The file sits in the default storage under `exports/<schema>/…` of the public
    schema's media, so that deleting the authority's own media keeps it. Media are
    never served by URL: the file is downloaded through a role-checked view.
    `requested_by` is the requester's e-mail (an operator or the authority's admin).
    """

    authority = models.ForeignKey(Authority, on_delete=models.CASCADE, related_name="exports",
                                  verbose_name=_("authority"))
    status = models.CharField(_("status"), max_length=20, choices=ExportStatus.choices,
                              default=ExportStatus.PENDING)
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    file_name = models.CharField(_("file"), max_length=300, blank=True)
    size = models.BigIntegerField(_("size (bytes)"), default=0)
    sha256 = models.CharField(max_length=64, blank=True)
    requested_by = models.CharField(_("requested by"), max_length=254, blank=True)
    by_operator = models.BooleanField(_("requested by an operator"), default=False)
    error = models.CharField(_("error"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("requested at"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("data export")
        verbose_name_plural = _("data exports")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(progress__lte=100),
                                   name="authority_export_progress_max_100"),
        ]

    def __str__(self) -> str:
        return f"{self.authority_id}/{self.pk} ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in (ExportStatus.DONE, ExportStatus.FAILED)

    @property
    def download_name(self) -> str:
        return f"collectivrecup-{self.authority.slug}-{self.created_at:%Y%m%d-%H%M}.zip"


class SignInHandoff(models.Model):
    """A ProConnect sign-in verified on the bare host, waiting for the authority's
    subdomain to take it over (tenants/sso/services.py). The redirect carries a signed
    token naming `nonce`; the row is deleted when consumed, so a token works once, and
    it is refused after `expires_at` (SSO_HANDOFF_MAX_AGE seconds). `claims` are the
    verified identity claims the subdomain needs, nothing more."""

    nonce = models.CharField(max_length=64, unique=True)
    authority = models.ForeignKey(Authority, on_delete=models.CASCADE, related_name="+")
    claims = models.JSONField(default=dict)
    id_token = models.TextField(blank=True)
    # A sign-in started on the subdomain is bound to that browser: the subdomain set a
    # cookie with this value before sending it to the bare host (login CSRF). Empty for a
    # sign-in started on the bare host: the subdomain then asks the agent to confirm.
    binding = models.CharField(max_length=64, blank=True)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = _("sign-in hand-off")
        verbose_name_plural = _("sign-in hand-offs")

    def __str__(self) -> str:
        return f"hand-off to {self.authority_id} until {self.expires_at:%H:%M:%S}"
