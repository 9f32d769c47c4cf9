"""Plausibility bounds on quantities and values (issue 12, point 2): 400,000 items worth
99,999,999 € were accepted. Above LISTING_MAX_QUANTITY items or LISTING_MAX_UNIT_VALUE_EUR
per item, listings (created, edited) and closures are refused with a clear error, in
the services, the forms and the API, unless a moderator confirms the outlier."""

from __future__ import annotations

from decimal import Decimal

import pytest

from exchange.listings.errors import ExchangeError
from exchange.listings.models import Listing
from exchange.listings.services.closure import close_listing
from exchange.listings.services.posting import create_listing, update_listing
from tests.accounts.factories import SiteFactory, agent, moderator
from tests.conftest import client_for, in_authority
from tests.exchange.listings.factories import item_type, published_listing
from tests.exchange.listings.test_api import API, api
from tests.exchange.listings.test_listing_pages import listing_data

pytestmark = pytest.mark.django_db

HUGE = {"quantity": 400_000, "estimated_value": Decimal("99999999.00")}
DEAR = {"quantity": 1, "estimated_value": Decimal("99999999.00")}


@pytest.fixture(autouse=True)
def _bounds(settings):
    settings.LISTING_MAX_QUANTITY = 10_000
    settings.LISTING_MAX_UNIT_VALUE_EUR = Decimal("100000")


def fields(**figures) -> dict:
    return {"title": "Chaises", "category": item_type(), "condition": "good",
            "site": SiteFactory(), **figures}


# --- Services ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("figures", "code"), [(HUGE, "quantity_implausible"),
                                               (DEAR, "value_implausible")])
def test_an_agent_cannot_create_an_implausible_listing_even_confirming(
        chatellerault, figures, code):
    with in_authority(chatellerault):
        poster = agent()
        for confirm in (False, True):
            with pytest.raises(ExchangeError) as refused:
                create_listing(poster=poster, confirm_outlier=confirm,
                               **fields(**figures))
            assert refused.value.code == code
        assert not Listing.objects.exists()


def test_the_bounds_themselves_are_plausible(chatellerault):
    with in_authority(chatellerault):
        listing = create_listing(poster=agent(), **fields(
            quantity=10_000, estimated_value=Decimal("1000000000") / 1000))
        assert listing.quantity == 10_000 and listing.outlier_confirmed_at is None
        single = create_listing(poster=agent(), **fields(
            quantity=1, estimated_value=Decimal("100000")))
        assert single.outlier_confirmed_at is None


def test_a_moderator_confirms_an_outlier_which_then_closes_without_asking_again(
        chatellerault, django_capture_on_commit_callbacks):
    with in_authority(chatellerault):
        nadia = moderator()
        with pytest.raises(ExchangeError):
            create_listing(poster=nadia, **fields(**HUGE))  # not confirmed
        listing = create_listing(poster=nadia, confirm_outlier=True, **fields(**HUGE))
        assert listing.outlier_confirmed_by == nadia and listing.outlier_confirmed_at
        assert "inhabituelle" in " ".join(listing.events.values_list("message", flat=True))
        # Editing something else keeps the confirmation…
        update_listing(listing=listing, actor=nadia, title="Chaises (lot)")
        # … changing a figure drops it.
        with pytest.raises(ExchangeError) as refused:
            update_listing(listing=listing, actor=nadia, quantity=300_000)
        assert refused.value.code == "quantity_implausible"
        listing.refresh_from_db()
        assert listing.quantity == 400_000 and listing.outlier_confirmed_at is not None


def test_an_agent_cannot_raise_a_listing_above_the_bounds(chatellerault):
    with in_authority(chatellerault):
        listing = published_listing(quantity=10, estimated_value=Decimal("300"))
        with pytest.raises(ExchangeError) as refused:
            update_listing(listing=listing, actor=listing.poster,
                           estimated_value=Decimal("5000000"), confirm_outlier=True)
        assert refused.value.code == "value_implausible"
        listing.refresh_from_db()
        assert listing.estimated_value == Decimal("300.00")


def test_closing_an_unconfirmed_outlier_needs_a_moderator(
        chatellerault, django_capture_on_commit_callbacks):
    """A listing from before the bounds (written straight to the table)."""
    with in_authority(chatellerault):
        listing = published_listing(quantity=10, estimated_value=Decimal("300"))
        Listing.objects.filter(pk=listing.pk).update(**HUGE)
        listing.refresh_from_db()
        with pytest.raises(ExchangeError) as refused:
            close_listing(listing=listing, actor=listing.poster, reason="discarded",
                          quantity=3, confirm_outlier=True)
        assert refused.value.code == "quantity_implausible"
        assert not listing.transfers.exists()
        nadia = moderator()
        with django_capture_on_commit_callbacks(execute=True):
            close_listing(listing=listing, actor=nadia, reason="discarded",
                          quantity=3, confirm_outlier=True)
            # Confirmed on the listing: the poster's next closure passes.
            close_listing(listing=listing, actor=listing.poster,
                          reason="discarded", quantity=2)
        assert listing.transfers.count() == 2


# --- Forms ------------------------------------------------------------------------------------

def test_the_form_refuses_on_the_field_and_offers_confirmation_to_moderators_only(
        chatellerault):
    with in_authority(chatellerault):
        poster, nadia, site = agent(), moderator(), SiteFactory()
    data = listing_data(site, poster.service, quantity="400000",
                        estimated_value="99999999", draft="")
    client = client_for(chatellerault, poster)
    assert 'name="confirm_outlier"' not in client.get("/listings/new/").content.decode()
    refused = client.post("/listings/new/", {**data, "confirm_outlier": "on"})
    assert refused.status_code == 200
    assert list(refused.context["form"].errors) == ["quantity"]
    assert "pas une quantité vraisemblable" in refused.content.decode()
    as_moderator = client_for(chatellerault, nadia)
    assert 'name="confirm_outlier"' in as_moderator.get("/listings/new/").content.decode()
    data = listing_data(site, nadia.service, quantity="400000", estimated_value="99999999",
                        draft="")
    assert as_moderator.post("/listings/new/", data).status_code == 200  # not confirmed
    assert as_moderator.post("/listings/new/", {**data, "confirm_outlier": "on"}
                             ).status_code == 302
    with in_authority(chatellerault):
        [listing] = Listing.objects.all()
        assert listing.quantity == 400_000 and listing.outlier_confirmed_by == nadia


# --- API --------------------------------------------------------------------------------------

def test_the_api_refuses_400000_items_worth_99999999_euros_for_an_agent(chatellerault):
    with in_authority(chatellerault):
        poster, nadia, site, chairs = agent(), moderator(), SiteFactory(), item_type()
    body = {"title": "Chaises", "category": chairs.pk, "condition": "good",
            "quantity": 400000, "estimated_value": "99999999.00", "site": site.pk}
    for confirm in (False, True):
        refused = api(chatellerault, poster).post(
            f"{API}/listings/", {**body, "confirm_outlier": confirm}, format="json")
        assert refused.status_code == 400
        assert "vraisemblable" in " ".join(refused.json()["errors"]["quantity"])
    with in_authority(chatellerault):
        assert not Listing.objects.exists()
    dear = api(chatellerault, poster).post(
        f"{API}/listings/", {**body, "quantity": 1}, format="json")
    assert dear.status_code == 400 and "estimated_value" in dear.json()["errors"]
    accepted = api(chatellerault, nadia).post(
        f"{API}/listings/", {**body, "confirm_outlier": True}, format="json")
    assert accepted.status_code == 201, accepted.json()
    listing_id = accepted.json()["id"]
    # A new figure drops the confirmation: confirm again, or it is refused.
    changed = api(chatellerault, nadia).patch(
        f"{API}/listings/{listing_id}/", {"estimated_value": "5000000"}, format="json")
    assert changed.status_code == 400 and "quantity" in changed.json()["errors"]
    with in_authority(chatellerault):
        assert Listing.objects.get(pk=listing_id).estimated_value == Decimal("99999999.00")
    confirmed = api(chatellerault, nadia).patch(
        f"{API}/listings/{listing_id}/", {"estimated_value": "5000000",
                                          "confirm_outlier": True}, format="json")
    assert confirmed.status_code == 200, confirmed.json()


def test_the_api_close_of_an_unconfirmed_outlier_needs_a_moderator(
        chatellerault, django_capture_on_commit_callbacks):
    with in_authority(chatellerault):
        listing = published_listing(quantity=10, estimated_value=Decimal("300"))
        Listing.objects.filter(pk=listing.pk).update(**DEAR)
        nadia = moderator()
    url = f"{API}/listings/{listing.pk}/close/"
    refused = api(chatellerault, listing.poster).post(
        url, {"reason": "discarded", "confirm_outlier": True}, format="json")
    assert refused.status_code == 400
    assert "vraisemblable" in " ".join(refused.json()["errors"]["confirm_outlier"])
    with django_capture_on_commit_callbacks(execute=True):
        closed = api(chatellerault, nadia).post(
            url, {"reason": "discarded", "confirm_outlier": True}, format="json")
    assert closed.status_code == 201, closed.json()
    assert closed.json()["listing_status"] == "closed"


def test_the_close_form_offers_the_confirmation_only_when_it_is_needed(chatellerault):
    with in_authority(chatellerault):
        plain = published_listing(quantity=10, estimated_value=Decimal("300"))
        outlier = published_listing(quantity=10, estimated_value=Decimal("300"))
        Listing.objects.filter(pk=outlier.pk).update(**HUGE)
        nadia = moderator()
    as_moderator = client_for(chatellerault, nadia)
    assert 'name="confirm_outlier"' not in as_moderator.get(
        f"/listings/{plain.pk}/close/").content.decode()
    assert 'name="confirm_outlier"' in as_moderator.get(
        f"/listings/{outlier.pk}/close/").content.decode()
    as_poster = client_for(chatellerault, outlier.poster)
    refused = as_poster.post(f"/listings/{outlier.pk}/close/",
                             {"reason": "discarded", "quantity": 3, "confirm_outlier": "on"})
    assert 'name="confirm_outlier"' not in refused.content.decode()
    assert "pas une quantité vraisemblable" in refused.content.decode()
    with in_authority(chatellerault):
        assert not outlier.transfers.exists()
