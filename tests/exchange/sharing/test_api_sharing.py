"""The API of sharing: `visibility` on listings, /api/v1/shared-listings/ and its
contact endpoint, on the agent's own host; documented in the OpenAPI schema."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from exchange.listings.models import ContactRequest, Listing
from tests.accounts.factories import SiteFactory, UserFactory, agent
from tests.conftest import host_of, in_authority
from tests.exchange.listings.factories import item_type, published_listing
from tests.exchange.listings.test_api import api
from tests.exchange.sharing.sharing_world import _outsider_schema, naintre, share, shared_listing

__all__ = ["_outsider_schema", "naintre"]
pytestmark = pytest.mark.django_db
API = "/api/v1"




def test_visibility_is_read_and_written_through_the_listings_api(chatellerault, capture):
    with in_authority(chatellerault):
        poster = agent()
        site = SiteFactory()
        category = item_type()
    client = api(chatellerault, poster)
    created = client.post(f"{API}/listings/", {
        "title": "Caissons mobiles", "category": category.pk, "quantity": 2,
        "condition": "good", "estimated_value": "80", "site": site.pk,
        "visibility": "shared"}, format="json")
    assert created.status_code == 201, created.json()
    assert created.json()["visibility"] == "shared"
    listing_id = created.json()["id"]
    with capture(execute=True):
        changed = client.patch(f"{API}/listings/{listing_id}/", {"visibility": "internal"},
                               format="json")
    assert changed.status_code == 200 and changed.json()["visibility"] == "internal"
    wrong = client.patch(f"{API}/listings/{listing_id}/", {"visibility": "public"},
                         format="json")
    assert wrong.status_code == 400
    with in_authority(chatellerault):
        assert Listing.objects.get(pk=listing_id).visibility == "internal"
        other = agent()
    assert api(chatellerault, other).patch(f"{API}/listings/{listing_id}/",
                                           {"visibility": "shared"},
                                           format="json").status_code in (403, 404)


def test_shared_listings_are_listed_searched_and_contacted_on_the_own_host(
        chatellerault, grand_chatellerault, naintre, capture):
    share(chatellerault, grand_chatellerault)
    listing = shared_listing(chatellerault, capture, title="Fauteuil de direction cuir",
                             estimated_value=180)
    with in_authority(chatellerault), capture(execute=True):
        published_listing(title="Fauteuil interne")
    with in_authority(grand_chatellerault):
        viewer = agent(email="api@grand-chatellerault.example")
    client = api(grand_chatellerault, viewer)
    body = client.get(f"{API}/shared-listings/?q=fauteuil").json()
    assert body["count"] == 1
    [item] = body["results"]
    assert (item["authority"], item["id"], item["title"]) == (
        "chatellerault", listing.pk, "Fauteuil de direction cuir")
    assert "estimated_value" not in item and "poster" not in item and "service" not in item
    assert client.get(f"{API}/shared-listings/?category=x").status_code == 400
    assert client.get(f"{API}/shared-listings/?authority=sharing-outsider").json()["count"] == 0
    with capture(execute=True):
        contact = client.post(f"{API}/shared-listings/chatellerault/{listing.pk}/contact/",
                              {"message": "Pour le bureau du directeur"}, format="json")
    assert contact.status_code == 201, contact.json()
    with in_authority(chatellerault):
        stored = ContactRequest.objects.get(listing_id=listing.pk)
    assert stored.external_email == "api@grand-chatellerault.example"
    # A third authority: empty list, 404 on contact.
    with in_authority(naintre):
        outsider = agent(email="api@outsider.example")
    other = api(naintre, outsider)
    assert other.get(f"{API}/shared-listings/").json()["count"] == 0
    assert other.post(f"{API}/shared-listings/chatellerault/{listing.pk}/contact/",
                      {}, format="json").status_code == 404
    # Anonymous: 401.
    assert APIClient(HTTP_HOST=host_of(grand_chatellerault)).get(
        f"{API}/shared-listings/").status_code == 401


def test_a_moderator_only_account_may_read_but_not_contact(chatellerault, grand_chatellerault,
                                                           capture):
    share(chatellerault, grand_chatellerault)
    listing = shared_listing(chatellerault, capture)
    with in_authority(grand_chatellerault):
        only_moderator = UserFactory(roles=["moderator"])
    client = api(grand_chatellerault, only_moderator)
    assert client.get(f"{API}/shared-listings/").json()["count"] == 1
    assert client.post(f"{API}/shared-listings/chatellerault/{listing.pk}/contact/",
                       {}, format="json").status_code == 403


def test_the_schema_documents_sharing(chatellerault):
    schema = APIClient(HTTP_HOST=host_of(chatellerault)).get(
        f"{API}/schema/?format=json").json()
    assert "get" in schema["paths"]["/api/v1/shared-listings/"]
    assert "post" in schema["paths"][
        "/api/v1/shared-listings/{authority_slug}/{id}/contact/"]
    assert "visibility" in schema["components"]["schemas"]["Listing"]["properties"]


def test_closing_through_the_api_names_the_authority_and_may_await_confirmation(
        chatellerault, grand_chatellerault, capture):
    share(chatellerault, grand_chatellerault)
    with in_authority(chatellerault):
        listing = published_listing(quantity=1, estimated_value=1500)
    with capture(execute=True):
        response = api(chatellerault, listing.poster).post(
            f"{API}/listings/{listing.pk}/close/",
            {"reason": "exchanged_other_authority",
             "recipient_authority_slug": "grand-chatellerault",
             "inventory_number": "INV-7"}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["recipient_authority"], body["recipient_authority_slug"],
            body["inventory_number"], body["confirmation_required"], body["confirmed_at"],
            body["listing_status"]) == (
        "Agglomération de Grand Châtellerault", "grand-chatellerault", "INV-7", True, None,
        "published")
