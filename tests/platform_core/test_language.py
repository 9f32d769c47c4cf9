"""French first: English only for who asks for it with the switcher."""

import pytest
from django.conf import settings

from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def test_french_even_when_the_browser_prefers_english(chatellerault):
    response = client_for(chatellerault).get("/accounts/login/",
                                             HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert response["Content-Language"] == "fr"
    assert "<h1>Se connecter</h1>" in response.content.decode()


def test_switcher_sets_english_and_back(chatellerault):
    client = client_for(chatellerault)
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/accounts/login/"})
    assert response.status_code == 302
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    assert "<h1>Sign in</h1>" in client.get("/accounts/login/").content.decode()
    client.post("/i18n/setlang/", {"language": "fr", "next": "/"})
    assert "<h1>Se connecter</h1>" in client.get("/accounts/login/").content.decode()


def test_unknown_language_cookie_falls_back_to_french(chatellerault):
    client = client_for(chatellerault)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "de"
    assert client.get("/accounts/login/")["Content-Language"] == "fr"


def test_french_formats_for_dates_and_numbers(chatellerault):
    from datetime import date

    from django.template import Context, Template
    from django.utils import translation

    with translation.override("fr"):
        rendered = Template(
            '{% load l10n %}{{ d|date:"DATE_FORMAT" }}|{{ n }}|{{ x|floatformat:2 }}'
        ).render(Context({"d": date(2026, 11, 23), "n": 12345, "x": 3000.5}))
    day, number, decimal = rendered.split("|")
    assert day == "23 novembre 2026"
    assert number.replace("\u202f", " ").replace("\xa0", " ") == "12 345"
    assert decimal.replace("\u202f", " ").replace("\xa0", " ") == "3 000,50"
