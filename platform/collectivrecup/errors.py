"""The server-error handler of both URL configurations (handler500): a dependency that
is down (core.unavailable) answers 503 with Retry-After — a short page in the visitor's
language, or the API's problem+json on /api/ — and anything else the usual 500 page.

It renders without the request's context processors: they read the session and the
user, i.e. the database that may be the very thing down.
"""

from __future__ import annotations

import sys

from django.http import HttpResponse, HttpResponseServerError, JsonResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.views.decorators.csrf import requires_csrf_token

from core.api.errors import PROBLEM, problem_body
from core.unavailable import RETRY_AFTER_SECONDS, is_unavailable

API_PREFIXES = ("/api/",)


def unavailable_response(request) -> HttpResponse:
    """503: a dependency did not answer; the client may try again after Retry-After."""
    if request.path.startswith(API_PREFIXES):
        response = JsonResponse(
            problem_body(503, _("A service the platform depends on is not answering. "
                                "Try again in a moment (Retry-After)."), "unavailable"),
            status=503, content_type=PROBLEM)
    else:
        response = HttpResponse(render_to_string("503.html", {
            "retry_after": RETRY_AFTER_SECONDS}), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


@requires_csrf_token
def server_error(request, *args, **kwargs):
    """handler500: Django calls it while the exception is being handled."""
    if is_unavailable(sys.exc_info()[1]):
        return unavailable_response(request)
    if request.path.startswith(API_PREFIXES):
        return JsonResponse(problem_body(500, _("Something went wrong on our side. Try again "
                                                "later."), "server_error"),
                            status=500, content_type=PROBLEM)
    return HttpResponseServerError(render_to_string("500.html"))
