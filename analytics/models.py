"""Platform-wide reference data (public schema)."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# Bumped whenever reference_items.csv changes; every estimate records it.
REFERENCE_FACTORS_VERSION = "2026.1"


class Basis(models.TextChoices):
    SOURCED = "S", _("Sourced")
    DERIVED = "D", _("Derived")
    ESTIMATED = "E", _("Estimated")


class ReferenceItem(models.Model):
    """A type of item with its typical unit weight and the CO2e a reuse avoids.

    Loaded from analytics/data/reference_items.csv (copied from shared/data, with
    its sources); categories of every authority point at one by `code`.
    """

    code = models.SlugField(_("code"), max_length=60, unique=True)
    family_fr = models.CharField(_("family"), max_length=120)
    label_fr = models.CharField(_("label"), max_length=200)
    typical_weight_kg = models.DecimalField(_("typical unit weight (kg)"), max_digits=9,
                                            decimal_places=3)
    weight_basis = models.CharField(max_length=1, choices=Basis.choices)
    weight_source = models.CharField(max_length=300, blank=True)
    co2e_kg_per_item = models.DecimalField(_("kg CO2e avoided per item"), max_digits=9,
                                           decimal_places=3)
    co2e_basis = models.CharField(max_length=1, choices=Basis.choices)
    co2e_source = models.CharField(max_length=300, blank=True)
    agec_category = models.CharField(max_length=200, blank=True)
    rep_stream = models.CharField(max_length=100, blank=True)
    version = models.CharField(max_length=20, default=REFERENCE_FACTORS_VERSION)

    class Meta:
        ordering = ["family_fr", "label_fr"]

    def __str__(self) -> str:
        return self.label_fr


class FactorOverride(models.Model):
    """An authority's own figure for a reference item type (e.g. its chairs are heavier).

    Beats the ReferenceItem figure for that authority; either figure may stay empty,
    and then the reference one applies. `source` says where the figure comes from.
    """

    authority = models.ForeignKey("tenants.Authority", on_delete=models.CASCADE,
                                  related_name="factor_overrides",
                                  verbose_name=_("authority"))
    reference_code = models.SlugField(_("reference item"), max_length=60)
    weight_kg = models.DecimalField(_("typical unit weight (kg)"), max_digits=9,
                                    decimal_places=3, null=True, blank=True)
    co2e_kg_per_item = models.DecimalField(_("kg CO2e avoided per item"), max_digits=9,
                                           decimal_places=3, null=True, blank=True)
    source = models.CharField(max_length=300, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["authority", "reference_code"]
        constraints = [
            models.UniqueConstraint(fields=["authority", "reference_code"],
                                    name="factor_override_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.authority_id}/{self.reference_code}"


class Destination(models.TextChoices):
    """Where the items of a transfer went (from exchange.models.ClosureReason)."""

    SAME_AUTHORITY = "same_authority", _("Exchanged with a service of the authority")
    OTHER_AUTHORITY = "other_authority", _("Exchanged with another authority")
    PARTNER = "partner", _("Given to an outside partner")
    DISCARDED = "discarded", _("Thrown away or recycled")
    UNAVAILABLE = "unavailable", _("No longer available")
    WITHDRAWN = "withdrawn", _("Withdrawn")


# Destinations where the items were reused: only these avoid weight and CO2e.
REUSE_DESTINATIONS = (Destination.SAME_AUTHORITY, Destination.OTHER_AUTHORITY,
                      Destination.PARTNER)


class TransferFact(models.Model):
    """One exchange.Transfer of one authority, as statistics need it.

    Written after commit by exchange.services.close_listing (analytics.facts), rebuilt
    by `manage.py rebuild_facts`. Holds no personal data: no person's name, no e-mail,
    no free text — services are organisational units.
    """

    authority = models.ForeignKey("tenants.Authority", on_delete=models.PROTECT,
                                  related_name="transfer_facts")
    transfer_id = models.BigIntegerField()
    listing_id = models.BigIntegerField()
    date = models.DateField(help_text="The transfer's date in Europe/Paris.")
    family = models.CharField(max_length=200, blank=True)
    category = models.CharField(max_length=200)
    reference_code = models.SlugField(max_length=60, blank=True)
    destination = models.CharField(max_length=20, choices=Destination.choices)
    quantity = models.PositiveIntegerField()
    value_eur = models.DecimalField(max_digits=12, decimal_places=2)
    weight_kg = models.DecimalField(max_digits=12, decimal_places=3)
    weight_is_estimated = models.BooleanField(default=True)
    weight_avoided_kg = models.DecimalField(max_digits=12, decimal_places=3)
    co2e_avoided_kg = models.DecimalField(max_digits=12, decimal_places=3)
    factors_version = models.CharField(max_length=40)
    giver_service = models.CharField(max_length=200, blank=True)
    receiver_service = models.CharField(max_length=200, blank=True)
    # Another authority that received the items (destination other_authority): its
    # figures count them as a purchase avoided; totals across authorities count the
    # fact once, on the giver's side.
    receiver_authority = models.ForeignKey("tenants.Authority", null=True, blank=True,
                                           on_delete=models.PROTECT, related_name="+")
    # The partner (public schema) that received the items (destination partner).
    receiver_partner_id = models.BigIntegerField(null=True, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["authority", "date", "transfer_id"]
        constraints = [
            models.UniqueConstraint(fields=["authority", "transfer_id"],
                                    name="transfer_fact_unique"),
        ]
        indexes = [
            models.Index(fields=["authority", "date"], name="transfer_fact_by_date"),
            models.Index(fields=["receiver_authority", "date"], name="transfer_fact_received",
                         condition=models.Q(receiver_authority__isnull=False)),
        ]

    def __str__(self) -> str:
        return f"{self.authority_id}/{self.transfer_id}"
