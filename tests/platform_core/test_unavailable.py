"""A dependency that is down (database, broker, cache, file store) answers a clean 503
with Retry-After: a short page in the visitor's language, or the API's problem+json;
never a stack trace, and a real bug still answers the usual 500."""

from __future__ import annotations

import smtplib
from unittest import mock

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError
from django.db import InterfaceError, OperationalError
from django.test import Client
from kombu.exceptions import OperationalError as BrokerError
from redis.exceptions import ConnectionError as RedisConnectionError

from core.unavailable import RETRY_AFTER_SECONDS, is_unavailable
from tests.accounts.factories import agent
from tests.conftest import host_of, in_authority
from tests.exchange.listings.test_api import API, api

pytestmark = pytest.mark.django_db

TENANT_LOOKUP = "django_tenants.middleware.main.TenantMainMiddleware.get_tenant"
HOME_SELECTOR = "collectivrecup.views.exchange_selectors.latest_listings"
API_SELECTOR = "exchange.listings.api.views.selectors.listings_visible_to"


def _store_error(status: int) -> ClientError:
    return ClientError({"Error": {"Code": "InternalError" if status >= 500 else "NoSuchKey"},
                        "ResponseMetadata": {"HTTPStatusCode": status}}, "GetObject")


def _raised_from(cause: BaseException) -> Exception:
    try:
        try:
            raise cause
        except BaseException as error:
            raise RuntimeError("wrapped") from error
    except RuntimeError as wrapped:
        return wrapped


@pytest.mark.parametrize("exc", [
    OperationalError("server closed the connection unexpectedly"),
    InterfaceError("connection already closed"),
    BrokerError("Error 111 connecting to localhost:6379. Connection refused."),
    RedisConnectionError("Connection refused"),
    EndpointConnectionError(endpoint_url="http://127.0.0.1:9000"),
    _store_error(500),
    smtplib.SMTPServerDisconnected("Connection unexpectedly closed"),
    _raised_from(OperationalError("the database system is shutting down")),
])
def test_dependency_failures_are_recognised(exc):
    assert is_unavailable(exc)


@pytest.mark.parametrize("exc", [ValueError("a bug"), KeyError("x"), _store_error(404),
                                 _store_error(403), None])
def test_bugs_and_refusals_are_not_an_outage(exc):
    assert not is_unavailable(exc)


def _client(**extra) -> Client:
    return Client(raise_request_exception=False, **extra)


def _assert_clean_page(response, *words: str) -> str:
    assert response.status_code == 503
    assert response["Retry-After"] == str(RETRY_AFTER_SECONDS)
    assert response["Content-Type"].startswith("text/html")
    text = response.content.decode()
    for word in words:
        assert word in text
    assert "Traceback" not in text
    assert "OperationalError" not in text
    return text


def test_the_database_down_at_the_authority_lookup_is_a_503_page_in_french(chatellerault):
    with mock.patch(TENANT_LOOKUP, side_effect=OperationalError("connection refused")):
        response = _client(HTTP_HOST=host_of(chatellerault)).get("/listings/")
    _assert_clean_page(response, "Service momentanément indisponible", 'lang="fr"')


def test_the_503_page_speaks_english_to_who_chose_english(chatellerault, settings):
    client = _client(HTTP_HOST=host_of(chatellerault))
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"  # the language switcher's cookie
    with mock.patch(TENANT_LOOKUP, side_effect=OperationalError("connection refused")):
        response = client.get("/accounts/login/")
    _assert_clean_page(response, "Service temporarily unavailable", 'lang="en"')


def test_the_database_down_inside_a_page_is_a_503_page(chatellerault):
    with in_authority(chatellerault):
        user = agent(email="camille@chatellerault.example")
    client = _client(HTTP_HOST=host_of(chatellerault))
    with in_authority(chatellerault):
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    with mock.patch(HOME_SELECTOR, side_effect=OperationalError("terminating connection")):
        response = client.get("/")
    _assert_clean_page(response, "Service momentanément indisponible")


def test_a_bug_inside_a_page_is_still_the_500_page(chatellerault):
    with in_authority(chatellerault):
        user = agent(email="camille@chatellerault.example")
    client = _client(HTTP_HOST=host_of(chatellerault))
    with in_authority(chatellerault):
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    with mock.patch(HOME_SELECTOR, side_effect=ValueError("a bug")):
        response = client.get("/")
    assert response.status_code == 500
    assert "Retry-After" not in response
    assert "Traceback" not in response.content.decode()


def _assert_problem_503(response) -> dict:
    assert response.status_code == 503, response.content
    assert response["Content-Type"] == "application/problem+json"
    assert response["Retry-After"] == str(RETRY_AFTER_SECONDS)
    body = response.json()
    assert body["status"] == 503
    assert body["code"] == "unavailable"
    assert body["type"].endswith("/unavailable")
    assert body["title"] == "Service unavailable"
    assert body["detail"]
    return body


def test_the_database_down_inside_the_api_is_a_problem_503(chatellerault):
    with in_authority(chatellerault):
        user = agent(email="camille@chatellerault.example")
    client = api(chatellerault, user)
    with mock.patch(API_SELECTOR, side_effect=OperationalError("connection refused")):
        response = client.get(f"{API}/listings/")
    _assert_problem_503(response)


def test_the_store_down_inside_the_api_is_a_problem_503(chatellerault):
    with in_authority(chatellerault):
        user = agent(email="camille@chatellerault.example")
    client = api(chatellerault, user)
    with mock.patch(API_SELECTOR, side_effect=_store_error(500)):
        response = client.get(f"{API}/listings/")
    _assert_problem_503(response)


def test_the_database_down_before_the_api_is_reached_is_a_problem_503(chatellerault):
    client = _client(HTTP_HOST=host_of(chatellerault), HTTP_ACCEPT="application/json")
    with mock.patch(TENANT_LOOKUP, side_effect=OperationalError("connection refused")):
        response = client.get(f"{API}/listings/")
    _assert_problem_503(response)


def test_the_partner_api_on_the_bare_host_answers_a_problem_503_too():
    client = _client(HTTP_HOST=host_of(None))
    with mock.patch(TENANT_LOOKUP, side_effect=OperationalError("connection refused")):
        response = client.get("/api/v1/partner/listings/")
    _assert_problem_503(response)
