"""Platform-wide reference data (public schema)."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from analytics.agec_categories import agec_categories
from analytics.periods import semester_bounds

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
    """Where the items of a transfer went (from exchange.listings.models.ClosureReason)."""

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

    Written after commit by exchange.listings.services.closure.close_listing
    (analytics.facts), rebuilt by `manage.py rebuild_facts`. Holds no personal data: no
    person's name, no e-mail, no free text — services are organisational units.
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
    # The item type has no reference figure (a listing posted in a family itself, or an
    # item type without a reference item): weight and CO2e per item are the average of
    # the family's reference items — an estimate the moderators may refine (« Facteurs »).
    family_estimate = models.BooleanField(default=False)
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


# --- Issue 5, remaining parts (stream "stats") ------------------------------------------

class StatsSettings(models.Model):
    """An authority's statistics settings (public schema, one row per authority).

    `public_impact`: the authority opted in to the public impact page of the bare host.
    The SIRET of its AGEC declaration is the authority's own (`Authority.siret`).
    """

    authority = models.OneToOneField("tenants.Authority", on_delete=models.CASCADE,
                                     related_name="stats_settings")
    public_impact = models.BooleanField(
        _("show our figures on the public impact page"), default=False)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.authority_id}"


class CampaignStatus(models.TextChoices):
    OPEN = "open", _("To validate")
    VALIDATED = "validated", _("Validated")


class WeightCampaign(models.Model):
    """The six-monthly weight estimate of one authority for one semester.

    Opened on 1 January and 1 July (Celery beat) for the semester just ended. While
    open, its lines follow the facts; once validated it is locked: `validated_weight_kg`
    no longer moves and every later change is a WeightAdjustment."""

    authority = models.ForeignKey("tenants.Authority", on_delete=models.CASCADE,
                                  related_name="weight_campaigns")
    year = models.PositiveSmallIntegerField()
    semester = models.PositiveSmallIntegerField(choices=[(1, "S1"), (2, "S2")])
    status = models.CharField(max_length=12, choices=CampaignStatus.choices,
                              default=CampaignStatus.OPEN)
    created_at = models.DateTimeField(default=timezone.now)
    validated_at = models.DateTimeField(null=True, blank=True)
    # Who validated: the user's id in the authority's schema and their e-mail, for the
    # audit trail (the only personal data of the statistics tables, on purpose).
    validated_by_id = models.BigIntegerField(null=True, blank=True)
    validated_by = models.CharField(max_length=254, blank=True)
    validated_weight_kg = models.DecimalField(max_digits=14, decimal_places=3, null=True,
                                              blank=True)

    class Meta:
        ordering = ["authority", "-year", "-semester"]
        constraints = [models.UniqueConstraint(fields=["authority", "year", "semester"],
                                               name="weight_campaign_unique")]

    def __str__(self) -> str:
        return f"{self.authority_id}/{self.year}-S{self.semester}"

    @property
    def start(self):
        return semester_bounds(self.year, self.semester)[0]

    @property
    def end(self):
        return semester_bounds(self.year, self.semester)[1]

    @property
    def is_locked(self) -> bool:
        return self.status == CampaignStatus.VALIDATED


class WeightCampaignLine(models.Model):
    """One reused transfer of the semester: weight from the fact, optionally corrected."""

    campaign = models.ForeignKey(WeightCampaign, on_delete=models.CASCADE,
                                 related_name="lines")
    transfer_id = models.BigIntegerField()
    category = models.CharField(max_length=200)
    quantity = models.PositiveIntegerField()
    estimated_kg = models.DecimalField(max_digits=12, decimal_places=3)
    corrected_kg = models.DecimalField(max_digits=12, decimal_places=3, null=True, blank=True)

    class Meta:
        ordering = ["category", "transfer_id"]
        constraints = [models.UniqueConstraint(fields=["campaign", "transfer_id"],
                                               name="weight_line_unique")]

    def __str__(self) -> str:
        return f"{self.campaign_id}/{self.transfer_id}"

    @property
    def weight_kg(self):
        return self.corrected_kg if self.corrected_kg is not None else self.estimated_kg


class WeightCampaignCategory(models.Model):
    """A category total of a campaign: a corrected total beats the sum of its lines;
    `validated_kg` is the figure locked at validation."""

    campaign = models.ForeignKey(WeightCampaign, on_delete=models.CASCADE,
                                 related_name="categories")
    category = models.CharField(max_length=200)
    corrected_total_kg = models.DecimalField(max_digits=14, decimal_places=3, null=True,
                                             blank=True)
    validated_kg = models.DecimalField(max_digits=14, decimal_places=3, null=True,
                                       blank=True)

    class Meta:
        ordering = ["category"]
        constraints = [models.UniqueConstraint(fields=["campaign", "category"],
                                               name="weight_category_unique")]

    def __str__(self) -> str:
        return f"{self.campaign_id}/{self.category}"


class AdjustmentKind(models.TextChoices):
    LATE_TRANSFER = "late_transfer", _("Transfer recorded after validation")
    FACT_CHANGED = "fact_changed", _("Figure recomputed (factors or fix)")
    FACT_REMOVED = "fact_removed", _("Transfer removed")
    CORRECTION = "correction", _("Correction by a moderator")


class WeightAdjustment(models.Model):
    """A change to a validated semester: the audit trail (who, when, before/after).

    The semester's current weight is its validated weight plus the sum of
    (after − before) of its adjustments."""

    campaign = models.ForeignKey(WeightCampaign, on_delete=models.CASCADE,
                                 related_name="adjustments")
    kind = models.CharField(max_length=20, choices=AdjustmentKind.choices)
    created_at = models.DateTimeField(default=timezone.now)
    transfer_id = models.BigIntegerField(null=True, blank=True)
    category = models.CharField(max_length=200)
    before_kg = models.DecimalField(max_digits=14, decimal_places=3)
    after_kg = models.DecimalField(max_digits=14, decimal_places=3)
    actor_id = models.BigIntegerField(null=True, blank=True)
    actor = models.CharField(max_length=254, blank=True)  # e-mail, or "system"
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["campaign", "created_at", "id"]

    def __str__(self) -> str:
        return f"{self.campaign_id}/{self.kind}/{self.category}"

    @property
    def delta_kg(self):
        return self.after_kg - self.before_kg


class RetiredITStock(models.Model):
    """Décret n° 2023-266: retired IT items (screens, small IT) in stock on 1 January of
    `year`, as the authority records it; the base of the year's reuse share."""

    authority = models.ForeignKey("tenants.Authority", on_delete=models.CASCADE,
                                  related_name="retired_it_stocks")
    year = models.PositiveSmallIntegerField()
    items_in_stock = models.PositiveIntegerField(_("retired IT items in stock on 1 January"))
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["authority", "-year"]
        constraints = [models.UniqueConstraint(fields=["authority", "year"],
                                               name="retired_it_stock_unique")]

    def __str__(self) -> str:
        return f"{self.authority_id}/{self.year}"


# --- Issue 16: the finance team's purchases, per AGEC category and year -----------------

def _agec_category_choices() -> list[tuple[str, str]]:
    return [(label, label) for label in agec_categories()]


class AgecPurchase(models.Model):
    """The authority's purchases of one year in one AGEC category, excl. VAT, as the
    finance team enters them (form or import): the total and, within it, the part
    bought from reuse and the part with recycled materials."""

    authority = models.ForeignKey("tenants.Authority", on_delete=models.CASCADE,
                                  related_name="agec_purchases")
    year = models.PositiveSmallIntegerField(_("year"))
    category = models.CharField(_("category"), max_length=200,
                                choices=_agec_category_choices())
    total_eur = models.DecimalField(_("total purchases excl. VAT (€)"), max_digits=14,
                                    decimal_places=2)
    reuse_eur = models.DecimalField(_("of which from reuse (€)"), max_digits=14,
                                    decimal_places=2, default=0)
    recycled_eur = models.DecimalField(_("of which with recycled materials (€)"),
                                       max_digits=14, decimal_places=2, default=0)
    updated_at = models.DateTimeField(auto_now=True)
    # Who last changed the row (an e-mail, or "system"), for the audit trail.
    updated_by_label = models.CharField(max_length=254, blank=True)

    class Meta:
        ordering = ["authority", "-year", "category"]
        constraints = [
            models.UniqueConstraint(fields=["authority", "year", "category"],
                                    name="agec_purchase_unique"),
            models.CheckConstraint(
                condition=models.Q(total_eur__gte=0, reuse_eur__gte=0, recycled_eur__gte=0),
                name="agec_purchase_amounts_positive",
                violation_error_message=_("Amounts cannot be negative.")),
            models.CheckConstraint(
                condition=models.Q(reuse_eur__lte=models.F("total_eur")),
                name="agec_purchase_reuse_within_total",
                violation_error_message=_("The reuse part cannot exceed the total.")),
            models.CheckConstraint(
                condition=models.Q(recycled_eur__lte=models.F("total_eur")),
                name="agec_purchase_recycled_within_total",
                violation_error_message=_("The recycled part cannot exceed the total.")),
        ]

    def __str__(self) -> str:
        return f"{self.authority_id}/{self.year}/{self.category}"


class DonationSource(models.TextChoices):
    OTHER_AUTHORITY = "other_authority", _("Another authority")
    STATE_SITE = "state_site", _("The State's donation site (dons.encheres-domaine.gouv.fr)")
    PARTNER = "partner", _("A partner (social and solidarity economy organisation)")
    OTHER = "other", _("Other")


class ExternalDonation(models.Model):
    """A donation the authority acquired outside the platform (the platform's own
    received transfers are counted from the facts), valued in € for the declaration's
    `montant_produits_issus_don`."""

    authority = models.ForeignKey("tenants.Authority", on_delete=models.CASCADE,
                                  related_name="external_donations")
    year = models.PositiveSmallIntegerField(_("year"))
    category = models.CharField(_("category"), max_length=200,
                                choices=_agec_category_choices())
    amount_eur = models.DecimalField(_("value (€)"), max_digits=14, decimal_places=2)
    source = models.CharField(_("source"), max_length=20, choices=DonationSource.choices)
    description = models.CharField(_("description"), max_length=300, blank=True)
    received_on = models.DateField(_("received on"), null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by_label = models.CharField(max_length=254, blank=True)

    class Meta:
        ordering = ["authority", "-year", "category", "id"]
        indexes = [models.Index(fields=["authority", "year"], name="external_donation_year")]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount_eur__gte=0),
                                   name="external_donation_amount_positive",
                                   violation_error_message=_("Amounts cannot be negative.")),
        ]

    def __str__(self) -> str:
        return f"{self.authority_id}/{self.year}/{self.category}/{self.amount_eur}"


class FigureKind(models.TextChoices):
    PURCHASE = "purchase", _("Purchases")
    DONATION = "donation", _("Donation received elsewhere")


class FigureChannel(models.TextChoices):
    FORM = "form", _("Form")
    IMPORT = "import", _("Import")


class AgecFigureChange(models.Model):
    """The audit trail of the AGEC figures: one row per changed purchase line or per
    donation added/removed, with the values before and after (JSON, amounts as
    strings; an empty object when there was nothing before or nothing is left)."""

    authority = models.ForeignKey("tenants.Authority", on_delete=models.CASCADE,
                                  related_name="agec_figure_changes")
    year = models.PositiveSmallIntegerField()
    category = models.CharField(max_length=200)
    what = models.CharField(max_length=10, choices=FigureKind.choices)
    actor_label = models.CharField(max_length=254, blank=True)
    at = models.DateTimeField(default=timezone.now)
    before = models.JSONField(default=dict, blank=True)
    after = models.JSONField(default=dict, blank=True)
    channel = models.CharField(max_length=10, choices=FigureChannel.choices,
                               default=FigureChannel.FORM)

    class Meta:
        ordering = ["authority", "-at", "-id"]
        indexes = [models.Index(fields=["authority", "year", "at"],
                                name="agec_change_by_year")]

    def __str__(self) -> str:
        return f"{self.authority_id}/{self.year}/{self.category}/{self.what}"
