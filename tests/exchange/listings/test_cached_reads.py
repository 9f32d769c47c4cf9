"""The per-authority cached reads (core.cache, issue 15): the exchange settings, the
visible categories and the services and sites of the feed's filters are served from the
cache, and every write forgets them: through the services, the settings page and the
models, never across authorities."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Service
from accounts.selectors import place_choices
from exchange.listings import selectors
from exchange.listings.models import Category, ExchangeSettings
from exchange.listings.services import categories
from tests.accounts.factories import ServiceFactory, SiteFactory, agent, authority_admin
from tests.conftest import client_for, in_authority
from tests.exchange.listings.factories import item_type

pytestmark = pytest.mark.django_db


def _queries(read) -> int:
    with CaptureQueriesContext(connection) as queries:
        read()
    return len(queries)


def _options() -> set[int]:
    return {option.pk for option in selectors.visible_category_options()}


def test_the_reads_are_served_from_the_cache_once_filled(chatellerault):
    with in_authority(chatellerault):
        ServiceFactory(name="Direction des écoles")
        for read in (selectors.exchange_settings, selectors.visible_category_options,
                     place_choices):
            assert _queries(read) >= 1
            assert _queries(read) == 0
        assert ("Direction des écoles" in
                [name for _, name in place_choices().services])


def test_hiding_a_category_through_the_service_forgets_the_cached_categories(chatellerault):
    with in_authority(chatellerault):
        admin = authority_admin()
        chair = item_type()
        assert chair.pk in _options()
        categories.set_category_hidden(category=chair, actor=admin, hidden=True)
        assert chair.pk not in _options()
        categories.set_category_hidden(category=chair, actor=admin, hidden=False)
        assert chair.pk in _options()


def test_a_category_added_through_the_service_is_offered_at_once(chatellerault):
    with in_authority(chatellerault):
        admin = authority_admin()
        family = item_type().parent
        _options()
        added = categories.add_category(actor=admin, name="Tabourets hauts", parent=family,
                                        reference_code=item_type().reference_code)
        assert added.pk in _options()


def test_the_settings_page_forgets_the_cached_settings_and_categories(chatellerault):
    """Switching IT equipment off on the settings page: the settings and the categories
    that depend on them are read again."""
    with in_authority(chatellerault):
        admin, reader = authority_admin(), agent()
        it_items = set(Category.objects.filter(kind="it", parent__isnull=False)
                       .values_list("pk", flat=True))
        assert it_items and it_items <= _options()
        assert selectors.exchange_settings().it_enabled
    # IT equipment unticked (an unticked checkbox is not sent).
    form = {"moderation_mode": "pre", "review_words": "", "contact_cc": "",
            "expiry_days": "60", "appliances_enabled": "on", "contacts_per_hour": "10",
            "default_visibility": "internal", "share_after_days": "14"}
    response = client_for(chatellerault, admin).post(reverse("exchange:settings"), form)
    assert response.status_code == 302
    with in_authority(chatellerault):
        assert not selectors.exchange_settings().it_enabled
        assert not it_items & _options()
    html = client_for(chatellerault, reader).get("/listings/").content.decode()
    assert f'<option value="{min(it_items)}">' not in html


def test_a_saved_settings_row_is_read_again(chatellerault):
    with in_authority(chatellerault):
        assert selectors.exchange_settings().expiry_days == 60
        rules = ExchangeSettings.objects.get(pk=1)
        rules.expiry_days = 90
        rules.save()
        assert selectors.exchange_settings().expiry_days == 90


def test_a_new_or_renamed_service_or_site_is_offered_by_the_feed_at_once(chatellerault):
    with in_authority(chatellerault):
        reader = agent()
    client = client_for(chatellerault, reader)
    client.get("/listings/")  # the cache filled
    with in_authority(chatellerault):
        service = ServiceFactory(name="Service des sports")
        site = SiteFactory(name="Dépôt de la Plaine")
    html = client.get("/listings/").content.decode()
    assert f'<option value="{service.pk}">Service des sports</option>' in html
    assert f'<option value="{site.pk}">Dépôt de la Plaine</option>' in html
    with in_authority(chatellerault):
        Service.objects.get(pk=service.pk).delete()
    assert "Service des sports" not in client.get("/listings/").content.decode()


def test_an_authority_never_reads_another_s_cached_categories_or_places(
        chatellerault, grand_chatellerault):
    with in_authority(chatellerault):
        admin = authority_admin()
        chair = item_type()
        ServiceFactory(name="Service de Châtellerault seulement")
        categories.set_category_hidden(category=chair, actor=admin, hidden=True)
        assert chair.pk not in _options()
        place_choices()
    with in_authority(grand_chatellerault):
        other_chair = item_type()
        assert other_chair.pk in _options()
        assert "Service de Châtellerault seulement" not in [
            name for _, name in place_choices().services]
