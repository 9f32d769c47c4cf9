"""The feed's rendered cards are cached per authority (views.listings._cached_results,
core.cache.LISTING_CARDS): every write that changes what a card shows makes the next
feed show the change, and nothing of one viewer reaches another."""

import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from exchange.listings import photos
from exchange.listings.models import ClosureReason, Listing, ListingStatus
from exchange.listings.services.closure import close_listing
from exchange.listings.services.expiry import expire_due_listings
from tests.accounts.factories import SiteFactory, agent, moderator
from tests.conftest import client_for, in_authority
from tests.exchange.listings.factories import image_upload, published_listing

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.MULTITENANT_RELATIVE_MEDIA_ROOT = "%s"


@pytest.fixture
def setup(chatellerault):
    with in_authority(chatellerault):
        approver = moderator()
        poster, reader = agent(), agent()
        listing = published_listing(title="Armoire métallique", poster=poster,
                                    approver=approver, quantity=5)
    client = client_for(chatellerault, reader)
    feed = client.get("/listings/").content.decode()  # the cards cached
    assert "Armoire métallique" in feed
    return {"authority": chatellerault, "listing": listing, "poster": poster,
            "approver": approver, "client": client}


def feed_html(setup) -> str:
    return setup["client"].get("/listings/").content.decode()


def listing_queries(client, path="/listings/") -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(path).status_code == 200
    return len([q for q in queries.captured_queries if "exchange_listing" in q["sql"]])


def test_a_warm_feed_reads_no_listing(setup):
    assert listing_queries(setup["client"]) == 0


def test_a_listing_edit_shows_at_once(setup):
    with in_authority(setup["authority"]):
        listing = Listing.objects.get(pk=setup["listing"].pk)
        listing.title = "Armoire à rideaux"
        listing.save()
    html = feed_html(setup)
    assert "Armoire à rideaux" in html and "Armoire métallique" not in html


def test_a_listing_leaving_the_feed_leaves_it_at_once(setup):
    with in_authority(setup["authority"]):
        Listing.objects.filter(pk=setup["listing"].pk).get().delete()
    assert "Armoire métallique" not in feed_html(setup)


def test_an_expired_listing_leaves_the_feed_at_once(setup):
    with in_authority(setup["authority"]):
        Listing.objects.filter(pk=setup["listing"].pk).update(
            expires_at=timezone.now() - timedelta(days=1))
    # update() above skips save(): the feed still shows it (the cached cards)...
    assert "Armoire métallique" in feed_html(setup)
    with in_authority(setup["authority"]):
        # ...until the expiry service, which writes by update() too, forgets them.
        assert expire_due_listings() == 1
    assert "Armoire métallique" not in feed_html(setup)


def test_a_transfer_changes_the_quantity_left_at_once(setup):
    with in_authority(setup["authority"]):
        close_listing(listing=setup["listing"], actor=setup["poster"],
                      reason=ClosureReason.DISCARDED, quantity=2)
        assert Listing.objects.get(pk=setup["listing"].pk).status == ListingStatus.PUBLISHED
    assert "<dd>3</dd>" in feed_html(setup)


def test_photos_deleted_and_added_show_at_once(setup):
    with in_authority(setup["authority"]):
        listing = setup["listing"]
        first = photos.add_photo(listing=listing, actor=setup["approver"],
                                 upload=image_upload(size=(40, 30)))
        shown = list(listing.photos.order_by("position", "id"))
    assert f"/photos/{shown[0].pk}/thumb/" in feed_html(setup)
    with in_authority(setup["authority"]):
        for photo in shown:
            photos.delete_photo(photo=photo, actor=setup["approver"])
    html = feed_html(setup)
    assert "/thumb/" not in html and "listing-thumb-empty" in html
    with in_authority(setup["authority"]):
        again = photos.add_photo(listing=listing, actor=setup["approver"],
                                 upload=image_upload(size=(40, 30)))
    assert again.pk != first.pk
    assert f"/photos/{again.pk}/thumb/" in feed_html(setup)


def test_category_service_and_site_renames_show_at_once(setup):
    with in_authority(setup["authority"]):
        listing = Listing.objects.select_related("category", "service", "site").get(
            pk=setup["listing"].pk)
        listing.category.name = "Meubles de rangement renommés"
        listing.category.save()
        listing.service.name = "Service renommé"
        listing.service.save()
        listing.site.name = "Site renommé"
        listing.site.save()
    html = feed_html(setup)
    assert "Meubles de rangement renommés" in html
    assert "Service renommé" in html
    assert "Site renommé" in html


def test_the_cached_cards_hold_nothing_personal(setup, chatellerault):
    """Two agents searching the same words: the second gets the cards from the cache
    and its own form token, never the first one's."""
    with in_authority(chatellerault):
        other = agent()
    other_client = client_for(chatellerault, other)
    first = setup["client"].get("/listings/?q=armoire").content.decode()
    assert listing_queries(other_client, "/listings/?q=armoire") == 0  # from the cache
    second = other_client.get("/listings/?q=armoire").content.decode()
    assert "Armoire métallique" in first and "Armoire métallique" in second
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', first).group(1)
    assert 'name="csrfmiddlewaretoken"' in second
    assert token not in second


def test_the_cards_are_cached_per_language(setup):
    client = setup["client"]
    french = client.get("/listings/").content.decode()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english = client.get("/listings/").content.decode()
    assert "Quantité restante" in french
    assert "Quantity left" in english and "Quantité restante" not in english


def test_another_authority_s_cards_are_not_shown(setup, grand_chatellerault):
    with in_authority(grand_chatellerault):
        reader = agent()
    html = client_for(grand_chatellerault, reader).get("/listings/").content.decode()
    assert "Armoire métallique" not in html


def test_a_new_site_shows_in_the_filters_at_once(setup):
    """The filter form is cached rendered with the cards: a new site is offered at once."""
    with in_authority(setup["authority"]):
        SiteFactory(name="Entrepôt des Ormeaux")
    html = feed_html(setup)
    assert '<option value="' in html and ">Entrepôt des Ormeaux</option>" in html


def test_a_filter_value_that_does_not_validate_keeps_its_message(setup):
    html = setup["client"].get("/listings/?published_since=demain").content.decode()
    again = setup["client"].get("/listings/?published_since=demain").content.decode()
    assert 'class="error"' in html and 'class="error"' in again


def test_the_count_of_active_filters_follows_the_query_string(setup):
    """The filter form is cached with its « Filtrer (n) »: keyed by the query string, a
    filtered feed and the plain feed never show each other's count."""
    client = setup["client"]
    filtered = client.get("/listings/?condition=good&site=").content.decode()
    plain = client.get("/listings/").content.decode()
    again = client.get("/listings/?condition=good&site=").content.decode()
    assert ", 1 filtre actif" in filtered and ", 1 filtre actif" in again
    assert "filtre actif" not in plain
