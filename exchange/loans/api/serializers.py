"""Serializers of the loans in the agents' API."""

from __future__ import annotations

from rest_framework import serializers

from exchange.loans.models import Booking, LendableItem


class LendableItemSerializer(serializers.ModelSerializer):
    service = serializers.CharField(source="service.name", read_only=True)
    site = serializers.CharField(source="site.name", read_only=True, allow_null=True,
                                 default=None)

    class Meta:
        model = LendableItem
        fields = ["id", "title", "description", "quantity", "conditions", "service", "site",
                  "borrowers"]
        read_only_fields = fields


class BookingRequestSerializer(serializers.Serializer):
    start = serializers.DateField(help_text="First day of the loan (YYYY-MM-DD).")
    end = serializers.DateField(help_text="Last day of the loan, included.")
    quantity = serializers.IntegerField(min_value=1)
    purpose = serializers.CharField(max_length=300, required=False, allow_blank=True,
                                    default="")


class BookingSerializer(serializers.ModelSerializer):
    item = serializers.IntegerField(source="item_id", read_only=True)

    class Meta:
        model = Booking
        fields = ["id", "item", "start", "end", "quantity", "purpose", "status",
                  "decision_message", "created_at"]
        read_only_fields = fields
