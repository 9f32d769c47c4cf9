"""The agents' API keeps its documented contract under hostile input (issue 12): every
refusal is one problem-details shape declared in the OpenAPI schema, and control
characters (a NUL byte first) are a 400, never a 500."""

from __future__ import annotations

import jsonschema
import pytest
from rest_framework.throttling import ScopedRateThrottle

from exchange.listings import photos, selectors
from exchange.listings.models import Listing
from tests.conftest import in_authority
from tests.exchange.listings.test_api import API, api, listing_url, png, world

__all__ = ["world"]
pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"


@pytest.fixture
def schema(chatellerault) -> dict:
    response = api(chatellerault).get(f"{API}/schema/?format=json")
    assert response.status_code == 200
    return response.json()


def assert_problem(response, schema: dict, status: int, code: str) -> dict:
    """The response is a problem of that status and code, valid against the Error
    component of the published schema; returns its body."""
    assert response.status_code == status, response.content
    assert response["Content-Type"] == PROBLEM
    body = response.json()
    error_schema = {**schema["components"]["schemas"]["Error"],
                    "components": schema["components"]}
    jsonschema.validate(body, error_schema)
    assert body["status"] == status
    assert body["code"] == code
    assert body["type"].endswith("/" + code)
    assert body["detail"]
    return body


# --- The NUL byte of the fuzzer, and other control characters ------------------------


def test_a_nul_byte_in_the_search_is_a_400_naming_the_parameter(world, chatellerault,
                                                                 schema):
    response = api(chatellerault, world["other"]).get(
        f"{API}/listings/?q=%00&status=published")
    body = assert_problem(response, schema, 400, "invalid")
    assert set(body["errors"]) == {"q"}


@pytest.mark.parametrize("path", [
    "/listings/?q=chaise%01", "/listings/?q=a%0Ab", "/shared-listings/?q=%00",
    "/shared-listings/?authority=%7F", "/categories/?anything=%1B", "/listings/?%00=1",
])
def test_control_characters_in_any_query_parameter_are_a_400(world, chatellerault, schema,
                                                             path):
    response = api(chatellerault, world["other"]).get(API + path)
    assert assert_problem(response, schema, 400, "invalid")["errors"]


def listing_body(world, **change) -> dict:
    return {"title": "Bureau", "category": world["chairs"].pk, "quantity": 1,
            "condition": "good", "estimated_value": 20, "site": world["site"].pk, **change}


@pytest.mark.parametrize(("change", "field"), [
    ({"title": "Bureau\x00"}, "title"),
    ({"title": "Bureau\nen chêne"}, "title"),
    ({"dimensions": "120\t60"}, "dimensions"),
    ({"description": "Tiroir\x07"}, "description"),
    ({"description": "\x00"}, "description"),
])
def test_control_characters_in_a_text_field_are_a_400_and_nothing_is_saved(
        world, chatellerault, schema, change, field):
    response = api(chatellerault, world["other"]).post(
        f"{API}/listings/", listing_body(world, **change), format="json")
    assert set(assert_problem(response, schema, 400, "invalid")["errors"]) == {field}
    with in_authority(chatellerault):
        assert not Listing.objects.filter(title__startswith="Bureau").exists()


def test_multiline_text_keeps_its_tabs_and_line_breaks(world, chatellerault):
    description = "Deux tiroirs.\r\n\tSerrure à clé."
    response = api(chatellerault, world["other"]).post(
        f"{API}/listings/", listing_body(world, description=description), format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["description"] == description


def test_a_control_character_in_a_form_field_is_a_400(world, chatellerault, schema):
    response = api(chatellerault, world["other"]).post(
        listing_url(world["listing"], "contact"), {"message": "Bonjour\x1b[31m"})
    assert set(assert_problem(response, schema, 400, "invalid")["errors"]) == {"message"}


# --- The ten refusals the fuzzer found outside the schema --------------------------------

REFUSALS = [
    # (method, path, body, field the problem must name)
    ("get", "/listings/?status=AAA", None, "status"),
    ("get", "/listings/?category=chairs", None, "category"),
    ("post", "/listings/", {}, "title"),
    ("patch", "{listing}", {"quantity": "many"}, "quantity"),
    ("post", "{listing}close/", {"reason": "sold"}, "reason"),
    ("post", "{listing}contact/", {"message": "x" * 2001}, "message"),
    ("post", "{draft}photos/", {}, "image"),
    ("post", "{listing}partner-offer/", {}, "opt_out"),
    ("post", "/shared-listings/naintre/1/contact/", {"message": "x" * 2001}, "message"),
    ("get", "/shared-listings/?category=chairs", None, "category"),
]


@pytest.mark.parametrize(("method", "path", "body", "field"), REFUSALS,
                         ids=[f"{m} {p}" for m, p, _b, _f in REFUSALS])
def test_each_refusal_answers_the_documented_problem(world, chatellerault, schema, method,
                                                     path, body, field):
    url = API + path.format(listing=listing_url(world["listing"])[len(API):],
                            draft=listing_url(world["draft"])[len(API):])
    client = api(chatellerault, world["poster"])
    response = (client.get(url) if body is None
                else getattr(client, method)(url, body, format="multipart"
                                             if "photos" in url else "json"))
    body = assert_problem(response, schema, 400, "invalid")
    assert field in body["errors"]
    assert all(isinstance(message, str) and message for message in body["errors"][field])


def test_a_rule_of_the_services_keeps_its_code(world, chatellerault, schema):
    response = api(chatellerault, world["poster"]).post(listing_url(world["listing"],
                                                                    "submit"))
    assert_problem(response, schema, 400, "state")


# --- Every other status, in the same shape -------------------------------------------------


def test_401_403_404_405_are_problems(world, chatellerault, schema):
    assert_problem(api(chatellerault).get(f"{API}/listings/"), schema, 401,
                   "not_authenticated")
    agent_client = api(chatellerault, world["other"])
    assert_problem(agent_client.get(f"{API}/moderation/queue/"), schema, 403,
                   "permission_denied")
    assert_problem(agent_client.get(listing_url(world["draft"])), schema, 404, "not_found")
    assert_problem(agent_client.get(f"{API}/listings/abc/"), schema, 404, "not_found")
    assert_problem(agent_client.post(f"{API}/no-such-thing/"), schema, 404, "not_found")
    no_slash = assert_problem(agent_client.post(f"{API}/listings"), schema, 404, "not_found")
    assert "/api/v1/listings/" in no_slash["detail"]
    assert_problem(agent_client.get(f"{API}/listings/?page=99"), schema, 404, "not_found")
    refused = agent_client.delete(listing_url(world["listing"]))
    assert_problem(refused, schema, 405, "method_not_allowed")
    assert "PATCH" in refused["Allow"]


def test_a_forbidden_rule_is_a_403_problem(world, chatellerault, schema):
    response = api(chatellerault, world["other"]).post(
        listing_url(world["listing"], "close"), {"reason": "withdrawn"}, format="json")
    assert_problem(response, schema, 403, "forbidden")


def test_a_photo_too_large_is_a_413_problem(world, chatellerault, schema, monkeypatch,
                                            settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    monkeypatch.setattr(photos, "MAX_UPLOAD_BYTES", 10)
    response = api(chatellerault, world["poster"]).post(
        listing_url(world["draft"], "photos"), {"image": png()}, format="multipart")
    assert_problem(response, schema, 413, "too_large")


def test_an_unsupported_body_is_a_415_problem(world, chatellerault, schema):
    response = api(chatellerault, world["poster"]).post(
        f"{API}/listings/", "title=Bureau", content_type="text/plain")
    assert_problem(response, schema, 415, "unsupported_media_type")


def test_throttling_is_a_429_problem_with_retry_after(world, chatellerault, schema,
                                                     monkeypatch):
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"auth_token": "1/min"})
    client = api(chatellerault)
    client.post(f"{API}/auth/token/", {"email": "x@y.example", "password": "p"}, format="json")
    response = client.post(f"{API}/auth/token/", {"email": "x@y.example", "password": "p"},
                           format="json")
    assert_problem(response, schema, 429, "throttled")
    assert int(response["Retry-After"]) > 0


def test_a_bug_is_reported_and_answered_as_a_500_problem(world, chatellerault, schema,
                                                         monkeypatch):
    def broken():
        raise RuntimeError("database exploded")

    monkeypatch.setattr(selectors, "visible_categories", broken)
    client = api(chatellerault, world["other"])
    # Reported like Django's own 500s (the test client re-raises what was reported)...
    with pytest.raises(RuntimeError, match="database exploded"):
        client.get(f"{API}/categories/")
    # ...and answered in the documented shape, without the failure's details.
    client.raise_request_exception = False
    response = client.get(f"{API}/categories/")
    body = assert_problem(response, schema, 500, "server_error")
    assert "exploded" not in response.content.decode()
    assert "errors" not in body


# --- The schema declares them -------------------------------------------------------------


def _operations(schema: dict):
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            yield path, method, operation


def test_every_operation_declares_its_error_answers_as_problems(schema):
    error_ref = "#/components/schemas/Error"
    for path, method, operation in _operations(schema):
        responses = operation["responses"]
        where = f"{method.upper()} {path}"
        assert {"400", "500", "503"} <= set(responses), where
        if operation.get("security") and {} not in operation["security"]:
            assert "401" in responses, where
        if "{" in path:
            assert "404" in responses, where
        if "requestBody" in operation:
            assert {"413", "415"} <= set(responses), where
        for status_code, response in responses.items():
            if int(status_code) >= 400:
                assert response["content"] == {PROBLEM: {"schema": {"$ref": error_ref}}}, (
                    where, status_code)


def test_the_schema_declares_the_answers_of_each_view(schema):
    paths = schema["paths"]
    assert set(paths["/api/v1/listings/"]["get"]["responses"]) == {
        "200", "400", "401", "403", "404", "500", "503"}
    assert set(paths["/api/v1/auth/token/"]["post"]["responses"]) == {
        "200", "400", "413", "415", "429", "500", "503"}
    assert "429" in paths["/api/v1/listings/{id}/contact/"]["post"]["responses"]
    assert "403" in paths["/api/v1/moderation/queue/"]["get"]["responses"]
    assert set(schema["components"]["schemas"]["Error"]["required"]) == {
        "type", "title", "status", "detail", "code"}


def test_the_schema_says_which_characters_text_may_hold(schema):
    search = next(p for p in schema["paths"]["/api/v1/listings/"]["get"]["parameters"]
                  if p["name"] == "q")
    assert search["schema"]["pattern"] == r"^[^\x00-\x1f\x7f]*$"
    fields = schema["components"]["schemas"]["ListingWriteRequest"]["properties"]
    assert fields["title"]["pattern"] == r"^[^\x00-\x1f\x7f]*$"
    # Blank allowed: one of a string of that pattern or an empty string.
    assert fields["description"]["oneOf"][0]["pattern"] == (
        r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$")


# --- What the fuzzer found next: leniency outside the schema --------------------------------


@pytest.mark.parametrize("page_size", ["0", "abc", "null", "101", "-1", "1.5"])
def test_a_page_size_outside_the_schema_is_a_400(world, chatellerault, schema, page_size):
    response = api(chatellerault, world["other"]).get(f"{API}/listings/?page_size={page_size}")
    assert set(assert_problem(response, schema, 400, "invalid")["errors"]) == {"page_size"}


def test_a_page_size_within_bounds_is_followed(world, chatellerault):
    client = api(chatellerault, world["other"])
    assert len(client.get(f"{API}/listings/?page_size=1").json()["results"]) == 1
    assert client.get(f"{API}/listings/?page_size=100").status_code == 200


@pytest.mark.parametrize("value", [0, 1.5, ["a"], {"a": "b"}])
def test_a_text_field_takes_only_a_string(world, chatellerault, schema, value):
    response = api(chatellerault, world["other"]).post(
        listing_url(world["listing"], "contact"), {"message": value}, format="json")
    assert set(assert_problem(response, schema, 400, "invalid")["errors"]) == {"message"}


@pytest.mark.parametrize(("path", "name"), [
    ("/stats/summary/?to=", "to"), ("/stats/timeseries/?from=&to=2026-01-31", "from"),
    ("/listings/?category=", "category"), ("/listings/?status=", "status"),
    ("/listings/?page=", "page"), ("/moderation/queue/?page_size=", "page_size"),
])
def test_an_empty_parameter_is_a_400_not_its_default(world, chatellerault, schema, path,
                                                     name):
    response = api(chatellerault, world["moderator"]).get(API + path)
    assert set(assert_problem(response, schema, 400, "invalid")["errors"]) == {name}


def test_an_empty_search_still_means_everything(world, chatellerault):
    response = api(chatellerault, world["other"]).get(f"{API}/listings/?q=&authority=")
    assert response.status_code == 200
    assert response.json()["count"] == 1


def test_a_body_over_the_size_limit_is_a_413_problem(world, chatellerault, schema, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = api(chatellerault, world["other"]).post(
        listing_url(world["listing"], "contact"), {"message": "x" * 1500}, format="json")
    assert_problem(response, schema, 413, "too_large")


def _views(patterns):
    for pattern in patterns:
        if hasattr(pattern, "url_patterns"):
            yield from _views(pattern.url_patterns)
        else:
            yield pattern.callback


def test_every_view_of_the_agents_api_shares_the_error_format():
    """A new view gets the problem format, its schema and the input rules only through
    AgentsAPIMixin: one without it fails here."""
    from drf_spectacular.views import SpectacularAPIView

    from collectivrecup.urls_tenant import api_patterns
    from core.api.views import AgentsAPIMixin
    from exchange.listings.api.views import SwaggerDocs

    patterns, _namespace = api_patterns  # the listings' and the shared listings' routes
    classes = [getattr(view, "cls", None) for view in _views(patterns)]
    documentation = {SpectacularAPIView, SwaggerDocs}
    api_views = [cls for cls in classes if cls is not None and cls not in documentation]
    assert len(api_views) >= 12
    assert [cls for cls in api_views if not issubclass(cls, AgentsAPIMixin)] == []
