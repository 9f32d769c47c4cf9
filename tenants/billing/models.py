"""Billing rows (public schema): details per authority, invoices, Stripe events seen."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tenants.models import Authority


class BillingProfile(models.Model):
    """What the invoice shows (legal name, address, Chorus Pro service code, purchase
    order; the SIRET is the authority's own, `Authority.siret`) and the authority's
    Stripe customer and subscription, if any."""

    authority = models.OneToOneField(Authority, on_delete=models.CASCADE,
                                     related_name="billing", verbose_name=_("authority"))
    legal_name = models.CharField(_("legal name"), max_length=200, blank=True)
    address_line1 = models.CharField(_("address"), max_length=200, blank=True)
    address_line2 = models.CharField(_("address (continued)"), max_length=200, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=10, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    billing_email = models.EmailField(_("invoices e-mailed to"), blank=True,
                                      help_text=_("The accounts department's address."))
    chorus_service_code = models.CharField(
        _("Chorus Pro service code"), max_length=100, blank=True,
        help_text=_("The “code service” your invoices must carry in Chorus Pro, if any."))
    purchase_order = models.CharField(_("purchase order number"), max_length=50, blank=True)
    plan = models.CharField(_("plan"), max_length=30, blank=True)
    stripe_customer_id = models.CharField(max_length=100, blank=True)
    stripe_subscription_id = models.CharField(max_length=100, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("billing details")
        verbose_name_plural = _("billing details")

    def __str__(self) -> str:
        return self.legal_name or str(self.authority)


class InvoiceStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    OPEN = "open", _("Awaiting payment")
    PAID = "paid", _("Paid")
    OVERDUE = "overdue", _("Overdue")
    VOID = "void", _("Void")
    UNCOLLECTIBLE = "uncollectible", _("Uncollectible")


class Invoice(models.Model):
    """A Stripe invoice of an authority, kept up to date by the webhook."""

    authority = models.ForeignKey(Authority, on_delete=models.PROTECT, related_name="invoices",
                                  verbose_name=_("authority"))
    stripe_invoice_id = models.CharField(max_length=100, unique=True)
    number = models.CharField(_("number"), max_length=100, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=InvoiceStatus.choices,
                              default=InvoiceStatus.DRAFT)
    amount_due = models.PositiveIntegerField(_("amount due (cents)"), default=0)
    currency = models.CharField(max_length=3, default="eur")
    due_date = models.DateField(_("due date"), null=True, blank=True)
    hosted_invoice_url = models.URLField(max_length=500, blank=True)
    overdue_alerted_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)
    # `created` of the last Stripe event applied to this invoice: Stripe does not deliver
    # events in order, and an older one (invoice.finalized after invoice.paid) must not
    # reopen a paid invoice.
    last_event_created = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")
        ordering = ["-due_date", "-pk"]
        indexes = [models.Index(fields=["status", "due_date"], name="invoice_by_status")]

    def __str__(self) -> str:
        return self.number or self.stripe_invoice_id

    @property
    def amount_eur(self) -> float:
        return self.amount_due / 100


class StripeEvent(models.Model):
    """A Stripe event already handled: its id is stored once, so a replay is a no-op."""

    event_id = models.CharField(max_length=100, unique=True)
    type = models.CharField(max_length=100)
    received_at = models.DateTimeField(default=timezone.now)
    # When Stripe created the event, and whether it changed anything: an event older
    # than the last one applied to its invoice is recorded but not applied.
    created = models.DateTimeField(null=True, blank=True)
    applied = models.BooleanField(default=True)

    def __str__(self) -> str:
        return f"{self.event_id} ({self.type})"
