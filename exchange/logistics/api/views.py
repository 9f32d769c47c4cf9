"""Transports in the agents' API: HTTP in, one call to exchange.logistics.services or
selectors, JSON out. Errors are problem details (core/api/errors.py): a refusal of the
services keeps its code (400; 403 for "forbidden"), on the field it concerns when it has
one; a request the caller may not follow, or one of another authority, is a 404."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from accounts.api_permissions import IsAgent
from accounts.permissions import can_follow_transport
from core.api.schema import ERRORS as COMMON_ERRORS
from core.api.serializers import ErrorSerializer
from core.api.views import AgentsAPIMixin
from exchange.listings.api.views import Pagination
from exchange.logistics import selectors, services
from exchange.logistics.api import serializers as s
from exchange.logistics.forms import TransportForm
from exchange.logistics.models import TransportRequest

ERRORS = {**COMMON_ERRORS,
          404: OpenApiResponse(ErrorSerializer, description="No such transport request here.")}


def _on_field(error: DjangoValidationError) -> None:
    """Raise a service's refusal on the field it concerns (the form's map), else as is."""
    field = TransportForm.error_fields.get(getattr(error, "code", None) or "")
    if field:
        raise ValidationError({field: error.messages}, code=error.code) from error
    raise error


class TransportList(AgentsAPIMixin, generics.ListCreateAPIView):
    """The caller's transport requests (and those on its listings); POST asks for one."""

    permission_classes = [IsAuthenticated, IsAgent]
    serializer_class = s.TransportSerializer
    pagination_class = Pagination
    queryset = TransportRequest.objects.none()  # for the schema; see get_queryset

    def get_queryset(self):
        return selectors.my_transports(self.request.user)

    @extend_schema(request=s.TransportWriteSerializer,
                   responses={201: s.TransportSerializer, **ERRORS})
    def post(self, request, *args, **kwargs):
        data = s.TransportWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        place = {which: services.Place(
            site=fields.pop(f"{which}_site"), address=fields.pop(f"{which}_address", ""),
            contact=fields.pop(f"{which}_contact"), floor=fields.pop(f"{which}_floor"),
            lift=fields.pop(f"{which}_lift")) for which in ("pickup", "delivery")}
        try:
            transport = services.request_transport(
                actor=request.user, pickup=place["pickup"], delivery=place["delivery"],
                **fields)
        except DjangoValidationError as error:
            _on_field(error)
        fresh = selectors.my_transports(request.user).get(pk=transport.pk)
        return Response(self.get_serializer(fresh).data, status=status.HTTP_201_CREATED)


class TransportDetail(AgentsAPIMixin, generics.RetrieveAPIView):
    """One transport request and its status."""

    permission_classes = [IsAuthenticated, IsAgent]
    serializer_class = s.TransportSerializer
    queryset = TransportRequest.objects.none()

    @extend_schema(responses={200: s.TransportSerializer, **ERRORS})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_object(self) -> TransportRequest:
        transport = (TransportRequest.objects
                     .select_related(*selectors.STOP_RELATED, "round__team", "listing__poster")
                     .filter(pk=self.kwargs["id"]).first())
        if transport is None or not can_follow_transport(self.request.user, transport):
            raise NotFound
        return transport
