"""One error format for the agents' API (/api/v1/ on an authority's host).

Every refusal answers `application/problem+json` (RFC 9457), whatever its cause:

    {"type": "https://collectivrecup.fr/problems/<code>", "title": "Bad request",
     "status": 400, "detail": "<what went wrong, in the caller's language>",
     "code": "<code>", "errors": {"<field or parameter>": ["<message>", …]}}

`errors` is there only for bad input (400 `invalid`). A service's ExchangeError keeps its
code (`state`, `forbidden`, `rate_limited`…); its status comes from SERVICE_STATUS.

Text coming in is refused when it holds a control character (NUL included): query
parameters and single-line fields any of U+0000–U+001F and U+007F; the multi-line fields
(MULTILINE_FIELDS) may hold tab, line feed and carriage return. An empty query parameter
is refused too, but for the free texts (EMPTY_ALLOWED: `?q=` searches everything).
"""

from __future__ import annotations

import logging
import re

from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.signals import got_request_exception
from django.http import Http404, JsonResponse
from django.urls import Resolver404, resolve
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from core.unavailable import RETRY_AFTER_SECONDS, is_unavailable

logger = logging.getLogger(__name__)

PROBLEM = "application/problem+json"
PROBLEM_TYPE = "https://collectivrecup.fr/problems/"
TITLES = {400: "Bad request", 401: "Unauthorized", 403: "Forbidden", 404: "Not found",
          405: "Method not allowed", 406: "Not acceptable", 409: "Conflict",
          413: "Content too large", 415: "Unsupported media type", 429: "Too many requests",
          500: "Internal server error", 503: "Service unavailable"}
# ExchangeError codes that are not a plain "bad request".
SERVICE_STATUS = {"forbidden": status.HTTP_403_FORBIDDEN,
                  "not_found": status.HTTP_404_NOT_FOUND,
                  "too_large": status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
                  "rate_limited": status.HTTP_429_TOO_MANY_REQUESTS}
KEPT_HEADERS = ("Retry-After", "WWW-Authenticate", "Allow")

# Fields whose text may span several lines (tab, LF and CR allowed there).
MULTILINE_FIELDS = frozenset({"description", "message", "reason"})
SINGLE_LINE_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
MULTILINE_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# Query parameters that may be empty: free texts, where empty means "any".
EMPTY_ALLOWED = frozenset({"q", "authority"})
# The same rules as OpenAPI `pattern`s (ECMA 262 and Python agree on these).
SINGLE_LINE_PATTERN = r"^[^\x00-\x1f\x7f]*$"
MULTILINE_PATTERN = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"


def problem(status_code: int, detail: str, code: str, errors: dict | None = None,
            headers: dict | None = None) -> Response:
    """A problem-details answer of the agents' API."""
    return Response(problem_body(status_code, detail, code, errors), status=status_code,
                    content_type=PROBLEM, headers=headers)


def problem_body(status_code: int, detail: str, code: str, errors: dict | None = None) -> dict:
    body = {"type": PROBLEM_TYPE + code, "title": TITLES.get(status_code, "Error"),
            "status": status_code, "detail": detail, "code": code}
    if errors:
        body["errors"] = errors
    return body


def _messages(detail, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested error detail as a flat {"field" or "field.sub": [messages]}."""
    if isinstance(detail, dict):
        flat: dict[str, list[str]] = {}
        for key, value in detail.items():
            flat.update(_messages(value, f"{prefix}.{key}" if prefix else str(key)))
        return flat
    if isinstance(detail, list):
        if all(not isinstance(item, (dict, list)) for item in detail):
            return {prefix or "non_field_errors": [str(item) for item in detail]}
        flat = {}
        for index, item in enumerate(detail):
            flat.update(_messages(item, f"{prefix}.{index}" if prefix else str(index)))
        return flat
    return {prefix or "non_field_errors": [str(detail)]}


class ContentTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."
    default_code = "too_large"


def problem_exception_handler(exc, context):
    """Every error of the agents' API as problem details (see the module docstring);
    an unexpected exception is logged and answered as a 500 problem."""
    if isinstance(exc, DjangoValidationError):  # services' ExchangeError
        set_rollback()
        code = getattr(exc, "code", None) or "invalid"
        errors = _messages(exc.message_dict) if hasattr(exc, "error_dict") else None
        return problem(SERVICE_STATUS.get(code, status.HTTP_400_BAD_REQUEST),
                       " ".join(exc.messages), code, errors)
    if isinstance(exc, RequestDataTooBig):
        exc = ContentTooLarge(_("The request body is too large."))
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    response = drf_exception_handler(exc, context)
    if response is None and is_unavailable(exc):
        return _unavailable(exc)
    if response is None:
        return _server_error(exc, context)
    headers = {name: value for name, value in response.items() if name in KEPT_HEADERS}
    if isinstance(exc, exceptions.ValidationError):
        return problem(status.HTTP_400_BAD_REQUEST,
                       _("Some fields or parameters are not valid: see `errors`."),
                       "invalid", _messages(exc.detail), headers)
    if isinstance(exc, exceptions.Throttled):
        detail = _("Too many requests: wait %(seconds)s s (Retry-After).") % {
            "seconds": int(exc.wait + 0.999) if exc.wait else 1}
        return problem(status.HTTP_429_TOO_MANY_REQUESTS, detail, "throttled", headers=headers)
    code = exc.detail.code if isinstance(exc.detail, exceptions.ErrorDetail) else None
    return problem(response.status_code, str(exc.detail),
                   str(code or getattr(exc, "default_code", "error")), headers=headers)


def _unavailable(exc):
    """A dependency (database, broker, cache, file store) did not answer: 503 with
    Retry-After, logged without a traceback's worth of noise (core.unavailable)."""
    set_rollback()
    logger.warning("The agents' API answered 503: %s", type(exc).__name__)
    return problem(status.HTTP_503_SERVICE_UNAVAILABLE,
                   _("A service the platform depends on is not answering. Try again in a "
                     "moment (Retry-After)."), "unavailable",
                   headers={"Retry-After": str(RETRY_AFTER_SECONDS)})


def _server_error(exc, context):
    """A bug: logged with its traceback (and reported like Django's own 500s), answered
    in the documented shape without any detail of the failure."""
    set_rollback()
    request = context.get("request")
    logger.error("Unhandled %s in the agents' API", type(exc).__name__, exc_info=exc)
    if request is not None:
        got_request_exception.send(sender=None, request=getattr(request, "_request", request))
    return problem(status.HTTP_500_INTERNAL_SERVER_ERROR,
                   _("Something went wrong on our side. Try again later."), "server_error")


def control_character_errors(values, *, multiline: frozenset = frozenset()) -> dict:
    """{name: [message]} for each text value of `values` (a mapping, a QueryDict or
    parsed JSON) holding a control character; keys and nested values included."""
    errors: dict[str, list[str]] = {}

    def visit(value, name: str, key: str) -> None:
        if isinstance(value, str):
            allowed_lines = key in multiline
            pattern = MULTILINE_CONTROL if allowed_lines else SINGLE_LINE_CONTROL
            if pattern.search(value):
                errors[name] = [
                    _("Control characters are not allowed here (tab and line breaks "
                      "only in multi-line text).") if allowed_lines
                    else _("Control characters (NUL, line breaks, tab…) are not allowed "
                           "here.")]
        elif isinstance(value, dict):
            for sub_key, sub_value in value.items():
                visit_key(sub_key, f"{name}.{sub_key}" if name else str(sub_key))
                visit(sub_value, f"{name}.{sub_key}" if name else str(sub_key), str(sub_key))
        elif isinstance(value, (list, tuple)):
            for index, item in enumerate(value):
                visit(item, f"{name}.{index}" if name else str(index), key)

    def visit_key(sub_key, name: str) -> None:
        if isinstance(sub_key, str) and SINGLE_LINE_CONTROL.search(sub_key):
            errors[SINGLE_LINE_CONTROL.sub("?", name)] = [
                _("Control characters are not allowed in a name.")]

    if hasattr(values, "lists"):  # QueryDict: every value of a repeated key
        for key, items in values.lists():
            visit_key(key, key)
            for item in items:
                visit(item, key, key)
    else:
        visit(values, "", "")
    if "" in errors:  # the body itself is a string
        errors["non_field_errors"] = errors.pop("")
    return errors


def refuse_bad_input(request) -> None:
    """400 (`errors` naming each culprit) when a query parameter or a text field of the
    body holds a control character, or when a query parameter other than a free text
    (EMPTY_ALLOWED) is empty: `?to=` is no date and `?status=` no status."""
    errors = control_character_errors(request.query_params)
    for name, values in request.query_params.lists():
        if name not in EMPTY_ALLOWED and "" in values:
            errors.setdefault(name, [_("This parameter is empty: leave it out or give it "
                                       "a value.")])
    if request.method not in ("GET", "HEAD", "OPTIONS", "DELETE"):
        data = request.data
        errors.update(control_character_errors(data, multiline=MULTILINE_FIELDS))
    if errors:
        raise exceptions.ValidationError(errors)


@csrf_exempt  # like the API views: a cookie alone does not make a request here
def not_found(request, *args, **kwargs):
    """Any other path under /api/v1/: a problem, not the site's HTML 404 (nor a redirect
    to the path with its final slash, which would lose a POST's body)."""
    detail = _("No such address in the API: see /api/v1/schema/.")
    if not request.path_info.endswith("/"):
        try:
            with_slash = resolve(request.path_info + "/", getattr(request, "urlconf", None))
        except Resolver404:
            with_slash = None
        if with_slash is not None and with_slash.func is not not_found:
            detail = _("No such address in the API: its paths end with a slash "
                       "(%(path)s).") % {"path": request.path + "/"}
    body = problem_body(404, detail, "not_found")
    return JsonResponse(body, status=404, content_type=PROBLEM)
