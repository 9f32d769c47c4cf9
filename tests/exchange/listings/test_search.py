"""French full-text search: accent-insensitive, stemmed, ranked."""

from decimal import Decimal

import pytest

from exchange.listings.models import Category
from exchange.listings.selectors import FeedFilters, published_listings
from exchange.listings.services.moderation import approve_listing
from exchange.listings.services.posting import create_listing
from tests.accounts.factories import SiteFactory, agent, moderator
from tests.conftest import in_authority

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalogue(chatellerault):
    with in_authority(chatellerault):
        poster, mod = agent(), moderator()
        site = SiteFactory()
        chairs = Category.objects.get(name="Chaise visiteur / empilable")
        screens = Category.objects.get(name="Écran")
        titles = [("Chaises empilables en hêtre", chairs), ("Écran 24 pouces", screens),
                  ("Bureau d'écolier", Category.objects.get(name="Bureau droit"))]
        for title, category in titles:
            listing = create_listing(
                poster=poster, title=title, description="", category=category, quantity=1,
                condition="good", estimated_value=Decimal("10"), site=site, submit=True)
            approve_listing(listing=listing, actor=mod)
        yield


def titles(q="", **filters):
    return [listing.title for listing in published_listings(FeedFilters(q=q, **filters))]


@pytest.mark.parametrize(("query", "expected"), [
    ("hetre", ["Chaises empilables en hêtre"]),
    ("HÊTRE", ["Chaises empilables en hêtre"]),
    ("chaise", ["Chaises empilables en hêtre"]),  # stemmed: chaise ~ chaises
    ("ecran", ["Écran 24 pouces"]),
    ("écolier", ["Bureau d'écolier"]),
    ("piano", []),
])
def test_search_is_french_and_accent_insensitive(catalogue, query, expected):
    assert titles(query) == expected


def test_a_family_filter_includes_its_item_types(catalogue):
    furniture = Category.objects.get(name="Mobilier", parent=None)
    assert sorted(titles(category=furniture.pk)) == ["Bureau d'écolier",
                                                      "Chaises empilables en hêtre"]
