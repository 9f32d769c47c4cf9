"""Platform-wide reference data (public schema)."""

from django.db import models
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
