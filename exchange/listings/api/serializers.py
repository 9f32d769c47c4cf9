"""Serializers of the API. They check the shape of what comes in and say what goes out;
the rules themselves live in exchange.listings.services (which raise ExchangeError)."""

from __future__ import annotations

from collections.abc import Mapping

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from accounts.models import Service, Site
from exchange.listings.models import (
    Category,
    ClosureReason,
    ContactRequest,
    Listing,
    ListingPhoto,
    Transfer,
)
from exchange.listings.permissions import can_see_value
from exchange.listings.recipients import recipient_from_fields
from exchange.listings.services import closure


class StrictTextMixin:
    """Text fields take strings only: DRF's CharField would turn a JSON 0 or 1.5 into
    "0" or "1.5", which the schema (`type: string`) does not allow."""

    def to_internal_value(self, data):
        if isinstance(data, Mapping):
            errors = {
                name: [field.error_messages["invalid"]]
                for name, field in self.fields.items()
                if isinstance(field, serializers.CharField) and not field.read_only
                and name in data and not isinstance(data[name], str)
                and not (data[name] is None and field.allow_null)}
            if errors:
                raise serializers.ValidationError(errors)
        return super().to_internal_value(data)


# --- Authentication ---------------------------------------------------------------


class CredentialsSerializer(StrictTextMixin, serializers.Serializer):
    email = serializers.EmailField()
    password = serializers.CharField(trim_whitespace=False, style={"input_type": "password"})


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(help_text=_("Send it as `Authorization: Token <token>`."))


# --- Reference data ---------------------------------------------------------------------


class CategorySerializer(serializers.ModelSerializer):
    class Meta:
        model = Category
        fields = ["id", "name", "parent", "reference_code", "kind"]


class ServiceSerializer(serializers.ModelSerializer):
    class Meta:
        model = Service
        fields = ["id", "name"]


class SiteSerializer(serializers.ModelSerializer):
    class Meta:
        model = Site
        fields = ["id", "name", "address", "postcode", "city"]


# --- Listings ------------------------------------------------------------------------


class PhotoSerializer(serializers.ModelSerializer):
    """A photo, with the API addresses of its files (token-authenticated)."""

    url = serializers.SerializerMethodField()
    thumbnail_url = serializers.SerializerMethodField()

    class Meta:
        model = ListingPhoto
        fields = ["id", "url", "thumbnail_url", "width", "height"]

    def _url(self, photo: ListingPhoto, size: str) -> str:
        path = reverse("api:listing-photo-file", args=[photo.listing_id, photo.pk, size])
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path

    def get_url(self, photo: ListingPhoto) -> str:
        return self._url(photo, "full")

    def get_thumbnail_url(self, photo: ListingPhoto) -> str:
        return self._url(photo, "thumb")


class ListingSerializer(serializers.ModelSerializer):
    """A listing as the API shows it. `estimated_value` is left out entirely unless the
    caller is the poster or a moderator (exchange.listings.permissions.can_see_value)."""

    estimated_value = serializers.DecimalField(
        max_digits=10, decimal_places=2, required=False,
        help_text=_("Value of the whole listing in €. Present only for its poster and "
                    "the moderators; absent (no key) for everyone else."))
    quantity_left = serializers.SerializerMethodField(
        help_text=_("Items not yet given, thrown away or withdrawn."))
    photos = PhotoSerializer(many=True, read_only=True)

    class Meta:
        model = Listing
        fields = ["id", "title", "description", "category", "quantity", "quantity_left",
                  "condition", "estimated_value", "dimensions", "service", "site",
                  "available_from", "available_until", "status", "reserved_for",
                  "created_at", "published_at", "closed_at", "expires_at", "photos",
                  "visibility",
                  # Partner API: kept away from partners; offered to them since.
                  "partner_offer_opt_out", "offered_to_partners_at"]
        read_only_fields = [f for f in fields if f != "estimated_value"]

    def get_quantity_left(self, listing: Listing) -> int:
        left = getattr(listing, "quantity_left", None)  # annotated by the selectors
        return left if left is not None else closure.quantity_left(listing)

    def to_representation(self, listing: Listing) -> dict:
        data = super().to_representation(listing)
        request = self.context.get("request")
        if request is None or not can_see_value(request.user, listing):
            data.pop("estimated_value", None)
        return data


class ModerationQueueItemSerializer(ListingSerializer):
    poster_name = serializers.CharField(source="poster.full_name", read_only=True)
    poster_email = serializers.EmailField(source="poster.email", read_only=True)
    held_by_name = serializers.SerializerMethodField()

    class Meta(ListingSerializer.Meta):
        fields = [*ListingSerializer.Meta.fields, "submitted_at", "poster_name",
                  "poster_email", "held_by_name", "held_until"]
        read_only_fields = [f for f in fields if f != "estimated_value"]

    def get_held_by_name(self, listing: Listing) -> str | None:
        return listing.held_by.full_name if listing.held_by_id else None


class ListingWriteSerializer(StrictTextMixin, serializers.ModelSerializer):
    """What a poster (or a moderator) sends to create or edit a listing."""

    service = serializers.PrimaryKeyRelatedField(
        queryset=Service.objects.filter(is_active=True), required=False,
        help_text=_("Defaults to the poster's service."))
    site = serializers.PrimaryKeyRelatedField(queryset=Site.objects.filter(is_active=True))
    submit = serializers.BooleanField(
        write_only=True, required=False, default=False,
        help_text=_("Creation only: submit for moderation straight away instead of "
                    "keeping a draft."))
    confirm_outlier = serializers.BooleanField(
        write_only=True, required=False, default=False,
        help_text=_("Moderators only: confirm a quantity or a value per item above the "
                    "plausibility bounds (otherwise refused)."))

    class Meta:
        model = Listing
        fields = ["title", "description", "category", "quantity", "condition",
                  "estimated_value", "dimensions", "service", "site", "available_from",
                  "available_until", "visibility", "submit", "confirm_outlier"]
        extra_kwargs = {"visibility": {"required": False, "help_text": _(
            "`internal` (this authority only) or `shared` (also the authorities sharing "
            "with it). Defaults to the authority's setting.")}}


class ReasonSerializer(StrictTextMixin, serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="",
                                   help_text=_("Why the listing is rejected (required)."))


class MessageSerializer(StrictTextMixin, serializers.Serializer):
    message = serializers.CharField(required=False, allow_blank=True, default="",
                                    max_length=2000)


class ContactSerializer(serializers.ModelSerializer):
    class Meta:
        model = ContactRequest
        fields = ["id", "listing", "message", "status", "created_at"]
        read_only_fields = fields


class CloseSerializer(StrictTextMixin, serializers.Serializer):
    reason = serializers.ChoiceField(choices=ClosureReason.choices)
    quantity = serializers.IntegerField(
        required=False, help_text=_("Items leaving the listing; defaults to all that is left."))
    recipient_service = serializers.PrimaryKeyRelatedField(
        queryset=Service.objects.filter(is_active=True), required=False, allow_null=True,
        help_text=_("For exchanged_internal: the receiving service."))
    recipient_authority = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=200,
        help_text=_("For exchanged_other_authority: the receiving authority."))
    recipient_partner = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=200,
        help_text=_("For given_to_partner: the school, association or organisation."))
    recipient_partner_id = serializers.IntegerField(
        required=False, allow_null=True, min_value=1,
        help_text=_("For given_to_partner: a partner your authority grants access to "
                    "(partner API); its name fills recipient_partner."))
    weight_kg = serializers.DecimalField(
        max_digits=10, decimal_places=3, required=False, allow_null=True,
        help_text=_("Weighed total; defaults to the reference weight × quantity."))
    recipient_authority_slug = serializers.SlugField(
        required=False, allow_blank=True, default="", max_length=63,
        help_text=_("For exchanged_other_authority: the slug of the receiving authority "
                    "when it is on the platform (its name is then filled in)."))
    inventory_number = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=100,
        help_text=_("In the giver's asset register, if any."))
    confirm_outlier = serializers.BooleanField(
        required=False, default=False,
        help_text=_("Moderators only: confirm the listing's quantity or value per item "
                    "above the plausibility bounds (otherwise refused)."))

    def close_arguments(self) -> dict:
        """The validated fields as `closure.close_listing` takes them: the recipient
        fields of the request become one `Recipient` (exchange.listings.recipients)."""
        data = dict(self.validated_data)
        data["recipient"] = recipient_from_fields(
            data["reason"], service=data.pop("recipient_service", None),
            authority_slug=data.pop("recipient_authority_slug"),
            authority_name=data.pop("recipient_authority"),
            partner_id=data.pop("recipient_partner_id", None),
            partner_name=data.pop("recipient_partner"))
        return data


class TransferSerializer(serializers.ModelSerializer):
    """A transfer as answered to its author (the poster or a moderator)."""

    listing_status = serializers.CharField(source="listing.status", read_only=True)
    quantity_left = serializers.SerializerMethodField()

    class Meta:
        model = Transfer
        fields = ["id", "listing", "reason", "quantity", "recipient_service",
                  "recipient_authority", "recipient_partner", "recipient_partner_id",
                  "value", "weight_kg",
                  "weight_is_estimated", "created_at", "listing_status", "quantity_left",
                  "recipient_authority_slug", "inventory_number", "confirmation_required",
                  "confirmed_at"]
        read_only_fields = fields

    def get_quantity_left(self, transfer: Transfer) -> int:
        return closure.quantity_left(transfer.listing)


class PhotoUploadSerializer(serializers.Serializer):
    image = serializers.FileField(help_text=_("A JPEG, PNG or WebP image of 10 MB at most."))


class PartnerOfferSerializer(serializers.Serializer):
    opt_out = serializers.BooleanField(
        help_text=_("true: never offer this listing to outside partners."))
