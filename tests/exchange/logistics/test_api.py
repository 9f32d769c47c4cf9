"""Transports in the agents' API (/api/v1/transports/): ask for one, follow its status;
bad input in the problem-details format on its field; others' requests are 404s."""

from datetime import timedelta

import pytest
from django.utils import timezone
from drf_spectacular.validation import validate_schema
from rest_framework.test import APIClient

from exchange.logistics.models import TransportRequest
from tests.accounts.factories import SiteFactory, agent, logistics
from tests.conftest import host_of, in_authority
from tests.exchange.listings.test_api import api
from tests.exchange.logistics.helpers import ask, plan, reserved_listing

pytestmark = pytest.mark.django_db

URL = "/api/v1/transports/"


def _body(listing, site, **changes):
    today = timezone.localdate()
    body = {"listing": listing.pk, "quantity": 2, "pickup_site": site.pk,
            "pickup_contact": "Marc 05 49", "delivery_address": "Mairie de Naintré",
            "delivery_contact": "Léa", "delivery_floor": 1, "delivery_lift": True,
            "wished_from": (today + timedelta(days=1)).isoformat(),
            "wished_until": (today + timedelta(days=3)).isoformat()}
    body.update(changes)
    return body


def test_an_agent_asks_and_follows_a_transport(chatellerault):
    with in_authority(chatellerault):
        listing = reserved_listing()
        site = SiteFactory()
    client = api(chatellerault, listing.poster)
    response = client.post(URL, _body(listing, site), format="json")
    assert response.status_code == 201, response.json()
    created = response.json()
    assert (created["status"], created["quantity"], created["round"]) == ("requested", 2, None)
    assert created["delivery_place"] == "Mairie de Naintré"
    with in_authority(chatellerault):
        transport = TransportRequest.objects.get()
        plan(logistics(), [transport])
    followed = client.get(f"{URL}{transport.pk}/").json()
    assert followed["status"] == "planned"
    assert followed["round"]["starts_at"] == "08:00:00"
    assert [t["id"] for t in client.get(URL).json()["results"]] == [transport.pk]


@pytest.mark.parametrize(("changes", "field"), [
    ({"quantity": 11}, "quantity"),
    ({"wished_from": "2020-01-01"}, "wished_from"),
    ({"delivery_address": ""}, "delivery_site"),
    ({"pickup_floor": 99}, "pickup_floor"),
    ({"wished_until": "not a date"}, "wished_until"),
])
def test_bad_input_is_a_problem_on_its_field(chatellerault, changes, field):
    with in_authority(chatellerault):
        listing = reserved_listing()
        site = SiteFactory()
    response = api(chatellerault, listing.poster).post(URL, _body(listing, site, **changes),
                                                       format="json")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert field in response.json()["errors"]
    with in_authority(chatellerault):
        assert not TransportRequest.objects.exists()


def test_a_stranger_is_refused_and_sees_no_request(chatellerault, grand_chatellerault):
    with in_authority(chatellerault):
        listing = reserved_listing()
        site = SiteFactory()
        transport = ask(listing, listing.poster)
        stranger = agent()
    client = api(chatellerault, stranger)
    response = client.post(URL, _body(listing, site), format="json")
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"
    assert client.get(f"{URL}{transport.pk}/").status_code == 404
    assert client.get(URL).json()["results"] == []
    with in_authority(grand_chatellerault):
        other = agent(email="agent@grand-chatellerault.example")
    assert api(grand_chatellerault, other).get(f"{URL}{transport.pk}/").status_code == 404


def test_the_schema_lists_the_transports(chatellerault):
    schema = APIClient(HTTP_HOST=host_of(chatellerault)).get(
        "/api/v1/schema/?format=json").json()
    validate_schema(schema)
    assert set(schema["paths"]["/api/v1/transports/"]) >= {"get", "post"}
    assert "get" in schema["paths"]["/api/v1/transports/{id}/"]
