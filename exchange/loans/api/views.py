"""The loans in the agents' API: the lending catalogue, a booking request, my bookings.
HTTP in, one call to exchange.loans.selectors or services, JSON out; refusals in the
problem-details format (core/api/errors.py): a service's LoanError keeps its code
(`start`, `end`, `quantity`, `overbooked`…) and, for bad input, names the field in
`errors`."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api_permissions import IsMember
from core.api.errors import SERVICE_STATUS, problem
from core.api.schema import ERRORS
from core.api.serializers import ErrorSerializer
from core.api.views import AgentsAPIMixin
from exchange.listings.api.views import Pagination
from exchange.loans import selectors, services
from exchange.loans.api import serializers as s
from exchange.loans.models import LendableItem

# The field of the request each refusal of the stock rule or of the dates concerns.
FIELD_OF_ERROR = {"start": "start", "end": "end", "quantity": "quantity",
                  "overbooked": "quantity"}


class LendableItemList(AgentsAPIMixin, generics.ListAPIView):
    serializer_class = s.LendableItemSerializer
    permission_classes = [IsAuthenticated, IsMember]
    pagination_class = Pagination

    def get_queryset(self):
        return selectors.catalogue()

    @extend_schema(summary="Equipment the services of this authority lend", tags=["loans"],
                   responses={200: s.LendableItemSerializer(many=True), 400: ERRORS[400],
                              401: ERRORS[401], 403: ERRORS[403]})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class BookingRequest(AgentsAPIMixin, APIView):
    permission_classes = [IsAuthenticated, IsMember]

    @extend_schema(
        summary="Ask to borrow an item from a first to a last day",
        description="Refused with code `start` (in the past), `end` (before the first "
                    "day, or too long), `quantity` (above the stock) or `overbooked` "
                    "(approved bookings hold too many units one of these days); the "
                    "owning service approves or declines.",
        tags=["loans"], request=s.BookingRequestSerializer,
        responses={201: s.BookingSerializer, 400: ERRORS[400], 401: ERRORS[401],
                   403: ERRORS[403],
                   404: OpenApiResponse(ErrorSerializer, description="No such item here.")})
    def post(self, request, pk: int):
        item = get_object_or_404(LendableItem, pk=pk, is_active=True)
        data = s.BookingRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            booking = services.request_booking(item=item, actor=request.user,
                                               **data.validated_data)
        except services.LoanError as error:
            field = FIELD_OF_ERROR.get(error.code)
            return problem(SERVICE_STATUS.get(error.code, status.HTTP_400_BAD_REQUEST),
                           " ".join(error.messages), error.code,
                           {field: error.messages} if field else None)
        return Response(s.BookingSerializer(booking).data, status=status.HTTP_201_CREATED)


class MyBookingList(AgentsAPIMixin, generics.ListAPIView):
    serializer_class = s.BookingSerializer
    permission_classes = [IsAuthenticated, IsMember]
    pagination_class = Pagination

    def get_queryset(self):
        return selectors.bookings_of(self.request.user)

    @extend_schema(summary="My loan bookings", tags=["loans"],
                   responses={200: s.BookingSerializer(many=True), 400: ERRORS[400],
                              401: ERRORS[401], 403: ERRORS[403]})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)
