"""Authentication of the partner API: `Authorization: Bearer <prefix>.<secret>` (or
`Api-Key <prefix>.<secret>`). Agents' tokens (`Token …`) and sessions mean nothing here."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed

from exchange.partners.models import ApiKey, Partner
from exchange.partners.services import KeyRefused, authenticate_key

KEYWORDS = ("bearer", "api-key")


@dataclass(frozen=True)
class PartnerClient:
    """`request.user` of the partner API: the partner behind the key."""

    partner: Partner
    api_key: ApiKey
    is_authenticated: bool = True
    is_active: bool = True
    is_anonymous: bool = False

    @property
    def pk(self) -> int:
        return self.api_key.pk


class PartnerKeyAuthentication(BaseAuthentication):
    def authenticate(self, request):
        header = get_authorization_header(request).decode("latin-1", errors="replace")
        if not header.strip():
            return None
        keyword, _space, raw = header.strip().partition(" ")
        if keyword.lower() not in KEYWORDS or not raw.strip():
            raise AuthenticationFailed(_(
                "The partner API takes a partner key only: send "
                "`Authorization: Bearer <prefix>.<secret>`."))
        try:
            api_key = authenticate_key(raw)
        except KeyRefused as refused:
            raise AuthenticationFailed(str(refused)) from None
        return PartnerClient(partner=api_key.partner, api_key=api_key), api_key

    def authenticate_header(self, request) -> str:
        return 'Bearer realm="partner-api"'


class PartnerKeyScheme(OpenApiAuthenticationExtension):
    target_class = PartnerKeyAuthentication
    name = "partnerKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http", "scheme": "bearer", "bearerFormat": "cr_<prefix>.<secret>",
            "description": "A partner API key, created by an authority's administrator or "
                           "an operator and shown once. `Api-Key <key>` is accepted too.",
        }
