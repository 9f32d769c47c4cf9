"""OpenAPI schema of the agents' API: every operation lists the error answers it can give,
all in the one problem format (core/api/errors.py), and the text it accepts says it refuses
control characters (as a `pattern`).

Which errors an operation can give follows from the view, so that a new view gets them
without a declaration: 400 (bad input, control characters in any query parameter), 500
and 503 (a dependency down, core.unavailable) everywhere; 401 when it needs a token; 403
when a permission can refuse; 404 when its path names an object or it is paginated; 413
and 415 when it takes a body; 429 when it is throttled. A view may still declare any of
them itself, with its own description.
"""

from __future__ import annotations

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse
from rest_framework import permissions, serializers

from core.api.errors import (
    MULTILINE_FIELDS,
    MULTILINE_PATTERN,
    PROBLEM,
    SINGLE_LINE_PATTERN,
)
from core.api.serializers import ErrorSerializer

DESCRIPTIONS = {
    400: "Bad input (`errors` names each field or parameter) or refused by a rule "
         "(`code` names it).",
    401: "No token, or an invalid one.",
    403: "Not allowed for this account.",
    404: "No such object here (or not visible to you), or no such page.",
    413: "The request body (or the photo) is too large.",
    415: "The body's media type is not accepted here.",
    429: "Too many requests: wait `Retry-After` seconds.",
    500: "Something went wrong on our side.",
    503: "A service the platform depends on did not answer: try again after `Retry-After` "
         "seconds.",
}
BODY_METHODS = {"POST", "PUT", "PATCH"}
# The error answers a view declares itself: `responses={…, 403: ERRORS[403]}`.
ERRORS = {status_code: OpenApiResponse(ErrorSerializer, description=description)
          for status_code, description in DESCRIPTIONS.items()}


class AgentsAutoSchema(AutoSchema):
    """drf-spectacular's AutoSchema plus the agents' API error answers and input rules."""

    def error_statuses(self) -> list[int]:
        """The error statuses this operation can answer (see the module docstring)."""
        statuses = [400, 500, 503]
        if self.get_auth() and {} not in self.get_auth():
            statuses.append(401)
        if any(not isinstance(p, permissions.AllowAny) for p in self.view.get_permissions()):
            statuses.append(403)
        paginated = self._is_list_view() and getattr(self.view, "pagination_class", None)
        if "{" in self.path or paginated:
            statuses.append(404)
        if self.method in BODY_METHODS and self.get_request_serializer() is not None:
            statuses += [413, 415]
        if self.view.get_throttles():
            statuses.append(429)
        return sorted(statuses)

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        for status_code in self.error_statuses():
            if str(status_code) not in responses:
                responses[str(status_code)] = self._get_response_for_code(
                    OpenApiResponse(ErrorSerializer, description=DESCRIPTIONS[status_code]),
                    str(status_code), direction=direction)
        for status_code, response in responses.items():
            content = response.get("content")
            if status_code >= "400" and content:
                # Whatever a view declared for an error, it is answered as a problem.
                response["content"] = {PROBLEM: next(iter(content.values()))}
        return responses

    def get_operation(self, *args, **kwargs):
        operation = super().get_operation(*args, **kwargs)
        for parameter in (operation or {}).get("parameters", []):
            schema = parameter.get("schema", {})
            if (parameter["in"] == "query" and schema.get("type") == "string"
                    and not {"enum", "format", "pattern"} & schema.keys()):
                schema["pattern"] = SINGLE_LINE_PATTERN
        return operation

    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        if (direction == "request" and isinstance(field, serializers.CharField)
                and schema.get("type") == "string"
                and not {"enum", "format", "pattern"} & schema.keys()):
            multiline = field.field_name in MULTILINE_FIELDS
            schema["pattern"] = MULTILINE_PATTERN if multiline else SINGLE_LINE_PATTERN
        return schema
