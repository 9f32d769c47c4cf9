"""Project-wide middleware."""

import logging
import time

from django.conf import settings
from django.http import JsonResponse
from django.utils import translation
from django.utils.cache import patch_vary_headers

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
    """`/healthz`: the process is alive. Answers on any host (load balancers probe by
    address), before the tenant lookup and ALLOWED_HOSTS, and touches no database."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path == "/healthz":
            return JsonResponse({"status": "ok"})
        return self.get_response(request)


class RequestLogMiddleware:
    """One log line per request, without personal data.

    It logs the matched route pattern (`accounts/verify/<str:uidb64>/<str:token>/`)
    rather than the path, so that tokens of e-mailed links never reach the logs,
    and no client address.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.monotonic()
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        tenant = getattr(request, "tenant", None)
        request_log.info(
            "%s %s %s %.0fms authority=%s", request.method,
            f"/{match.route}" if match else "-", response.status_code,
            (time.monotonic() - started) * 1000, getattr(tenant, "slug", "-"),
        )
        return response
