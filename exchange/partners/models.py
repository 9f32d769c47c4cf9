"""Partners (public schema): outside organisations that take what agents did not.

A Partner is granted access by authorities (PartnerGrant, with scopes and a donation
agreement), calls the partner API with an ApiKey (stored hashed), may receive webhooks
(WebhookEndpoint, WebhookDelivery) and asks for items (PartnerRequest). Every table
lives in the public schema: a partner works with several authorities.
"""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tenants.validators import validate_siret


class PartnerKind(models.TextChoices):
    ASSOCIATION = "association", _("Association")
    INSERTION = "insertion", _("Insertion enterprise")
    RESSOURCERIE = "ressourcerie", _("Ressourcerie or recyclerie")
    SCHOOL = "school", _("School")
    WORKS_COUNCIL = "works_council", _("Works council (CSE)")
    REPORTING = "reporting", _("Reporting tool")
    OTHER = "other", _("Other")


class Partner(models.Model):
    legal_name = models.CharField(_("legal name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=PartnerKind.choices)
    siret = models.CharField(_("SIRET"), max_length=14, unique=True,
                             validators=[validate_siret])
    contact_name = models.CharField(_("contact name"), max_length=200)
    contact_email = models.EmailField(_("contact e-mail"))
    contact_phone = models.CharField(_("contact phone"), max_length=30, blank=True)
    departements = ArrayField(
        models.CharField(max_length=3, validators=[RegexValidator(r"^(\d{2,3}|2[AB])$")]),
        verbose_name=_("départements served"), default=list, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["legal_name", "id"]
        verbose_name = _("partner")
        verbose_name_plural = _("partners")

    def __str__(self) -> str:
        return self.legal_name


class Scope(models.TextChoices):
    LISTINGS_READ = "listings:read", _("Read the offered listings")
    LISTINGS_REQUEST = "listings:request", _("Ask for an offered listing")
    STATS_READ = "stats:read", _("Read the statistics")


def agreement_path(instance, filename: str) -> str:
    return f"partners/agreements/{instance.partner_id}/{filename}"


class PartnerGrant(models.Model):
    """An authority lets a partner in, for some scopes, under a donation agreement."""

    authority = models.ForeignKey("tenants.Authority", on_delete=models.CASCADE,
                                  related_name="partner_grants")
    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="grants")
    scopes = ArrayField(models.CharField(max_length=20, choices=Scope.choices), default=list)
    agreement = models.FileField(_("donation agreement (PDF)"), upload_to=agreement_path,
                                 blank=True)
    agreement_reference = models.CharField(_("agreement reference"), max_length=100,
                                           blank=True)
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    granted_by = models.CharField(max_length=254, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.CharField(max_length=254, blank=True)
    # The grant reads nothing until the partner accepts it (signed link e-mailed to
    # its contact address, exchange/partners/acceptance.py).
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    accepted_by = models.CharField(max_length=254, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["authority", "partner"],
                                    condition=Q(revoked_at__isnull=True),
                                    name="partner_grant_one_live"),
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(valid_from__isnull=True)
                | Q(valid_until__gte=models.F("valid_from")),
                name="partner_grant_dates_ordered"),
        ]

    def __str__(self) -> str:
        return f"{self.authority_id} → {self.partner_id} {self.scopes}"

    @property
    def scope_labels(self) -> list[str]:
        """The scopes in words (current language)."""
        return [str(Scope(scope).label) for scope in self.scopes if scope in Scope.values]

    @property
    def is_pending(self) -> bool:
        """Not revoked, not accepted by the partner yet."""
        return self.revoked_at is None and self.accepted_at is None


class ApiKey(models.Model):
    """A partner's key: `<prefix>.<secret>`; only a hash of the secret is kept.

    A key belongs to a grant (created by that authority's admin: it reads that
    authority's data only, and dies with the grant) or to no grant (operator-issued:
    it reads what the partner's accepted, live grants allow)."""

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(max_length=16, unique=True)
    secret_hash = models.CharField(max_length=128)
    # The authority whose admin created it (null: created by an operator).
    authority = models.ForeignKey("tenants.Authority", null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="+")
    # The grant it reads through (null: operator-issued, partner-wide). CASCADE, never
    # SET_NULL: a grant key must not turn into a partner-wide one.
    grant = models.ForeignKey(PartnerGrant, null=True, blank=True, on_delete=models.CASCADE,
                              related_name="api_keys")
    created_by = models.CharField(max_length=254)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.CharField(max_length=254, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.prefix} ({self.name})"

    @property
    def is_usable(self) -> bool:
        return self.revoked_at is None and (self.expires_at is None
                                            or self.expires_at > timezone.now())

    @property
    def is_operator_issued(self) -> bool:
        return self.grant_id is None


class WebhookEvent(models.TextChoices):
    LISTING_OFFERED = "listing.offered", "listing.offered"
    LISTING_WITHDRAWN = "listing.withdrawn", "listing.withdrawn"
    REQUEST_ANSWERED = "request.answered", "request.answered"


class WebhookEndpoint(models.Model):
    """Where a partner wants events POSTed, signed with `secret` (HMAC-SHA256)."""

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="webhooks")
    url = models.URLField(_("URL"), max_length=500)
    secret = models.CharField(max_length=64)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["partner", "id"]

    def __str__(self) -> str:
        return self.url


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Waiting")
    SENDING = "sending", _("Being sent")  # claimed by a worker (core.sending)
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed, will be retried")
    ABANDONED = "abandoned", _("Abandoned")
    # The authority is no longer served (suspended, closed, data deleted) or the
    # partner's access ended before the event went out: never sent.
    SKIPPED = "skipped", _("Not sent: access ended")


class WebhookDelivery(models.Model):
    """One event for one endpoint, and how sending it went."""

    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE,
                                 related_name="deliveries")
    # The authority the event is about: its admin reads the line.
    authority = models.ForeignKey("tenants.Authority", null=True, on_delete=models.SET_NULL,
                                  related_name="+")
    event = models.CharField(max_length=30, choices=WebhookEvent.choices)
    payload = models.JSONField()
    status = models.CharField(max_length=10, choices=DeliveryStatus.choices,
                              default=DeliveryStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    next_retry_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    delivered_at = models.DateTimeField(null=True, blank=True)
    # When a worker claimed it for the attempt under way (core.sending).
    claimed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["next_retry_at"], name="webhook_delivery_due",
                         condition=Q(status__in=["pending", "failed"])),
            models.Index(fields=["claimed_at"], name="webhook_delivery_sending",
                         condition=Q(status="sending")),
            models.Index(fields=["authority", "-created_at"], name="webhook_delivery_by_auth"),
        ]

    def __str__(self) -> str:
        return f"{self.event} → {self.endpoint_id} ({self.status})"


class RequestStatus(models.TextChoices):
    PENDING = "pending", _("Waiting to be sent")
    SENT = "sent", _("Sent to the poster")
    ACCEPTED = "accepted", _("Given to the partner")
    DECLINED = "declined", _("Gone elsewhere")


class PartnerRequest(models.Model):
    """A partner asks an authority for an offered listing."""

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="requests")
    authority = models.ForeignKey("tenants.Authority", on_delete=models.CASCADE,
                                  related_name="partner_requests")
    listing_id = models.BigIntegerField()
    message = models.TextField(max_length=2000, blank=True)
    status = models.CharField(max_length=10, choices=RequestStatus.choices,
                              default=RequestStatus.PENDING)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["authority", "listing_id"],
                                name="partner_request_listing")]

    def __str__(self) -> str:
        return f"{self.partner_id} → {self.authority_id}/{self.listing_id}"


class PartnerAuditEntry(models.Model):
    """What an authority admin (or an operator) did with partners, grants and keys.
    Names only the acting account's e-mail; never a secret."""

    authority = models.ForeignKey("tenants.Authority", null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="+")
    actor_email = models.CharField(max_length=254)
    action = models.CharField(max_length=40)
    partner = models.ForeignKey(Partner, null=True, on_delete=models.SET_NULL,
                                related_name="+")
    details = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.action} by {self.actor_email}"
