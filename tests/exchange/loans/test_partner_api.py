"""The loans in the partner API: a partner with a grant lists the items open to partners
and asks for dates; read and written in the authority's schema through the tenancy
layer, the grant checked at the moment of crossing."""

from __future__ import annotations

import json

import pytest
from django.core import mail
from django.test import Client

from exchange.loans.models import Booking, Borrowers
from exchange.partners.models import Scope
from exchange.partners.services import revoke_grant
from tests.conftest import host_of, in_authority
from tests.exchange.loans.factories import day, lendable, lender
from tests.exchange.partners.factories import api_key, grant, partner

pytestmark = pytest.mark.django_db

ITEMS = "/api/v1/partner/loans/items/"


def partner_client(key: str) -> Client:
    return Client(HTTP_HOST=host_of(None), HTTP_AUTHORIZATION=f"Bearer {key}")


def booking_path(authority, item) -> str:
    return f"/api/v1/partner/loans/{authority.slug}/{item.pk}/bookings/"


def _post(client, path, **body):
    return client.post(path, json.dumps(body), content_type="application/json")


@pytest.fixture
def world(chatellerault):
    with in_authority(chatellerault):
        owner = lender(email="preteur@chatellerault.example")
        open_item = lendable(owner, title="Tables pour partenaires", quantity=20,
                             borrowers=Borrowers.PARTNERS)
        shared_only = lendable(owner, title="Barnum partagé", quantity=2,
                               borrowers=Borrowers.SHARING)
    ressourcerie = partner(contact_email="contact@ressourcerie.example")
    the_grant = grant(chatellerault, ressourcerie)
    _key, full_key = api_key(ressourcerie)
    return {"owner": owner, "open": open_item, "shared": shared_only,
            "partner": ressourcerie, "grant": the_grant, "key": full_key}


def test_a_partner_lists_items_open_to_partners_and_books(chatellerault, world, capture):
    client = partner_client(world["key"])
    listed = client.get(ITEMS).json()
    assert [(i["authority"], i["id"], i["title"]) for i in listed] == [
        ("chatellerault", world["open"].pk, "Tables pour partenaires")]
    with capture(execute=True):
        response = _post(client, booking_path(chatellerault, world["open"]),
                         start=day(3).isoformat(), end=day(4).isoformat(), quantity=12)
    assert response.status_code == 201, response.content
    with in_authority(chatellerault):
        booking = Booking.objects.get(item=world["open"])
        assert (booking.borrower_id, booking.borrower_partner_id, booking.borrower_email) == (
            None, world["partner"].pk, "contact@ressourcerie.example")
    assert [m.to for m in mail.outbox] == [[world["owner"].email]]


@pytest.mark.parametrize(("start", "end", "quantity", "code"), [
    (-1, 1, 1, "start"), (3, 2, 1, "end"), (1, 1, 21, "quantity")])
def test_refusals_are_problems_naming_the_field(chatellerault, world, start, end, quantity,
                                                 code):
    response = _post(partner_client(world["key"]), booking_path(chatellerault, world["open"]),
                     start=day(start).isoformat(), end=day(end).isoformat(),
                     quantity=quantity)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert (body["code"], list(body["errors"])) == (code, [code])


def test_an_item_not_open_to_partners_or_a_revoked_grant_is_refused(chatellerault, world):
    client = partner_client(world["key"])
    body = {"start": day(1).isoformat(), "end": day(1).isoformat(), "quantity": 1}
    assert _post(client, booking_path(chatellerault, world["shared"]), **body
                 ).status_code == 404
    revoke_grant(grant=world["grant"], actor_email="admin@chatellerault.example",
                 authority=chatellerault)
    response = _post(client, booking_path(chatellerault, world["open"]), **body)
    assert response.status_code == 403  # no authority grants the key anything now
    with in_authority(chatellerault):
        assert not Booking.objects.exists()


def test_without_the_request_scope_the_key_cannot_book(chatellerault, world):
    reader = partner()
    grant(chatellerault, reader, scopes=[Scope.LISTINGS_READ])
    _key, full_key = api_key(reader)
    client = partner_client(full_key)
    assert [i["title"] for i in client.get(ITEMS).json()] == ["Tables pour partenaires"]
    response = _post(client, booking_path(chatellerault, world["open"]),
                     start=day(1).isoformat(), end=day(1).isoformat(), quantity=1)
    assert response.status_code == 403
