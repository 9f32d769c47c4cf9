"""Views of the API: HTTP in, one call to exchange.listings.services or exchange.listings.selectors,
JSON out. Rules are never repeated here.

Errors: every refusal is `application/problem+json` (core/api/errors.py): a
service's ExchangeError keeps its code, with status 400 (403 for "forbidden", 413 for
"too_large", 429 for "rate_limited"); a listing the caller may not see, or one of another
authority (another schema), is a 404. Every view derives from AgentsAPIMixin, which also
refuses control characters in query parameters and text fields.
"""

from __future__ import annotations

import re

from django.contrib.auth.signals import user_logged_in
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.files.storage import default_storage
from django.db import transaction
from django.http import FileResponse
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from drf_spectacular.views import SpectacularSwaggerSplitView
from rest_framework import generics, status, viewsets
from rest_framework.authtoken.models import Token
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from accounts.api_permissions import IsMember, IsModerator
from accounts.forms import ApiCredentialsForm
from accounts.models import Service, Site
from core.api.errors import problem
from core.api.schema import ERRORS as COMMON_ERRORS
from core.api.serializers import ErrorSerializer
from core.api.views import AgentsAPIMixin
from exchange.listings import photos, selectors
from exchange.listings.api import serializers as s
from exchange.listings.models import Listing, ListingPhoto, ListingStatus
from exchange.listings.permissions import can_view
from exchange.listings.services.closure import close_listing
from exchange.listings.services.contact import contact_poster
from exchange.listings.services.moderation import approve_listing, reject_listing, request_changes
from exchange.listings.services.posting import create_listing, submit_listing, update_listing
from exchange.listings.services.visibility import set_partner_offer_opt_out, set_visibility

PHOTO_FIELDS = {"full": "image", "thumb": "thumbnail"}

# Error answers, all problem details (AgentsAutoSchema adds the ones a view leaves out).
ERRORS = {**COMMON_ERRORS,
          404: OpenApiResponse(ErrorSerializer, description="No such listing here.")}


# Refusals of the services that concern one field of the request: answered as a DRF
# validation error on that field (issue 12: agreement and plausibility bounds).
FIELD_OF_ERROR = {"quantity_implausible": "quantity", "value_implausible": "estimated_value"}


def _on_field(error: DjangoValidationError, **fields: str) -> None:
    """Raise `error` as a ValidationError on the field it concerns, when it has one."""
    field = {**FIELD_OF_ERROR, **fields}.get(getattr(error, "code", None) or "")
    if field:
        raise ValidationError({field: error.messages}, code=error.code) from error
    raise error


class Pagination(PageNumberPagination):
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100

    def get_page_size(self, request) -> int:
        """`page_size` from 1 to 100; anything else is a 400, not silently the default."""
        asked = request.query_params.get(self.page_size_query_param)
        if asked is None:
            return self.page_size
        if not re.fullmatch(r"[0-9]{1,4}", asked) or not 1 <= int(asked) <= self.max_page_size:
            raise ValidationError({self.page_size_query_param: [
                _("Give a number of results per page from 1 to %(max)s.")
                % {"max": self.max_page_size}]})
        return int(asked)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            parameter["schema"]["minimum"] = 1
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"]["maximum"] = self.max_page_size
        return parameters


# --- Authentication ---------------------------------------------------------------


class TokenView(AgentsAPIMixin, APIView):
    """Exchange an e-mail and password for the account's API token."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "auth_token"

    @extend_schema(
        operation_id="auth_token", tags=["auth"], auth=[],
        request=s.CredentialsSerializer,
        responses={200: s.TokenSerializer, 400: ERRORS[400],
                   429: OpenApiResponse(ErrorSerializer,
                                        description="Too many attempts (throttled or locked).")},
        examples=[
            OpenApiExample("Credentials", request_only=True,
                           value={"email": "agent@chatellerault.example",
                                  "password": "collectivrecup"}),
            OpenApiExample("Token", response_only=True, status_codes=["200"],
                           value={"token": "9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b"}),
        ],
    )
    def post(self, request):
        credentials = s.CredentialsSerializer(data=request.data)
        credentials.is_valid(raise_exception=True)
        # The sign-in form's own rules (unverified address, inactive account) and
        # django-axes' lockout, which needs the request passed to authenticate().
        form = ApiCredentialsForm(request._request, data={
            "username": credentials.validated_data["email"],
            "password": credentials.validated_data["password"]})
        if form.is_valid():
            user = form.get_user()
            user_logged_in.send(sender=user.__class__, request=request._request, user=user)
            token, _created = Token.objects.get_or_create(user=user)
            return Response({"token": token.key})
        if getattr(request._request, "axes_locked_out", False):
            # Answer in JSON here rather than let AxesMiddleware send its HTML page.
            request._request.axes_locked_out = False
            return problem(status.HTTP_429_TOO_MANY_REQUESTS,
                           _("Too many failed attempts: this account is locked for a while "
                             "from your address. Try again later."), "locked_out")
        error = form.non_field_errors().as_data()[0]
        return problem(status.HTTP_400_BAD_REQUEST, " ".join(error.messages),
                       error.code or "invalid")


# --- Reference data ---------------------------------------------------------------------


@extend_schema_view(get=extend_schema(tags=["reference"], responses={
    200: s.CategorySerializer(many=True), 401: ERRORS[401], 403: ERRORS[403]}))
class CategoryList(AgentsAPIMixin, generics.ListAPIView):
    """Categories agents can use: families (parent null) and item types."""

    serializer_class = s.CategorySerializer
    permission_classes = [IsAuthenticated, IsMember]

    def get_queryset(self):
        return selectors.visible_categories()


@extend_schema_view(get=extend_schema(tags=["reference"], responses={
    200: s.ServiceSerializer(many=True), 401: ERRORS[401], 403: ERRORS[403]}))
class ServiceList(AgentsAPIMixin, generics.ListAPIView):
    """Active services of the authority."""

    serializer_class = s.ServiceSerializer
    permission_classes = [IsAuthenticated, IsMember]

    def get_queryset(self):
        return Service.objects.filter(is_active=True)


@extend_schema_view(get=extend_schema(tags=["reference"], responses={
    200: s.SiteSerializer(many=True), 401: ERRORS[401], 403: ERRORS[403]}))
class SiteList(AgentsAPIMixin, generics.ListAPIView):
    """Active pickup sites of the authority."""

    serializer_class = s.SiteSerializer
    permission_classes = [IsAuthenticated, IsMember]

    def get_queryset(self):
        return Site.objects.filter(is_active=True)


# --- Listings ------------------------------------------------------------------------

LIST_PARAMETERS = [
    OpenApiParameter("q", str, description="French full-text search, accents ignored "
                     "(e.g. `hetre` finds « hêtre »)."),
    OpenApiParameter("category", int, description="Category id; a family includes its "
                     "item types."),
    OpenApiParameter("status", str, enum=ListingStatus.values,
                     description="Agents see published listings and their own in any "
                     "status; moderators see every status."),
]
ID = OpenApiParameter("id", int, OpenApiParameter.PATH, description="The listing's id.")
CLOSE_EXAMPLES = [
    OpenApiExample("Six chairs to a service", request_only=True, value={
        "reason": "exchanged_internal", "quantity": 6, "recipient_service": 3}),
    OpenApiExample("The rest to a school", request_only=True, value={
        "reason": "given_to_partner", "quantity": 4, "recipient_partner": "École Jules Ferry",
        "weight_kg": "21.5"}),
    OpenApiExample("Transfer", response_only=True, status_codes=["201"], value={
        "id": 12, "listing": 42, "reason": "exchanged_internal", "quantity": 6,
        "recipient_service": 3, "recipient_authority": "", "recipient_partner": "",
        "value": 180.0, "weight_kg": 33.0, "weight_is_estimated": True,
        "created_at": "2026-03-02T10:15:00+01:00", "listing_status": "published",
        "quantity_left": 4}),
]


def _listing_action(summary: str, request=None, responses=None, parameters=(), **kwargs):
    return extend_schema(
        summary=summary, tags=["listings"], request=request, parameters=[ID, *parameters],
        responses=responses or {200: s.ListingSerializer, 400: ERRORS[400],
                                401: ERRORS[401], 403: ERRORS[403], 404: ERRORS[404]},
        **kwargs)


@extend_schema_view(
    list=extend_schema(summary="List listings", tags=["listings"], parameters=LIST_PARAMETERS,
                       responses={200: s.ListingSerializer(many=True), 400: ERRORS[400],
                                  401: ERRORS[401], 403: ERRORS[403]}),
    retrieve=extend_schema(summary="One listing", tags=["listings"], parameters=[ID],
                           responses={200: s.ListingSerializer, 401: ERRORS[401],
                                      403: ERRORS[403], 404: ERRORS[404]}),
    create=extend_schema(summary="Create a listing (draft, or submitted with submit=true)",
                         tags=["listings"], request=s.ListingWriteSerializer,
                         responses={201: s.ListingSerializer, 400: ERRORS[400],
                                    401: ERRORS[401], 403: ERRORS[403]}),
    partial_update=extend_schema(summary="Edit a listing", tags=["listings"], parameters=[ID],
                                 request=s.ListingWriteSerializer,
                                 responses={200: s.ListingSerializer, 400: ERRORS[400],
                                            401: ERRORS[401], 403: ERRORS[403],
                                            404: ERRORS[404]}),
)
class ListingViewSet(AgentsAPIMixin, viewsets.GenericViewSet):
    queryset = Listing.objects.none()  # for the schema (id type); see get_queryset
    serializer_class = s.ListingSerializer
    pagination_class = Pagination
    lookup_value_regex = r"\d+"
    parser_classes = [JSONParser, FormParser, MultiPartParser]
    moderator_actions = {"approve", "reject", "request_changes"}

    def get_permissions(self):
        if self.action in self.moderator_actions:
            return [IsAuthenticated(), IsModerator()]
        return [IsAuthenticated(), IsMember()]

    def get_queryset(self):
        return selectors.with_quantity_left(
            Listing.objects.select_related("category", "service", "site")
            .prefetch_related("photos"))

    def get_object(self) -> Listing:
        """The listing, if the caller may see it; otherwise (another agent's draft,
        another authority's id) a 404 that tells nothing."""
        listing = self.get_queryset().filter(pk=self.kwargs["pk"]).first()
        if listing is None or not can_view(self.request.user, listing):
            raise NotFound
        return listing

    def _answer(self, listing: Listing, code: int = status.HTTP_200_OK) -> Response:
        fresh = self.get_queryset().get(pk=listing.pk)
        return Response(self.get_serializer(fresh).data, status=code)

    def _filters(self) -> tuple[selectors.FeedFilters, str]:
        params = self.request.query_params
        category = params.get("category", "").strip()
        if category and not category.isdigit():
            raise ValidationError({"category": [_("Give a category id.")]})
        listing_status = params.get("status", "").strip()
        if listing_status and listing_status not in ListingStatus.values:
            raise ValidationError({"status": [
                _("Unknown status. Use one of: %(values)s.")
                % {"values": ", ".join(ListingStatus.values)}]})
        filters = selectors.FeedFilters(q=params.get("q", ""),
                                        category=int(category) if category else None)
        return filters, listing_status

    def list(self, request):
        filters, listing_status = self._filters()
        listings = selectors.listings_visible_to(request.user, filters, status=listing_status)
        page = self.paginate_queryset(listings)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def retrieve(self, request, pk=None):
        return Response(self.get_serializer(self.get_object()).data)

    def create(self, request):
        data = s.ListingWriteSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        submit = fields.pop("submit", False)
        try:
            listing = create_listing(poster=request.user, submit=submit, **fields)
        except DjangoValidationError as error:
            _on_field(error)
        return self._answer(listing, status.HTTP_201_CREATED)

    def partial_update(self, request, pk=None):
        listing = self.get_object()
        data = s.ListingWriteSerializer(listing, data=request.data, partial=True,
                                        context={"request": request})
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        fields.pop("submit", None)
        visibility = fields.pop("visibility", None)
        with transaction.atomic():
            try:
                listing = update_listing(listing=listing, actor=request.user,
                                         **fields)
            except DjangoValidationError as error:
                _on_field(error)
            if visibility is not None:
                listing = set_visibility(listing=listing, actor=request.user,
                                         visibility=visibility)
        return self._answer(listing)

    @_listing_action(
        "Add a photo (multipart field `image`)", request={
            "multipart/form-data": s.PhotoUploadSerializer},
        responses={201: s.PhotoSerializer, 400: ERRORS[400], 401: ERRORS[401],
                   403: ERRORS[403], 404: ERRORS[404]})
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser, FormParser])
    def photos(self, request, pk=None):
        listing = self.get_object()
        upload = s.PhotoUploadSerializer(data=request.data)
        upload.is_valid(raise_exception=True)
        photo = photos.add_photo(listing=listing, actor=request.user,
                                 upload=upload.validated_data["image"])
        return Response(s.PhotoSerializer(photo, context={"request": request}).data,
                        status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="A photo's JPEG file (`full` or `thumb`)", tags=["listings"],
        parameters=[ID, OpenApiParameter("photo_id", int, OpenApiParameter.PATH),
                    OpenApiParameter("size", str, OpenApiParameter.PATH,
                                     enum=[*PHOTO_FIELDS])],
        responses={(200, "image/jpeg"): OpenApiTypes.BINARY, 401: ERRORS[401],
                   404: ERRORS[404]})
    @action(detail=True, methods=["get"], url_name="photo-file",
            url_path=r"photos/(?P<photo_id>\d+)/(?P<size>full|thumb)")
    def photo_file(self, request, pk=None, photo_id=None, size=None):
        """Photos are never public: members fetch them here with their token."""
        listing = self.get_object()
        photo = ListingPhoto.objects.filter(pk=photo_id, listing=listing).first()
        if photo is None:
            raise NotFound
        try:
            stream = default_storage.open(getattr(photo, PHOTO_FIELDS[size]).name, "rb")
        except OSError as error:
            raise NotFound from error
        response = FileResponse(stream, content_type="image/jpeg")
        patch_cache_control(response, private=True, max_age=3600)
        return response

    @_listing_action("Keep away from partners, or let it be offered (poster, moderators)",
                     request=s.PartnerOfferSerializer)
    @action(detail=True, methods=["post"], url_path="partner-offer", url_name="partner-offer")
    def partner_offer(self, request, pk=None):
        listing = self.get_object()
        data = s.PartnerOfferSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return self._answer(set_partner_offer_opt_out(
            listing=listing, actor=request.user, opt_out=data.validated_data["opt_out"]))

    @_listing_action("Submit for moderation (or publish, under post-moderation)")
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        return self._answer(submit_listing(listing=self.get_object(),
                                           actor=request.user))

    @_listing_action("Approve (moderators)")
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        return self._answer(approve_listing(listing=self.get_object(),
                                            actor=request.user))

    @_listing_action("Reject with a reason (moderators)", request=s.ReasonSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        listing = self.get_object()
        data = s.ReasonSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return self._answer(reject_listing(
            listing=listing, actor=request.user, reason=data.validated_data["reason"]))

    @_listing_action("Request changes with a message (moderators)", request=s.MessageSerializer)
    @action(detail=True, methods=["post"], url_path="request-changes")
    def request_changes(self, request, pk=None):
        listing = self.get_object()
        data = s.MessageSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return self._answer(request_changes(
            listing=listing, actor=request.user, message=data.validated_data["message"]))

    @_listing_action(
        "Tell the poster you are interested (e-mailed, moderators in Cc)",
        request=s.MessageSerializer,
        responses={201: s.ContactSerializer, 400: ERRORS[400], 401: ERRORS[401],
                   403: ERRORS[403], 404: ERRORS[404],
                   429: OpenApiResponse(ErrorSerializer, description="Too many contacts "
                                        "in the last hour.")})
    @action(detail=True, methods=["post"])
    def contact(self, request, pk=None):
        listing = self.get_object()
        data = s.MessageSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        contact = contact_poster(listing=listing, sender=request.user,
                                 message=data.validated_data["message"])
        return Response(s.ContactSerializer(contact).data, status=status.HTTP_201_CREATED)

    @_listing_action(
        "Give out, throw away or withdraw items (all that is left by default)",
        request=s.CloseSerializer, examples=CLOSE_EXAMPLES,
        responses={201: s.TransferSerializer, 400: ERRORS[400], 401: ERRORS[401],
                   403: ERRORS[403], 404: ERRORS[404]})
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        listing = self.get_object()
        data = s.CloseSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            transfer = close_listing(listing=listing, actor=request.user,
                                     **data.close_arguments())
        except DjangoValidationError as error:
            to_authority = data.validated_data["reason"] == "exchanged_other_authority"
            recipient = {"recipient": "recipient_authority_slug"} if (
                to_authority and data.validated_data.get("recipient_authority_slug")) else {}
            _on_field(error, value_implausible="confirm_outlier", **recipient)
        return Response(s.TransferSerializer(transfer).data, status=status.HTTP_201_CREATED)


# --- Moderators ---------------------------------------------------------------------------


@extend_schema_view(get=extend_schema(
    summary="Listings awaiting moderation, oldest first", tags=["moderation"],
    responses={200: s.ModerationQueueItemSerializer(many=True), 401: ERRORS[401],
               403: ERRORS[403]}))
class ModerationQueue(AgentsAPIMixin, generics.ListAPIView):
    serializer_class = s.ModerationQueueItemSerializer
    permission_classes = [IsAuthenticated, IsModerator]
    pagination_class = Pagination

    def get_queryset(self):
        return selectors.with_quantity_left(selectors.moderation_queue())


# --- Documentation ------------------------------------------------------------------------


class SwaggerDocs(SpectacularSwaggerSplitView):
    """Swagger UI under the strict CSP: Swagger's files from drf-spectacular-sidecar
    (static), its start-up script as a separate file (`?script=`), no inline style."""

    template_name = "exchange/api/swagger_ui.html"
