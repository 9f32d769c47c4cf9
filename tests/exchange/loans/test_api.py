"""The loans in the agents' API: the catalogue, a booking request and its refusals in
the problem-details format, my bookings."""

from __future__ import annotations

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from exchange.loans import services
from exchange.loans.models import Booking
from tests.accounts.factories import agent
from tests.conftest import host_of, in_authority
from tests.exchange.listings.test_api_errors import assert_problem
from tests.exchange.loans.factories import day, lendable, lender

pytestmark = pytest.mark.django_db


def api_client(authority, user):
    with in_authority(authority):
        token, _created = Token.objects.get_or_create(user=user)
    client = APIClient(HTTP_HOST=host_of(authority))
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def test_an_agent_lists_items_books_and_sees_the_booking(chatellerault):
    with in_authority(chatellerault):
        item = lendable(title="Tables pliantes", quantity=40)
        borrower = agent()
    client = api_client(chatellerault, borrower)
    listed = client.get("/api/v1/loans/items/").json()["results"]
    assert [(i["id"], i["title"], i["quantity"]) for i in listed] == [
        (item.pk, "Tables pliantes", 40)]
    response = client.post(f"/api/v1/loans/items/{item.pk}/bookings/", {
        "start": day(2).isoformat(), "end": day(3).isoformat(), "quantity": 12,
        "purpose": "Kermesse"}, format="json")
    assert response.status_code == 201
    assert response.json()["status"] == "requested"
    mine = client.get("/api/v1/loans/bookings/").json()["results"]
    assert [b["id"] for b in mine] == [response.json()["id"]]


@pytest.mark.parametrize(("start", "end", "quantity", "code"), [
    (-1, 1, 1, "start"), (3, 2, 1, "end"), (1, 1, 41, "quantity"), (1, 1, 25, "overbooked")])
def test_refusals_are_problems_naming_the_field(chatellerault, start, end, quantity, code):
    with in_authority(chatellerault):
        owner = lender()
        item = lendable(owner, quantity=40)
        held = services.request_booking(item=item, actor=owner, start=day(1), end=day(1),
                                        quantity=20)
        services.approve_booking(booking=held, actor=owner)
        borrower = agent()
    response = api_client(chatellerault, borrower).post(
        f"/api/v1/loans/items/{item.pk}/bookings/",
        {"start": day(start).isoformat(), "end": day(end).isoformat(),
         "quantity": quantity}, format="json")
    schema = api_client(chatellerault, borrower).get("/api/v1/schema/?format=json").json()
    body = assert_problem(response, schema, 400, code)
    field = "quantity" if code == "overbooked" else code
    assert list(body["errors"]) == [field]
    with in_authority(chatellerault):
        assert Booking.objects.filter(item=item).count() == 1


def test_another_authoritys_item_is_a_404_problem(chatellerault, grand_chatellerault):
    with in_authority(chatellerault):
        item = lendable()
    with in_authority(grand_chatellerault):
        stranger = agent(email="api@grand-chatellerault.example")
    response = api_client(grand_chatellerault, stranger).post(
        f"/api/v1/loans/items/{item.pk}/bookings/",
        {"start": day(1).isoformat(), "end": day(1).isoformat(), "quantity": 1},
        format="json")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
