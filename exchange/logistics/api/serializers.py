"""Shapes of transports in the agents' API. Only shape is checked here; the rules are
exchange.logistics.services' (their ExchangeError answered on the field it concerns)."""

from __future__ import annotations

from rest_framework import serializers

from accounts.models import Service, Site
from core.api.errors import MULTILINE_PATTERN, SINGLE_LINE_PATTERN
from exchange.listings.models import Listing, Transfer
from exchange.logistics.models import Round, TransportRequest, TransportStatus
from exchange.logistics.services import MAX_FLOOR, MIN_FLOOR


def _text(max_length: int, *, required: bool = False, multiline: bool = False):
    return serializers.RegexField(MULTILINE_PATTERN if multiline else SINGLE_LINE_PATTERN,
                                  max_length=max_length, required=required,
                                  allow_blank=not required)


def _floor():
    return serializers.IntegerField(min_value=MIN_FLOOR, max_value=MAX_FLOOR, default=0)


class TransportWriteSerializer(serializers.Serializer):
    listing = serializers.PrimaryKeyRelatedField(queryset=Listing.objects.all())
    transfer = serializers.PrimaryKeyRelatedField(queryset=Transfer.objects.all(),
                                                  required=False, allow_null=True,
                                                  default=None)
    quantity = serializers.IntegerField(min_value=1)
    pickup_site = serializers.PrimaryKeyRelatedField(
        queryset=Site.objects.filter(is_active=True), required=False, allow_null=True,
        default=None)
    pickup_address = _text(300)
    pickup_contact = _text(200, required=True)
    pickup_floor = _floor()
    pickup_lift = serializers.BooleanField(default=False)
    delivery_site = serializers.PrimaryKeyRelatedField(
        queryset=Site.objects.filter(is_active=True), required=False, allow_null=True,
        default=None)
    delivery_address = _text(300)
    delivery_contact = _text(200, required=True)
    delivery_floor = _floor()
    delivery_lift = serializers.BooleanField(default=False)
    wished_from = serializers.DateField()
    wished_until = serializers.DateField()
    notes = _text(1000)  # one line: the API refuses control characters outside MULTILINE_FIELDS
    recipient_service = serializers.PrimaryKeyRelatedField(
        queryset=Service.objects.filter(is_active=True), required=False, allow_null=True,
        default=None)
    close_on_delivery = serializers.BooleanField(default=False)


class RoundSerializer(serializers.ModelSerializer):
    team = serializers.CharField(source="team.name")

    class Meta:
        model = Round
        fields = ["date", "starts_at", "ends_at", "team"]


class TransportSerializer(serializers.ModelSerializer):
    status = serializers.ChoiceField(choices=TransportStatus.choices)
    listing_title = serializers.CharField(source="title")
    pickup_place = serializers.CharField()
    delivery_place = serializers.CharField()
    round = RoundSerializer(allow_null=True)

    class Meta:
        model = TransportRequest
        fields = ["id", "listing", "listing_title", "transfer", "quantity", "status",
                  "pickup_place", "pickup_contact", "pickup_floor", "pickup_lift",
                  "delivery_place", "delivery_contact", "delivery_floor", "delivery_lift",
                  "wished_from", "wished_until", "notes", "close_on_delivery", "round",
                  "created_at", "planned_at", "picked_up_at", "delivered_at",
                  "cancelled_at"]
        read_only_fields = fields
