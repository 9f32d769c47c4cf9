"""Project-wide middleware."""

from django.conf import settings
from django.utils import translation
from django.utils.cache import patch_vary_headers


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
