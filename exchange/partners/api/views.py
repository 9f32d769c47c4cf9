"""Views of the partner API (bare host, /api/v1/partner/): HTTP in, one call to the
partners' selectors or services, JSON out. Errors are `application/problem+json`."""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import get_object_or_404
from django.utils.cache import patch_cache_control
from django.utils.dateparse import parse_datetime
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, status
from rest_framework.parsers import JSONParser
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.views import APIView, set_rollback
from rest_framework.views import exception_handler as drf_exception_handler

from exchange.partners import selectors, services
from exchange.partners.api import serializers as s
from exchange.partners.api.authentication import PartnerKeyAuthentication
from exchange.partners.grounds import PartnerGrantGround
from exchange.partners.models import Scope
from tenants.crossing import CrossingRefused, in_authority
from tenants.models import Authority

PROBLEM = "application/problem+json"
PROBLEM_TYPE = "https://collectivrecup.fr/problems/"
TITLES = {400: "Bad request", 401: "Unauthorized", 403: "Forbidden", 404: "Not found",
          405: "Method not allowed", 406: "Not acceptable", 409: "Conflict",
          415: "Unsupported media type", 429: "Too many requests"}
SERVICE_STATUS = {"forbidden": 403, "not_found": 404, "duplicate": 409}


def problem(status_code: int, detail: str, kind: str, errors: dict | None = None,
            headers: dict | None = None) -> Response:
    body = {"type": PROBLEM_TYPE + kind, "title": TITLES.get(status_code, "Error"),
            "status": status_code, "detail": detail}
    if errors:
        body["errors"] = errors
    return Response(body, status=status_code, content_type=PROBLEM, headers=headers)


def _messages(data) -> dict:
    return {field: [str(m) for m in (messages if isinstance(messages, list) else [messages])]
            for field, messages in data.items()}


def problem_exception_handler(exc, context):
    """Every error of the partner API as problem details, with a clear French message."""
    if isinstance(exc, DjangoValidationError):  # services' ExchangeError
        set_rollback()
        code = getattr(exc, "code", None) or "invalid"
        return problem(SERVICE_STATUS.get(code, 400), " ".join(exc.messages), code)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(_("No such listing is offered to you."))
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    headers = {name: value for name, value in response.items()
               if name in ("Retry-After", "WWW-Authenticate", "Allow")}
    if isinstance(exc, exceptions.ValidationError):
        errors = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        return problem(400, _("Some parameters are not valid: see `errors`."), "invalid",
                       _messages(errors), headers)
    if isinstance(exc, exceptions.Throttled):
        detail = _("Too many requests for this key: wait %(seconds)s s (Retry-After).") % {
            "seconds": exc.wait and int(exc.wait + 0.999) or 1}
        return problem(429, detail, "throttled", headers=headers)
    detail = exc.detail if isinstance(exc, exceptions.APIException) else str(exc)
    kind = getattr(exc, "default_code", "error")
    return problem(response.status_code, str(detail), str(kind), headers=headers)


class PartnerKeyThrottle(SimpleRateThrottle):
    """Requests per key (DEFAULT_THROTTLE_RATES["partner_key"])."""

    scope = "partner_key"

    def get_cache_key(self, request, view):
        if request.auth is None:
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.auth.pk}


class HasScope(BasePermission):
    """The key reads at least one authority with the view's `required_scope` now (an
    accepted grant of a live authority: the key's own grant, or any for an
    operator-issued key). Per-authority checks are in the services and selectors."""

    def has_permission(self, request, view) -> bool:
        if request.auth is None:
            return False
        if not selectors.granting_authority_ids(request.user.partner, view.required_scope,
                                                request.auth):
            self.message = _("No authority grants this partner the access `%(scope)s`.") % {
                "scope": view.required_scope}
            return False
        return True


ERRORS = {
    (status_code, PROBLEM): OpenApiResponse(s.ProblemSerializer, description=description)
    for status_code, description in [
        (400, "Bad parameters (see `errors`)."),
        (401, "No key, a malformed, unknown, revoked or expired key."),
        (403, "The key's partner lacks the scope (for this authority)."),
        (429, "Too many requests for this key: wait `Retry-After` seconds."),
    ]
}


@csrf_exempt  # like the API views: no cookie authenticates here
def not_found(request, *args, **kwargs):
    """Any other path under /api/v1/partner/: a problem, not the site's HTML 404."""
    body = {"type": PROBLEM_TYPE + "not_found", "title": TITLES[404], "status": 404,
            "detail": _("No such address in the partner API: see /api/v1/partner/schema/.")}
    return JsonResponse(body, status=404, content_type=PROBLEM)


def reject_empty_parameters(request) -> None:
    """`?start=` is no date and `?category=` no category: say so rather than ignore it."""
    empty = [name for name, value in request.query_params.items() if value == ""]
    if empty:
        raise exceptions.ValidationError({name: [_("This parameter is empty.")]
                                          for name in empty})


class PartnerAPIView(APIView):
    authentication_classes = [PartnerKeyAuthentication]
    permission_classes = [HasScope]
    throttle_classes = [PartnerKeyThrottle]
    parser_classes = [JSONParser]
    required_scope = Scope.LISTINGS_READ

    def get_exception_handler(self):
        return problem_exception_handler


# Keyset pagination on (updated_at, pk), kept on purpose instead of DRF's
# CursorPagination: DRF positions on the first ordering field alone and pages through
# ties with an offset capped at `offset_cutoff` (1,000), but a catalogue rebuild stamps
# every changed entry of an authority with one `updated_at`, so thousands of ties are
# normal here; the pk in the cursor walks them in one indexed query per page.
def _encode_cursor(updated_at: datetime, pk: int) -> str:
    raw = json.dumps([updated_at.isoformat(), pk]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str) -> tuple[datetime, int]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        stamp, pk = json.loads(base64.urlsafe_b64decode(padded.encode()))
        moment = parse_datetime(stamp)
        if moment is None or not isinstance(pk, int):
            raise ValueError
        return moment, pk
    except (ValueError, TypeError, binascii.Error, json.JSONDecodeError, UnicodeDecodeError):
        raise exceptions.ValidationError(
            {"cursor": [_("Unknown cursor: use the `next_cursor` of a previous page.")]}
        ) from None


LISTING_EXAMPLE = {
    "id": "chatellerault:42", "listing_id": 42,
    "authority": {"slug": "chatellerault", "name": "Ville de Châtellerault",
                  "departement": "86"},
    "title": "Chaises visiteur empilables", "description": "Lot de 12 chaises en hêtre.",
    "family": "Mobilier de bureau", "category": "Chaise visiteur / empilable",
    "reference_code": "chaise-visiteur", "condition": "good", "quantity": 12,
    "commune": "Châtellerault", "postcode": "86100", "available_from": None,
    "available_until": "2026-12-31", "published_at": "2026-10-02T09:12:00+02:00",
    "offered_at": "2026-10-23T06:00:00+02:00", "updated_at": "2026-10-23T06:00:00+02:00",
    "request_url": "https://collectivrecup.fr/api/v1/partner/listings/chatellerault/42/"
                   "requests/",
    "photos": [{"full": "https://collectivrecup.fr/api/v1/partner/listings/chatellerault/42/"
                        "photos/7/full/",
                "thumb": "https://collectivrecup.fr/api/v1/partner/listings/chatellerault/42/"
                         "photos/7/thumb/"}],
}


class ListingFeed(PartnerAPIView):
    """Listings offered to your partner by every authority granting `listings:read`,
    oldest change first; follow `next` (or keep `next_cursor`) for an incremental sync."""

    required_scope = Scope.LISTINGS_READ

    @extend_schema(
        operation_id="partner_listings", tags=["listings"], parameters=[s.FeedQuerySerializer],
        responses={200: s.FeedPageSerializer, **ERRORS},
        examples=[OpenApiExample("A page", response_only=True, status_codes=["200"], value={
            "next": "https://collectivrecup.fr/api/v1/partner/listings/?cursor=WyIy",
            "next_cursor": "WyIyMDI2LTEwLTIzVDA2OjAwOjAwKzAyOjAwIiwgNDJd",
            "results": [LISTING_EXAMPLE]})],
    )
    def get(self, request):
        reject_empty_parameters(request)
        query = s.FeedQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        entries = selectors.offered_entries(
            request.user.partner, key=request.auth, category=params.get("category", ""),
            reference_code=params.get("reference_code", ""),
            departement=params.get("departement", "").upper(),
            authority_slug=params.get("authority", ""),
            updated_since=params.get("updated_since"))
        if params.get("cursor"):
            moment, pk = _decode_cursor(params["cursor"])
            entries = selectors.after_cursor(entries, moment, pk)
        size = params["page_size"]
        page = list(entries[:size + 1])
        more, page = len(page) > size, page[:size]
        next_cursor = _encode_cursor(page[-1].updated_at, page[-1].pk) if page else None
        next_url = None
        if more:
            kept = {k: v for k, v in request.query_params.items() if k != "cursor"}
            next_url = request.build_absolute_uri(
                f"{request.path}?{urlencode({**kept, 'cursor': next_cursor})}")
        elif not page:
            next_cursor = params.get("cursor")
        return Response({"next": next_url, "next_cursor": next_cursor,
                         "results": s.PartnerListingSerializer(
                             page, many=True, context={"request": request}).data})


class ListingRequest(PartnerAPIView):
    """Ask for an offered listing: the poster is e-mailed (moderators in Cc) and answers
    your contact by e-mail; `request.answered` tells you the outcome."""

    required_scope = Scope.LISTINGS_REQUEST

    @extend_schema(
        operation_id="partner_listing_request", tags=["listings"],
        parameters=[OpenApiParameter("authority_slug", OpenApiTypes.STR, "path"),
                    OpenApiParameter("listing_id", OpenApiTypes.INT, "path")],
        request=s.RequestInSerializer,
        responses={201: s.PartnerRequestSerializer, **ERRORS,
                   (404, PROBLEM): OpenApiResponse(
                       s.ProblemSerializer, description="No such offered listing."),
                   (409, PROBLEM): OpenApiResponse(
                       s.ProblemSerializer, description="Already asked, not answered yet.")},
        examples=[OpenApiExample("Request", request_only=True, value={
            "message": "Bonjour, nous pouvons passer jeudi avec un camion."})],
    )
    def post(self, request, authority_slug: str, listing_id: int):
        body = s.RequestInSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        authority = get_object_or_404(Authority.objects.exclude(schema_name="public"),
                                      slug=authority_slug)
        if listing_id > 2**62:
            raise Http404
        partner_request = services.request_listing(
            partner=request.user.partner, authority=authority, listing_id=listing_id,
            message=body.validated_data.get("message", ""), api_key=request.auth)
        return Response(s.PartnerRequestSerializer(partner_request).data,
                        status=status.HTTP_201_CREATED)


class ListingPhoto(PartnerAPIView):
    """A photo of an offered listing (JPEG, metadata removed at upload)."""

    required_scope = Scope.LISTINGS_READ

    def perform_content_negotiation(self, request, force=False):
        # The answer is a JPEG file or a JSON problem, whatever `Accept` says.
        return super().perform_content_negotiation(request, force=True)

    @extend_schema(
        operation_id="partner_listing_photo", tags=["listings"],
        parameters=[OpenApiParameter("authority_slug", OpenApiTypes.STR, "path"),
                    OpenApiParameter("listing_id", OpenApiTypes.INT, "path"),
                    OpenApiParameter("photo_id", OpenApiTypes.INT, "path"),
                    OpenApiParameter("size", OpenApiTypes.STR, "path", enum=["full", "thumb"])],
        responses={(200, "image/jpeg"): OpenApiTypes.BINARY, **ERRORS,
                   (404, PROBLEM): OpenApiResponse(
                       s.ProblemSerializer, description="No such photo of an offered listing.")},
    )
    def get(self, request, authority_slug: str, listing_id: int, photo_id: int, size: str):
        authority = get_object_or_404(Authority.objects.exclude(schema_name="public"),
                                      slug=authority_slug)
        if size not in ("full", "thumb") or max(listing_id, photo_id) > 2**62:
            raise Http404
        ground = PartnerGrantGround(request.user.partner, Scope.LISTINGS_READ, request.auth)
        try:
            with in_authority(authority, ground=ground):
                name = selectors.offered_photo_name(request.user.partner, authority,
                                                    listing_id, photo_id, size, request.auth)
                if name is None:
                    raise Http404
                try:
                    stream = default_storage.open(name, "rb")
                except OSError:
                    raise Http404 from None
        except CrossingRefused:
            raise Http404 from None
        response = FileResponse(stream, content_type="image/jpeg")
        patch_cache_control(response, private=True, max_age=3600)
        return response


class Stats(PartnerAPIView):
    """Figures of the authorities granting you `stats:read`: items, kg and kg CO2e
    avoided, by destination and by item type. No € (never in the partner API)."""

    required_scope = Scope.STATS_READ

    @extend_schema(operation_id="partner_stats", tags=["stats"],
                   parameters=[s.StatsQuerySerializer],
                   responses={200: s.StatsSerializer, **ERRORS})
    def get(self, request):
        reject_empty_parameters(request)
        query = s.StatsQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        start, end = query.validated_data.get("start"), query.validated_data.get("end")
        rows = selectors.partner_stats(
            selectors.granting_authority_ids(request.user.partner, Scope.STATS_READ,
                                             request.auth),
            start, end)
        return Response(s.StatsSerializer({"start": start, "end": end,
                                           "authorities": rows}).data)
