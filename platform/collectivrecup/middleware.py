"""Project-wide middleware."""

import logging
import re
import time

import sentry_sdk
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import SESSION_KEY as SESSION_USER_KEY
from django.contrib.auth import logout
from django.http import JsonResponse
from django.shortcuts import render
from django.utils import timezone, translation
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _

from collectivrecup import readiness
from collectivrecup.logging_config import request_context, request_id_from

request_log = logging.getLogger("collectivrecup.requests")


class FrenchFirstLocaleMiddleware:
    """French unless the person chose another language with the switcher.

    Django's LocaleMiddleware follows the browser's Accept-Language, which would
    show English to an agent whose browser happens to be set up in English. Here
    only the language cookie (set by the switcher) changes the language.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.available = {code for code, _ in settings.LANGUAGES}

    def __call__(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        language = chosen if chosen in self.available else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        patch_vary_headers(response, ("Cookie",))
        response.headers.setdefault("Content-Language", language)
        return response


class HealthCheckMiddleware:
    """Probes, on any host (load balancers probe by address), before the tenant lookup
    and ALLOWED_HOSTS, and without a log line each:

    - `/healthz`: the process is alive; touches no database.
    - `/readyz`: the database, cache, broker and media storage answer
      (collectivrecup/readiness.py); 503 naming each one that does not.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path == "/healthz":
            return JsonResponse({"status": "ok"})
        if request.path == "/readyz":
            report = readiness.check_all()
            response = JsonResponse(report.as_dict(), status=200 if report.ok else 503)
            response["Cache-Control"] = "no-store"
            # readiness logs each failing check at WARNING; without this, Django would
            # add an ERROR line (and Sentry an event) for every 503 of every probe.
            response._has_been_logged = True
            return response
        return self.get_response(request)


class RequestLogMiddleware:
    """A request id for each request, and one log line per request, without personal data.

    The id is the incoming `X-Request-ID` when it is a sane token (the load balancer's,
    a client's), a new one otherwise; it is echoed in the response's `X-Request-ID`,
    tagged on Sentry events (`request_id`) and, with the authority's slug, added to every
    log record emitted during the request (collectivrecup/logging_config.py).

    The line gives the matched route pattern (`accounts/verify/<str:uidb64>/<str:token>/`)
    rather than the path, so that tokens of e-mailed links never reach the logs, and no
    client address.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.monotonic()
        request_id = request_id_from(request.headers.get("X-Request-ID"))
        request.request_id = request_id
        sentry_sdk.get_isolation_scope().set_tag("request_id", request_id)
        with request_context(request_id, request):
            response = self.get_response(request)
            match = getattr(request, "resolver_match", None)
            tenant = getattr(request, "tenant", None)
            request_log.info(
                "%s %s %s %.0fms authority=%s", request.method,
                f"/{match.route}" if match else "-", response.status_code,
                (time.monotonic() - started) * 1000, getattr(tenant, "slug", "-"),
            )
        response["X-Request-ID"] = request_id
        return response


class IdleSessionMiddleware:
    """Sign out a session left idle too long: OPERATOR_SESSION_IDLE_SECONDS on the bare
    host (the operator console), AGENT_SESSION_IDLE_SECONDS on an authority's host.

    The session keeps the time of its last request (`idle_last_seen`, Unix seconds),
    written at most once a minute (IDLE_STAMP_RESOLUTION_SECONDS) to spare a database
    write per request. A request after the limit finds the session flushed: the person
    is anonymous again and the page asks them to sign in, with a message saying why.
    Token-authenticated API requests carry no session and are not concerned.
    """

    SESSION_KEY = "idle_last_seen"

    def __init__(self, get_response):
        self.get_response = get_response

    @staticmethod
    def limit_for(request) -> int:
        schema = getattr(getattr(request, "tenant", None), "schema_name", None)
        if schema == settings.PUBLIC_SCHEMA_NAME:
            return settings.OPERATOR_SESSION_IDLE_SECONDS
        return settings.AGENT_SESSION_IDLE_SECONDS

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            now = int(timezone.now().timestamp())
            last_seen = request.session.get(self.SESSION_KEY)
            if last_seen is not None and now - last_seen > self.limit_for(request):
                logout(request)
                messages.info(request, _("You were signed out after a period of "
                                         "inactivity. Please sign in again."))
            elif (last_seen is None
                  or now - last_seen >= settings.IDLE_STAMP_RESOLUTION_SECONDS):
                request.session[self.SESSION_KEY] = now
        return self.get_response(request)


def stamp_signed_in_session(sender, request, user, **kwargs) -> None:
    """user_logged_in receiver: a new session starts its idle clock at sign-in, so that
    the first page after it need not write the session again. Only real sign-ins
    (the session holds the user): the API token endpoint opens no session."""
    session = getattr(request, "session", None)
    if session is not None and SESSION_USER_KEY in session:
        session[IdleSessionMiddleware.SESSION_KEY] = int(timezone.now().timestamp())


# C0 control characters and DEL, except tab, line feed and carriage return.
QUERY_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class QueryControlCharactersMiddleware:
    """A query parameter (name or value) holding a NUL byte or another control character
    is a 400 page, on every host: no page has a use for one, and PostgreSQL refuses NUL
    in text (a search for `%00` would otherwise be a 500).

    Paths under /api/ are left to the APIs, which refuse the same characters themselves
    and answer in their own error format.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith("/api/") and any(
                QUERY_CONTROL_CHARACTERS.search(name)
                or any(QUERY_CONTROL_CHARACTERS.search(value) for value in values)
                for name, values in request.GET.lists()):
            return render(request, "400.html", status=400)
        return self.get_response(request)
