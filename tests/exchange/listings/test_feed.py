"""The feed of published listings: French search without accents, filters, sorting,
pagination, htmx results, saved searches, and a bounded number of queries."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core import cache as authority_cache
from exchange.listings import photos
from exchange.listings.models import Category, Listing, ListingStatus, SavedSearch
from tests.accounts.factories import ServiceFactory, SiteFactory, agent, moderator
from tests.conftest import client_for, in_authority
from tests.exchange.listings.factories import (
    ListingFactory,
    SavedSearchFactory,
    image_upload,
    item_type,
    published_listing,
)

pytestmark = pytest.mark.django_db

VALUE = Decimal("345.67")


@pytest.fixture(autouse=True)
def media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.MULTITENANT_RELATIVE_MEDIA_ROOT = "%s"


@pytest.fixture
def approver(chatellerault):
    with in_authority(chatellerault):
        return moderator()


def titles(response) -> list[str]:
    return [listing.title for listing in response.context["page"]]


def assert_no_value(html: str) -> None:
    assert "345.67" not in html and "345,67" not in html


def test_the_feed_shows_published_listings_as_cards_without_their_value(chatellerault,
                                                                         approver):
    with in_authority(chatellerault):
        online = published_listing(title="Bureau en chêne", approver=approver,
                                   estimated_value=VALUE, quantity=3)
        ListingFactory(title="Brouillon secret")
        ListingFactory(title="En attente", status=ListingStatus.PENDING)
        ListingFactory(title="Déjà donné", status=ListingStatus.CLOSED)
        reader = agent()
    response = client_for(chatellerault, reader).get("/listings/")
    assert response.status_code == 200
    assert titles(response) == ["Bureau en chêne"]
    html = response.content.decode()
    assert online.service.name in html and online.site.name in html
    assert f'href="/listings/{online.pk}/"' in html
    assert online.category.name in html
    assert_no_value(html)


def test_search_ignores_accents_and_plurals(chatellerault, approver):
    with in_authority(chatellerault):
        published_listing(title="Chaises empilables en hêtre", approver=approver)
        published_listing(title="Armoire métallique", description="Deux portes",
                          approver=approver)
        reader = agent()
    client = client_for(chatellerault, reader)
    assert titles(client.get("/listings/", {"q": "hetre"})) == ["Chaises empilables en hêtre"]
    assert titles(client.get("/listings/", {"q": "chaise"})) == ["Chaises empilables en hêtre"]
    assert titles(client.get("/listings/", {"q": "metallique"})) == ["Armoire métallique"]
    assert titles(client.get("/listings/", {"q": "porte"})) == ["Armoire métallique"]
    assert titles(client.get("/listings/", {"q": "piano"})) == []


def test_filters(chatellerault, approver):
    with in_authority(chatellerault):
        schools = ServiceFactory(name="Direction des écoles")
        depot = SiteFactory(name="Centre technique municipal")
        chair = published_listing(title="Chaises", approver=approver, condition="good")
        desk = published_listing(title="Bureau", approver=approver, condition="used",
                                 category=Category.objects.filter(
                                     parent__isnull=False).exclude(
                                     parent=item_type().parent).first(),
                                 service=schools, site=depot)
        Listing.objects.filter(pk=desk.pk).update(
            published_at=timezone.now() - timedelta(days=30))
        family = chair.category.parent
        reader = agent()
    client = client_for(chatellerault, reader)
    assert titles(client.get("/listings/", {"category": family.pk})) == ["Chaises"]
    assert titles(client.get("/listings/", {"category": chair.category_id})) == ["Chaises"]
    assert titles(client.get("/listings/", {"service": schools.pk})) == ["Bureau"]
    assert titles(client.get("/listings/", {"site": depot.pk})) == ["Bureau"]
    assert titles(client.get("/listings/", {"condition": "used"})) == ["Bureau"]
    since = (timezone.now() - timedelta(days=7)).date().isoformat()
    assert titles(client.get("/listings/", {"published_since": since})) == ["Chaises"]
    # Values that do not validate are ignored, not a server error.
    response = client.get("/listings/", {"category": "abc", "site": "999999",
                                         "published_since": "hier", "sort": "price"})
    assert response.status_code == 200
    assert sorted(titles(response)) == ["Bureau", "Chaises"]


def test_the_category_filter_offers_families_and_item_types(chatellerault):
    with in_authority(chatellerault):
        reader = agent()
        chair = item_type()
    html = client_for(chatellerault, reader).get("/listings/").content.decode()
    assert f'<optgroup label="{chair.parent.name}">' in html
    assert f'<option value="{chair.parent_id}">' in html
    assert f'<option value="{chair.pk}">' in html


def test_sorting(chatellerault, approver):
    with in_authority(chatellerault):
        for title in ("Bureau", "Armoire", "Chaise"):
            published_listing(title=title, approver=approver)
        reader = agent()
    client = client_for(chatellerault, reader)
    assert titles(client.get("/listings/")) == ["Chaise", "Armoire", "Bureau"]
    assert titles(client.get("/listings/", {"sort": "oldest"})) == ["Bureau", "Armoire", "Chaise"]
    assert titles(client.get("/listings/", {"sort": "title"})) == ["Armoire", "Bureau", "Chaise"]


def test_relevance_is_the_default_order_of_a_search(chatellerault, approver):
    with in_authority(chatellerault):
        published_listing(title="Lot divers", description="dont une chaise", approver=approver)
        published_listing(title="Chaise de bureau", approver=approver)
        reader = agent()
    response = client_for(chatellerault, reader).get("/listings/", {"q": "chaise"})
    assert titles(response) == ["Chaise de bureau", "Lot divers"]  # title weighs more


def _card_listings(count: int, poster) -> None:
    """Published listings, each with a photo, made quickly (no moderation needed here)."""
    site = SiteFactory()
    for n in range(count):
        listing = ListingFactory(title=f"Lot n°{n}", poster=poster, site=site)
        photos.add_photo(listing=listing, actor=poster, upload=image_upload(size=(40, 30)))
    Listing.objects.filter(poster=poster).update(status=ListingStatus.PUBLISHED,
                                                 published_at=timezone.now())


def test_pagination_24_a_page(chatellerault):
    with in_authority(chatellerault):
        poster = agent()
        _card_listings(30, poster)
        reader = agent()
    client = client_for(chatellerault, reader)
    first = client.get("/listings/")
    assert len(first.context["page"]) == 24
    assert first.context["page"].paginator.count == 30
    assert 'href="?page=2"' in first.content.decode()
    assert len(client.get("/listings/", {"page": 2}).context["page"]) == 6
    assert len(client.get("/listings/", {"page": 99}).context["page"]) == 6


def test_the_feed_runs_the_same_queries_whatever_the_number_of_listings(chatellerault):
    """5 or 30 listings with photos (24 shown a page): the same number of queries."""

    def count(client, path="/listings/"):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(path)
        assert response.status_code == 200
        return len(queries)

    with in_authority(chatellerault):
        poster, reader = agent(), agent()
        _card_listings(5, poster)
    client = client_for(chatellerault, reader)
    client.get("/listings/")  # the per-authority cache filled (see the next test for cold)
    few = count(client)
    few_search = count(client, "/listings/?q=lot&sort=title&category=1")
    with in_authority(chatellerault):
        _card_listings(25, agent())  # with a new site: the cached places are forgotten
    client.get("/listings/")
    many = count(client)
    assert many == few
    assert count(client, "/listings/?q=lot&sort=title&category=1") == few_search


FEED_PAGES = [
    ("/listings/", 24),                             # the first page, full
    ("/listings/?page=2", 2),                       # the last one: 26 - 24 cards
    ("/listings/?sort=title&condition=good", 24),   # sorted and filtered, full
    ("/listings/?q=chaise&category=1", 0),          # a search: no card, no count query
]


@pytest.mark.parametrize(("path", "cards"), FEED_PAGES)
def test_an_agent_s_feed_page_takes_10_queries_at_most_cold_or_warm(
        chatellerault, path, cards, django_assert_max_num_queries):
    """Issue 15: 10 SQL queries at most whatever the page size, for an agent, with the
    per-authority cache empty (cold: the settings, categories, services and sites are
    read) and filled (warm). Counted from the request's first query (the tenant lookup)
    to its last."""
    with in_authority(chatellerault):
        poster, reader = agent(), agent()
        _card_listings(26, poster)
    client = client_for(chatellerault, reader)
    cache.clear()
    with django_assert_max_num_queries(10) as cold:
        response = client.get(path)
    assert response.status_code == 200
    assert len(response.context["page"]) == cards
    with django_assert_max_num_queries(10) as warm:
        assert client.get(path).status_code == 200
    # The cache saves the reads of the settings, the categories, the places and the
    # cards (their rendered fragment and count, views.listings._cached_results: one
    # query, two when a page without cards counts apart).
    assert len(warm) <= len(cold) - 4


def test_the_feed_makes_no_query_per_card(chatellerault):
    """The page's listings, their category, service, site, first photo and quantity
    left, and the total, come in one query."""
    with in_authority(chatellerault):
        poster, reader = agent(), agent()
        _card_listings(24, poster)
    client = client_for(chatellerault, reader)
    client.get("/listings/")  # the cache filled
    with in_authority(chatellerault):
        authority_cache.invalidate(authority_cache.LISTING_CARDS)  # the cards only forgotten
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/listings/")
    on_listings = [q["sql"] for q in queries.captured_queries if "exchange_listing" in q["sql"]]
    assert len(on_listings) == 1  # the total comes with the cards (core.pagination)
    assert on_listings[0].startswith('SELECT "exchange_listing"."id"')
    assert "COUNT(*) OVER ()" in on_listings[0]
    assert response.context["page"].paginator.count == 24
    html = response.content.decode()
    first = response.context["page"][0]
    photo = first.photos.order_by("position", "id").first()
    assert f'href="/listings/{first.pk}/"' in html
    assert f'src="/listings/{first.pk}/photos/{photo.pk}/thumb/"' in html


def test_htmx_filtering_gets_the_results_only(chatellerault, approver):
    with in_authority(chatellerault):
        published_listing(title="Chaises empilables en hêtre", approver=approver)
        reader = agent()
    response = client_for(chatellerault, reader).get(
        "/listings/", {"q": "hetre"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="feed-results")
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html and "Chaises empilables en hêtre" in html
    assert "HX-Request" in response["Vary"]
    full = client_for(chatellerault, reader).get("/listings/", {"q": "hetre"})
    assert 'id="feed-results"' in full.content.decode()
    assert 'hx-get="/listings/"' in full.content.decode()


def test_saving_a_search(chatellerault):
    with in_authority(chatellerault):
        reader = agent()
        chair = item_type()
    client = client_for(chatellerault, reader)
    page = client.get("/listings/", {"q": "chaise", "category": chair.pk}).content.decode()
    assert 'action="/listings/saved-searches/"' in page
    response = client.post("/listings/saved-searches/", {"q": "chaise", "category": chair.pk})
    assert response.status_code == 302
    assert response["Location"].startswith("/listings/?")
    client.post("/listings/saved-searches/", {"q": "chaise", "category": chair.pk})
    with in_authority(chatellerault):
        saved = SavedSearch.objects.get()
    assert (saved.user, saved.query, saved.category) == (reader, "chaise", chair)
    # An empty search cannot be saved.
    client.post("/listings/saved-searches/", {"q": ""})
    with in_authority(chatellerault):
        assert SavedSearch.objects.count() == 1


def test_deleting_a_saved_search_is_for_its_owner(chatellerault):
    with in_authority(chatellerault):
        owner, other = agent(), agent()
        saved = SavedSearchFactory(user=owner, query="chaise")
    path = f"/listings/saved-searches/{saved.pk}/delete/"
    assert client_for(chatellerault, other).post(path).status_code == 404
    mine = client_for(chatellerault, owner).get("/listings/mine/").content.decode()
    assert f'action="{path}"' in mine
    assert client_for(chatellerault, owner).post(path).status_code == 302
    with in_authority(chatellerault):
        assert not SavedSearch.objects.exists()


def test_the_feed_needs_a_member_of_the_authority(chatellerault, grand_chatellerault):
    with in_authority(grand_chatellerault):
        published_listing(title="Table de Grand Châtellerault")
    with in_authority(chatellerault):
        reader = agent()
    response = client_for(chatellerault).get("/listings/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert titles(client_for(chatellerault, reader).get("/listings/")) == []
    client = client_for(chatellerault, reader)
    client.defaults["HTTP_HOST"] = "grand-chatellerault.localhost"
    response = client.get("/listings/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_the_home_page_shows_the_latest_listings(chatellerault, approver):
    with in_authority(chatellerault):
        published_listing(title="Vidéoprojecteur", approver=approver, estimated_value=VALUE)
        reader = agent()
    response = client_for(chatellerault, reader).get("/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Vidéoprojecteur" in html
    assert_no_value(html)


def test_an_invalid_filter_is_reported_and_ignored(chatellerault):
    with in_authority(chatellerault):
        viewer = agent()
    response = client_for(chatellerault, viewer).get(
        "/listings/", {"published_since": "31/02/2026", "condition": "broken"})
    assert response.status_code == 200
    form = response.context["form"]
    assert set(form.errors) == {"published_since", "condition"}
    body = response.content.decode()
    assert body.count("Ce filtre est ignoré.") == 2


def filter_summary(html: str) -> str:
    """The « Filtrer » summary of the feed's filters, as served."""
    start = html.index('<details class="feed-filter-panel"')
    return html[start:html.index("</summary>", start) + len("</summary>")]


def test_the_folded_filters_show_how_many_apply(chatellerault, approver):
    """The filters fold behind « Filtrer » on a phone: the summary counts the narrowing
    filters that apply (not the search words, not the order, not a refused value)."""
    with in_authority(chatellerault):
        chair = published_listing(title="Chaises", approver=approver, condition="good")
        reader = agent()
    client = client_for(chatellerault, reader)
    none = filter_summary(client.get("/listings/", {"q": "chaise", "sort": "oldest"})
                          .content.decode())
    assert "Filtrer" in none and "(" not in none and "filtre" not in none
    two = filter_summary(client.get("/listings/", {
        "category": chair.category_id, "condition": "good", "q": "chaise",
        "published_since": "hier"}).content.decode())
    assert '<span aria-hidden="true">(2)</span>' in two
    assert ", 2 filtres actifs" in two
    one = filter_summary(client.get("/listings/", {"condition": "good"}).content.decode())
    assert '<span aria-hidden="true">(1)</span>' in one and ", 1 filtre actif" in one


def test_the_filters_are_served_folded_unless_one_is_refused(chatellerault):
    """Served folded (a phone shows the results first; js/disclosure.js opens them on a
    wide screen), open when a value is refused, so that its message shows."""
    with in_authority(chatellerault):
        reader = agent()
    client = client_for(chatellerault, reader)
    assert "<details class=\"feed-filter-panel\" data-open-wide>" in (
        client.get("/listings/", {"condition": "good"}).content.decode())
    assert "<details class=\"feed-filter-panel\" data-open-wide open>" in (
        client.get("/listings/", {"condition": "broken"}).content.decode())


def test_htmx_filtering_updates_the_count_out_of_band(chatellerault, approver):
    """htmx swaps the results only: the count on « Filtrer » comes with them, out of band."""
    with in_authority(chatellerault):
        published_listing(title="Chaises", approver=approver, condition="good")
        reader = agent()
    client = client_for(chatellerault, reader)
    html = client.get("/listings/", {"condition": "good", "site": ""},
                      HTTP_HX_REQUEST="true", HTTP_HX_TARGET="feed-results").content.decode()
    assert '<span id="feed-filter-count" hx-swap-oob="true">' in html
    assert ", 1 filtre actif" in html and "<details" not in html
    cleared = client.get("/listings/", {"condition": ""}, HTTP_HX_REQUEST="true",
                         HTTP_HX_TARGET="feed-results").content.decode()
    assert '<span id="feed-filter-count" hx-swap-oob="true"></span>' in cleared
    # The full page carries the count once, in the form: no out-of-band copy.
    full = client.get("/listings/", {"condition": "good"}).content.decode()
    assert full.count('id="feed-filter-count"') == 1 and "hx-swap-oob" not in full
