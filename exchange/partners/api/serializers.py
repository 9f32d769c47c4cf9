"""Serializers of the partner API. No € value and no person ever leaves through them:
they read CatalogueEntry (which holds neither) and analytics aggregates."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from exchange.catalogue.models import CatalogueEntry
from exchange.partners.models import PartnerRequest


class ProblemSerializer(serializers.Serializer):
    """RFC 9457 problem details (`application/problem+json`)."""

    type = serializers.CharField(help_text="A URI naming the kind of problem.")
    title = serializers.CharField()
    status = serializers.IntegerField()
    detail = serializers.CharField(help_text="What went wrong and what to do, in French.")
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()), required=False,
        help_text="For bad input: the messages of each parameter or field.")


class AuthoritySerializer(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()
    departement = serializers.CharField(help_text="INSEE code of the département.")


class PhotoLinksSerializer(serializers.Serializer):
    full = serializers.URLField()
    thumb = serializers.URLField()


class PartnerListingSerializer(serializers.ModelSerializer):
    id = serializers.SerializerMethodField(help_text="`<authority slug>:<listing id>`.")
    authority = AuthoritySerializer()
    request_url = serializers.SerializerMethodField(
        help_text="POST here to ask for the items (scope `listings:request`).")
    photos = serializers.SerializerMethodField(
        help_text="JPEG photos (`full` and `thumb`), fetched with the same key.")

    class Meta:
        model = CatalogueEntry
        fields = ["id", "authority", "listing_id", "title", "description", "family",
                  "category", "reference_code", "condition", "quantity", "commune",
                  "postcode", "available_from", "available_until", "published_at",
                  "offered_at", "updated_at", "request_url", "photos"]

    def get_id(self, entry) -> str:
        return f"{entry.authority.slug}:{entry.listing_id}"

    @extend_schema_field(PhotoLinksSerializer(many=True))
    def get_photos(self, entry) -> list[dict]:
        request = self.context.get("request")
        links = []
        for photo_id in entry.photo_ids:
            urls = {}
            for size in ("full", "thumb"):
                path = reverse("partner_api:listing-photo",
                               args=[entry.authority.slug, entry.listing_id, photo_id, size])
                urls[size] = request.build_absolute_uri(path) if request else path
            links.append(urls)
        return links

    def get_request_url(self, entry) -> str:
        path = reverse("partner_api:listing-request",
                       args=[entry.authority.slug, entry.listing_id])
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path


class FeedQuerySerializer(serializers.Serializer):
    category = serializers.CharField(required=False, min_length=1, max_length=200,
                                     help_text=_("Item type or family name (exact)."))
    reference_code = serializers.SlugField(required=False, max_length=60)
    departement = serializers.RegexField(r"^(\d{2,3}|2[ABab])$", required=False,
                                         help_text=_("INSEE code, e.g. 86."))
    authority = serializers.SlugField(required=False, max_length=40,
                                      help_text=_("Slug of one granting authority."))
    updated_since = serializers.DateTimeField(
        required=False, help_text=_("Only entries changed after this instant (ISO 8601)."))
    cursor = serializers.RegexField(r"^[A-Za-z0-9_-]{1,200}$", required=False,
                                   help_text=_("The `next_cursor` of the previous page."))
    page_size = serializers.IntegerField(required=False, min_value=1, max_value=200,
                                         default=50)


class FeedPageSerializer(serializers.Serializer):
    next = serializers.URLField(allow_null=True, help_text="The next page, or null.")
    next_cursor = serializers.CharField(
        allow_null=True, help_text="Keep it to resume the sync later (null: no more now).")
    results = PartnerListingSerializer(many=True)


class StrictCharField(serializers.CharField):
    """A string, and only a string (DRF would turn 0 or true into "0" or "True")."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class RequestInSerializer(serializers.Serializer):
    message = StrictCharField(required=False, allow_blank=True, max_length=2000,
                                    help_text=_("For the poster: who you are, when you "
                                                "could collect."))


class PartnerRequestSerializer(serializers.ModelSerializer):
    authority = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = PartnerRequest
        fields = ["id", "authority", "listing_id", "message", "status", "created_at"]


class StatsQuerySerializer(serializers.Serializer):
    start = serializers.DateField(required=False, help_text=_("First day (included)."))
    end = serializers.DateField(required=False, help_text=_("Last day (included)."))

    def validate(self, attrs):
        if attrs.get("start") and attrs.get("end") and attrs["end"] < attrs["start"]:
            raise serializers.ValidationError({"end": [_("The end is before the start.")]})
        return attrs


class FiguresSerializer(serializers.Serializer):
    items = serializers.IntegerField(help_text="Items that left listings.")
    weight_kg = serializers.DecimalField(max_digits=14, decimal_places=3)
    weight_avoided_kg = serializers.DecimalField(max_digits=14, decimal_places=3)
    co2e_avoided_kg = serializers.DecimalField(max_digits=14, decimal_places=3)


class DestinationFiguresSerializer(FiguresSerializer):
    destination = serializers.CharField()


class CategoryFiguresSerializer(FiguresSerializer):
    family = serializers.CharField()
    category = serializers.CharField()
    reference_code = serializers.CharField()


class AuthorityStatsSerializer(serializers.Serializer):
    authority = AuthoritySerializer()
    totals = FiguresSerializer()
    by_destination = DestinationFiguresSerializer(many=True)
    by_category = CategoryFiguresSerializer(many=True)


class StatsSerializer(serializers.Serializer):
    start = serializers.DateField(allow_null=True)
    end = serializers.DateField(allow_null=True)
    authorities = AuthorityStatsSerializer(many=True)
