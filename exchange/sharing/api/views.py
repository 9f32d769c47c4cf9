"""The shared listings of other authorities in the agents' API (/api/v1/shared-listings/,
tag `sharing`): the "Autres collectivités" feed, contact and photos. Same rules, errors
and schema as the rest of the API (exchange/listings/api/views.py's AgentsAPIMixin);
collectivrecup/urls_tenant.py routes them in the `api` namespace."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import FileResponse
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api_permissions import IsMember
from core.api.serializers import ErrorSerializer
from core.api.views import AgentsAPIMixin
from exchange.listings import selectors
from exchange.listings.api.serializers import ContactSerializer, MessageSerializer
from exchange.listings.api.views import (
    ERRORS,
    LIST_PARAMETERS,
    PHOTO_FIELDS,
    Pagination,
)
from exchange.sharing import contacts as shared_contacts
from exchange.sharing.api.serializers import SharedListingSerializer
from exchange.sharing.photos import open_shared_photo
from exchange.sharing.selectors import shared_feed

SHARED_PARAMETERS = [
    LIST_PARAMETERS[0], LIST_PARAMETERS[1],
    OpenApiParameter("authority", str, description="Slug of one owner authority."),
]
SHARED_PATH = [OpenApiParameter("authority_slug", str, OpenApiParameter.PATH,
                                description="Slug of the owner authority."),
               OpenApiParameter("id", int, OpenApiParameter.PATH,
                                description="The listing's id in its authority.")]


class SharedListingList(AgentsAPIMixin, generics.ListAPIView):
    """Published shared listings of the authorities sharing with this one (the
    "Autres collectivités" feed): same search and category filter as /listings/."""

    serializer_class = SharedListingSerializer
    permission_classes = [IsAuthenticated, IsMember]
    pagination_class = Pagination

    def get_queryset(self):
        params = self.request.query_params
        category = params.get("category", "").strip()
        if category and not category.isdigit():
            raise ValidationError({"category": [_("Give a category id.")]})
        filters = selectors.FeedFilters(q=params.get("q", ""),
                                        category=int(category) if category else None)
        return shared_feed(self.request.tenant, filters, params.get("authority", "").strip())

    @extend_schema(summary="Shared listings of other authorities", tags=["sharing"],
                   parameters=SHARED_PARAMETERS,
                   responses={200: SharedListingSerializer(many=True), 400: ERRORS[400],
                              401: ERRORS[401], 403: ERRORS[403]})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class SharedListingContact(AgentsAPIMixin, APIView):
    permission_classes = [IsAuthenticated, IsMember]

    @extend_schema(
        summary="Tell the poster of another authority's listing you are interested",
        description="Stored in the owner authority, mailed to its poster with its "
                    "moderators in Cc and Reply-To you; you get a confirmation e-mail.",
        tags=["sharing"], parameters=SHARED_PATH, request=MessageSerializer,
        responses={201: ContactSerializer, 400: ERRORS[400], 401: ERRORS[401],
                   403: ERRORS[403], 404: ERRORS[404],
                   429: OpenApiResponse(ErrorSerializer, description="Too many contacts "
                                        "in the last hour.")})
    def post(self, request, authority_slug: str, id: int):  # noqa: A002 - the path's name
        data = MessageSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            contact = shared_contacts.contact_shared_listing(
                viewer=request.tenant, sender=request.user, owner_slug=authority_slug,
                listing_id=id, message=data.validated_data["message"])
        except DjangoValidationError as error:
            if getattr(error, "code", None) == "not_found":
                raise NotFound from error
            raise
        return Response(ContactSerializer(contact).data, status=status.HTTP_201_CREATED)


class SharedListingPhoto(AgentsAPIMixin, APIView):
    permission_classes = [IsAuthenticated, IsMember]

    @extend_schema(summary="A photo of a shared listing (`full` or `thumb`)", tags=["sharing"],
                   parameters=[*SHARED_PATH,
                               OpenApiParameter("photo_id", int, OpenApiParameter.PATH),
                               OpenApiParameter("size", str, OpenApiParameter.PATH,
                                                enum=[*PHOTO_FIELDS])],
                   responses={(200, "image/jpeg"): OpenApiTypes.BINARY, 401: ERRORS[401],
                              404: ERRORS[404]})
    def get(self, request, authority_slug: str, id: int, photo_id: int,  # noqa: A002
            size: str):
        stream = open_shared_photo(request.tenant, authority_slug, id, photo_id, size)
        if stream is None:
            raise NotFound
        response = FileResponse(stream, content_type="image/jpeg")
        patch_cache_control(response, private=True, max_age=300)
        return response
