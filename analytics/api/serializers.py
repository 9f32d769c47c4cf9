"""Serializers of the statistics endpoints of the agents' API: the period they take and
the figures they answer."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers


class StatsQuerySerializer(serializers.Serializer):
    """`from` and `to` (YYYY-MM-DD, both included); `from` is a Python keyword, hence
    get_fields."""

    def get_fields(self):
        return {"from": serializers.DateField(required=False),
                "to": serializers.DateField(required=False)}


class StatsSummarySerializer(serializers.Serializer):
    def get_fields(self):
        return {
            "from": serializers.DateField(),
            "to": serializers.DateField(),
            "listings_posted": serializers.IntegerField(
                help_text=_("Listings created in the period, drafts excluded.")),
            "listings_exchanged": serializers.IntegerField(
                help_text=_("Listings of which at least one item was given in the period.")),
            "value_exchanged_eur": serializers.DecimalField(max_digits=14, decimal_places=2),
            "weight_avoided_kg": serializers.DecimalField(max_digits=14, decimal_places=3),
            "co2e_avoided_kg": serializers.DecimalField(
                max_digits=14, decimal_places=3,
                help_text="kg CO2e avoided by the items reused in the period (statistics "
                          "facts: reference factors or the authority's overrides)."),
            "by_status": _StatusCountsField(
                help_text=_("Number of listings in each status today.")),
        }


class TimeseriesQuerySerializer(StatsQuerySerializer):
    def get_fields(self):
        return {**super().get_fields(),
                "granularity": serializers.ChoiceField(choices=["month"], required=False,
                                                       default="month")}


class TimeseriesPointSerializer(serializers.Serializer):
    month = serializers.CharField(help_text="YYYY-MM")
    listings_exchanged = serializers.IntegerField(
        help_text="Listings of which at least one item was reused in the month.")
    value_exchanged_eur = serializers.DecimalField(max_digits=14, decimal_places=2)
    weight_avoided_kg = serializers.DecimalField(max_digits=14, decimal_places=3)
    co2e_avoided_kg = serializers.DecimalField(max_digits=14, decimal_places=3)


class TimeseriesSerializer(serializers.Serializer):
    def get_fields(self):
        return {
            "from": serializers.DateField(),
            "to": serializers.DateField(),
            "granularity": serializers.CharField(),
            "factors_versions": serializers.ListField(
                child=serializers.CharField(),
                help_text="Versions of the factors behind the figures, e.g. "
                          "[\"2026.1\", \"2026.1+override\"]."),
            "results": TimeseriesPointSerializer(many=True),
        }


@extend_schema_field({"type": "object", "additionalProperties": {"type": "integer"},
                      "example": {"draft": 2, "pending": 1, "published": 12, "closed": 4}})
class _StatusCountsField(serializers.DictField):
    child = serializers.IntegerField()




# --- Issue 16: the finance team's AGEC purchases -------------------------------------------

class AgecPurchasesQuerySerializer(serializers.Serializer):
    year = serializers.IntegerField(required=False, min_value=2020, max_value=2100)


class AgecPurchaseSerializer(serializers.Serializer):
    category = serializers.CharField(help_text="One of the 17 labels of the declaration.")
    total_eur = serializers.DecimalField(max_digits=14, decimal_places=2,
                                         help_text="Purchases of the year, excl. VAT.")
    reuse_eur = serializers.DecimalField(max_digits=14, decimal_places=2,
                                         help_text="Of which bought from reuse.")
    recycled_eur = serializers.DecimalField(max_digits=14, decimal_places=2,
                                            help_text="Of which with recycled materials.")


class ExternalDonationTotalSerializer(serializers.Serializer):
    category = serializers.CharField()
    amount_eur = serializers.DecimalField(max_digits=14, decimal_places=2)


class AgecPurchasesSerializer(serializers.Serializer):
    year = serializers.IntegerField()
    purchases = AgecPurchaseSerializer(many=True, help_text=(
        "Categories with purchases entered, in the order of the declaration's enum."))
    external_donations = ExternalDonationTotalSerializer(many=True, help_text=(
        "Donations acquired outside the platform, summed per category."))


class ITFiguresQuerySerializer(serializers.Serializer):
    year = serializers.IntegerField(required=False, min_value=2020, max_value=2100)


class _ITCountsSerializer(serializers.Serializer):
    retired = serializers.IntegerField(help_text="Items retired into a batch in the year.")
    reconditioned = serializers.IntegerField(
        help_text="Of these, with a reconditioning recorded (parts, free OS, licence).")
    second_life = serializers.IntegerField(help_text="Given to a new holder in the authority.")
    listed = serializers.IntegerField(help_text="Offered on the exchange (a listing).")
    donated = serializers.IntegerField(help_text="Donated to a partner under an agreement.")
    recycled = serializers.IntegerField()
    awaiting_exit = serializers.IntegerField(help_text="Still in a batch.")
    reused = serializers.IntegerField(help_text="second_life + listed + donated.")
    reuse_share_percent = serializers.DecimalField(
        max_digits=5, decimal_places=1, allow_null=True,
        help_text="reused / retired × 100, one decimal; null when nothing was retired.")
    started_second_life = serializers.IntegerField(
        help_text="Reused items starting their second life.")
    started_third_life = serializers.IntegerField(
        help_text="Reused items starting their third (or a later) life.")
    recycled_weight_kg = serializers.DecimalField(max_digits=14, decimal_places=3)
    weight_avoided_kg = serializers.DecimalField(
        max_digits=14, decimal_places=3,
        help_text="Reused items × the typical weight of their type (reference factors).")
    co2e_avoided_kg = serializers.DecimalField(
        max_digits=14, decimal_places=3,
        help_text="Reused items × the kg CO2e avoided per item of their type (reference "
                  "factors or the authority's overrides).")


class ITKindFiguresSerializer(_ITCountsSerializer):
    kind = serializers.CharField(help_text="computer, screen, phone, tablet or printer.")
    label = serializers.CharField()


class ITFiguresSerializer(_ITCountsSerializer):
    year = serializers.IntegerField()
    decree_target_percent = serializers.IntegerField(
        allow_null=True, help_text="The décret n° 2023-266 target share for the year.")
    by_kind = ITKindFiguresSerializer(many=True)
