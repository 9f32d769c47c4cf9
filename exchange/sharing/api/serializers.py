"""Serializers of the shared listings in the agents' API: what the catalogue projection
holds of another authority's listing, never its value nor its poster."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from exchange.listings.models import Condition


class SharedPhotoSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    url = serializers.URLField()
    thumbnail_url = serializers.URLField()


class SharedListingSerializer(serializers.Serializer):
    """A shared listing of another authority, as the catalogue projection holds it: no
    € value, no poster, no service, no site address."""

    authority = serializers.CharField(source="authority.slug",
                                      help_text=_("Slug of the owner authority."))
    authority_name = serializers.CharField(source="authority.name")
    id = serializers.IntegerField(source="listing_id",
                                  help_text=_("The listing's id in its own authority."))
    title = serializers.CharField()
    description = serializers.CharField()
    family = serializers.CharField()
    category = serializers.CharField()
    condition = serializers.ChoiceField(choices=Condition.choices)
    quantity_left = serializers.IntegerField(source="quantity")
    commune = serializers.CharField()
    postcode = serializers.CharField()
    available_from = serializers.DateField(allow_null=True)
    available_until = serializers.DateField(allow_null=True)
    published_at = serializers.DateTimeField(allow_null=True)
    photos = serializers.SerializerMethodField()

    @extend_schema_field(SharedPhotoSerializer(many=True))
    def get_photos(self, entry) -> list[dict]:
        request = self.context.get("request")
        photos = []
        for photo_id in entry.photo_ids:
            urls = {size: reverse("api:shared-listing-photo",
                                  args=[entry.authority.slug, entry.listing_id, photo_id, size])
                    for size in ("full", "thumb")}
            if request is not None:
                urls = {size: request.build_absolute_uri(url) for size, url in urls.items()}
            photos.append({"id": photo_id, "url": urls["full"],
                           "thumbnail_url": urls["thumb"]})
        return photos
