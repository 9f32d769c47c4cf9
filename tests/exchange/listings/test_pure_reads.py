"""Reads never write (issue 14): a GET on the main pages issues no INSERT, UPDATE or
DELETE, and the rows that settings and campaigns need exist from provisioning (or
from the opening of the campaign), not from the first GET."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from analytics import campaigns
from analytics.facts import rebuild_facts
from analytics.models import StatsSettings, WeightCampaignLine
from exchange.listings.models import ExchangeSettings
from tests.accounts.factories import authority_admin
from tests.analytics.factories import chairs_listing, date_transfer, give, make_town
from tests.conftest import client_for, in_authority

pytestmark = pytest.mark.django_db

WRITES = ("INSERT", "UPDATE", "DELETE")
# No exclusion is needed: the test client's session is written by force_login before
# the GETs, and a GET neither modifies the session nor stamps last_login (only a
# sign-in does); django-axes writes on sign-in attempts only.


def writes_of(client, url: str) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return [query["sql"] for query in captured.captured_queries
            if query["sql"].lstrip().upper().startswith(WRITES)]


@pytest.fixture
def town_with_a_campaign(chatellerault, django_capture_on_commit_callbacks):
    with in_authority(chatellerault):
        town = make_town()
        town["admin"] = authority_admin(email="admin.pure@example.org")
        listing = chairs_listing(town, quantity=10)
        town["listing"] = listing
        with django_capture_on_commit_callbacks(execute=True):
            date_transfer(give(town, listing, 6), 2026, 3, 10)
    rebuild_facts(chatellerault)
    campaigns.open_campaign(chatellerault, 2026, 1)
    return town


def test_main_get_pages_write_nothing(chatellerault, town_with_a_campaign):
    town = town_with_a_campaign
    client = client_for(chatellerault, town["admin"])
    pages = [
        reverse("exchange:feed"),
        reverse("exchange:listing_detail", args=[town["listing"].pk]),
        reverse("exchange:listing_create"),
        reverse("exchange:moderation_queue"),
        reverse("exchange:moderation_dashboard"),
        reverse("statistics:moderation_report"),
        reverse("statistics:weight_campaigns"),
        reverse("statistics:weight_campaign", args=[2026, 1]),
        reverse("statistics:agec_report"),
        reverse("statistics:factor_overrides"),
        reverse("exchange:settings"),
        reverse("statistics:stats_settings"),
        reverse("exchange:sharing_settings"),
        reverse("partners:admin"),
    ]
    client.get(pages[0])  # the first request of the session may settle its cookie
    for page in pages:
        assert writes_of(client, page) == [], page


def test_other_authority_pages_and_api_reads_write_nothing(chatellerault,
                                                          town_with_a_campaign):
    town = town_with_a_campaign
    client = client_for(chatellerault, town["admin"])
    pages = [
        reverse("exchange:my_listings"),
        reverse("exchange:wanted_list"),
        reverse("statistics:my_impact"),
        reverse("exchange:reply_list"),
        reverse("exchange:category_list"),
        reverse("exchange:shared_feed"),
        reverse("exchange:transfer_confirmations"),
        reverse("exchange:received_transfers"),
        reverse("exchange:transfer_receipts"),
        "/api/v1/listings/",
        f"/api/v1/listings/{town['listing'].pk}/",
        "/api/v1/categories/",
        "/api/v1/moderation/queue/",
        "/api/v1/stats/summary/",
        "/api/v1/stats/timeseries/",
    ]
    client.get(pages[0])
    for page in pages:
        assert writes_of(client, page) == [], page


def test_operator_console_reads_write_nothing(chatellerault):
    from tests.accounts.factories import operator
    from tests.conftest import verified_operator_client

    client = verified_operator_client(operator())
    pages = ["/operator/", f"/operator/authorities/{chatellerault.slug}/",
             "/operator/impact/", "/operator/partners/", "/impact/"]
    client.get(pages[0])
    for page in pages:
        assert writes_of(client, page) == [], page


def test_settings_rows_exist_from_provisioning(chatellerault):
    assert StatsSettings.objects.filter(authority=chatellerault).exists()
    with in_authority(chatellerault):
        assert ExchangeSettings.objects.filter(pk=1).exists()


def test_settings_pages_read_defaults_when_the_rows_are_missing(chatellerault):
    """An authority whose rows went missing still gets its settings pages (defaults),
    and nothing is created by reading them; saving the form creates the row."""
    StatsSettings.objects.filter(authority=chatellerault).delete()
    with in_authority(chatellerault):
        ExchangeSettings.objects.all().delete()
        admin = authority_admin(email="admin.missing@example.org")
    client = client_for(chatellerault, admin)
    assert writes_of(client, reverse("exchange:settings")) == []
    assert writes_of(client, reverse("statistics:stats_settings")) == []
    assert writes_of(client, reverse("exchange:feed")) == []
    assert not StatsSettings.objects.filter(authority=chatellerault).exists()
    with in_authority(chatellerault):
        assert not ExchangeSettings.objects.exists()


def test_campaign_lines_follow_facts_when_written_not_on_get(
        chatellerault, town_with_a_campaign, django_capture_on_commit_callbacks):
    town = town_with_a_campaign
    campaign = campaigns.open_campaign(chatellerault, 2026, 1)[0]
    assert list(campaign.lines.values_list("quantity", flat=True)) == [6]
    with in_authority(chatellerault), django_capture_on_commit_callbacks(execute=True):
        date_transfer(give(town, town["listing"], 3), 2026, 4, 2)
    rebuild_facts(chatellerault)  # the date moved after the fact was written
    assert sorted(WeightCampaignLine.objects.filter(campaign=campaign)
                  .values_list("quantity", flat=True)) == [3, 6]
