"""« Demander un transport » on a listing's page (issue 18): offered by logistics through
the listings' action registry (exchange.listings.actions), to the poster and the taker of
a taken listing only."""

import pytest

from exchange.listings.actions import listing_actions
from tests.accounts.factories import ServiceFactory, agent
from tests.conftest import client_for, in_authority
from tests.exchange.listings.factories import published_listing
from tests.exchange.logistics.helpers import given_listing

pytestmark = pytest.mark.django_db


def test_the_poster_and_the_taker_see_the_link_others_do_not(chatellerault):
    with in_authority(chatellerault):
        taker_service = ServiceFactory(name="Direction des sports")
        listing, _ = given_listing(to_service=taker_service)
        taker = agent(email="taker@chatellerault.example", service=taker_service)
        stranger = agent(email="other@chatellerault.example")
        untaken = published_listing(poster=listing.poster)
        link = f"/logistics/listings/{listing.pk}/request/"
        assert [url for _, url in listing_actions(listing.poster, listing)] == [link]
        assert listing_actions(stranger, listing) == []
        assert listing_actions(listing.poster, untaken) == []
    for user, shown in ((listing.poster, True), (taker, True), (stranger, False)):
        page = client_for(chatellerault, user).get(f"/listings/{listing.pk}/",
                                                   HTTP_ACCEPT_LANGUAGE="fr")
        assert page.status_code == 200
        assert (f'href="{link}"' in page.content.decode()) is shown, user.email
