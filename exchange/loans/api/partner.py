"""The loans in the partner API (bare host, /api/v1/partner/loans/, partner keys only):
the items open to partners in the authorities whose grant the key reads, and a booking
request (`listings:request`). Same authentication, scopes, throttling and problem
format as the rest of the partner API (exchange.partners.api.views.PartnerAPIView);
every read and write in an authority's schema crosses through tenants.crossing with
the partner's grant as ground."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from core.api.errors import SERVICE_STATUS, problem
from exchange.loans import selectors, services
from exchange.loans.api.serializers import BookingRequestSerializer
from exchange.loans.api.views import FIELD_OF_ERROR
from exchange.partners.api.serializers import ProblemSerializer
from exchange.partners.api.views import ERRORS, PROBLEM, PartnerAPIView
from exchange.partners.models import Scope
from tenants.models import Authority


class PartnerItemSerializer(serializers.Serializer):
    authority = serializers.CharField(source="authority.slug")
    authority_name = serializers.CharField(source="authority.name")
    id = serializers.IntegerField(source="item.pk")
    title = serializers.CharField(source="item.title")
    description = serializers.CharField(source="item.description")
    quantity = serializers.IntegerField(source="item.quantity")
    conditions = serializers.CharField(source="item.conditions")
    service = serializers.CharField(source="item.service.name")


class PartnerBookingSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    item = serializers.IntegerField(source="item_id")
    start = serializers.DateField()
    end = serializers.DateField()
    quantity = serializers.IntegerField()
    status = serializers.CharField()


class PartnerLoanItems(PartnerAPIView):
    """Equipment the authorities that granted you `listings:read` lend to partners."""

    required_scope = Scope.LISTINGS_READ

    @extend_schema(operation_id="partner_loan_items", tags=["loans"],
                   responses={200: PartnerItemSerializer(many=True), **ERRORS})
    def get(self, request):
        items = selectors.partner_catalogue(request.user.partner, request.auth)
        return Response(PartnerItemSerializer(items, many=True).data)


class PartnerLoanBooking(PartnerAPIView):
    """Ask to borrow an item from a first to a last day (both included); the lending
    service answers by e-mail to your contact address."""

    required_scope = Scope.LISTINGS_REQUEST

    @extend_schema(
        operation_id="partner_loan_booking", tags=["loans"],
        parameters=[OpenApiParameter("authority_slug", OpenApiTypes.STR, "path"),
                    OpenApiParameter("item_id", OpenApiTypes.INT, "path")],
        request=BookingRequestSerializer,
        responses={201: PartnerBookingSerializer, **ERRORS,
                   (404, PROBLEM): OpenApiResponse(
                       ProblemSerializer, description="No such item lent to partners.")})
    def post(self, request, authority_slug: str, item_id: int):
        authority = get_object_or_404(Authority.objects.exclude(schema_name="public"),
                                      slug=authority_slug)
        if item_id > 2**62 or not selectors.partner_may_book(
                request.user.partner, request.auth, authority):
            raise Http404
        body = BookingRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            booking = services.request_partner_booking(
                partner=request.user.partner, api_key=request.auth, authority=authority,
                item_id=item_id, **body.validated_data)
        except services.LoanError as error:
            field = FIELD_OF_ERROR.get(error.code)
            return problem(SERVICE_STATUS.get(error.code, status.HTTP_400_BAD_REQUEST),
                           " ".join(error.messages), error.code,
                           {field: error.messages} if field else None)
        return Response(PartnerBookingSerializer(booking).data, status=status.HTTP_201_CREATED)
