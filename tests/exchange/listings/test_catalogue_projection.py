"""The catalogue projection (exchange/listings/projections.py, written in the public
schema through exchange.catalogue.services): which listings leave their authority, with
what, and how `rebuild_catalogue` repairs it."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.contrib.postgres.search import SearchQuery
from django.core.management import call_command
from django.utils import timezone

from exchange.catalogue.models import CatalogueEntry
from exchange.listings.models import SEARCH_CONFIG, Listing, Visibility
from exchange.listings.projections import rebuild_catalogue, sync_after_commit, sync_listing
from exchange.listings.services.closure import close_listing
from tests.accounts.factories import moderator
from tests.conftest import in_authority
from tests.exchange.listings.factories import published_listing

pytestmark = pytest.mark.django_db


def french(words: str) -> SearchQuery:
    return SearchQuery(words, config=SEARCH_CONFIG)


def entries(authority) -> dict[int, CatalogueEntry]:
    return {e.listing_id: e for e in CatalogueEntry.objects.filter(authority=authority)}


def test_a_shared_published_listing_is_projected_without_value_nor_person(chatellerault):
    with in_authority(chatellerault):
        listing = published_listing(title="Armoire métallique à rideaux",
                                    description="Deux portes, clé fournie.", quantity=3)
        Listing.objects.filter(pk=listing.pk).update(visibility=Visibility.SHARED)
        assert sync_listing(listing.pk) == "created"
    entry = entries(chatellerault)[listing.pk]
    assert (entry.title, entry.quantity, entry.is_shared, entry.offered_at) == (
        "Armoire métallique à rideaux", 3, True, None)
    assert entry.commune == listing.site.city and entry.category == listing.category.name
    names = {field.name for field in CatalogueEntry._meta.get_fields()}
    assert not names & {"estimated_value", "value", "poster", "service", "site", "email"}
    # Searchable in French without accents.
    assert CatalogueEntry.objects.filter(search_vector=french("metallique")).get().pk == entry.pk


def test_internal_or_unpublished_listings_stay_home(chatellerault):
    with in_authority(chatellerault):
        listing = published_listing()
        assert sync_listing(listing.pk) == "unchanged"
        Listing.objects.filter(pk=listing.pk).update(visibility=Visibility.SHARED)
        assert sync_listing(listing.pk) == "created"
        Listing.objects.filter(pk=listing.pk).update(visibility=Visibility.INTERNAL)
        assert sync_listing(listing.pk) == "deleted"
    assert entries(chatellerault) == {}


def test_closing_removes_the_entry_and_a_partial_transfer_updates_the_quantity(
        chatellerault):
    with in_authority(chatellerault):
        listing = published_listing(quantity=10)
        Listing.objects.filter(pk=listing.pk).update(visibility=Visibility.SHARED)
        sync_listing(listing.pk)
        close_listing(listing=listing, actor=listing.poster, reason="discarded",
                      quantity=4)
        assert sync_listing(listing.pk) == "updated"
        assert entries(chatellerault)[listing.pk].quantity == 6
        assert sync_listing(listing.pk) == "unchanged"
        close_listing(listing=listing, actor=listing.poster, reason="discarded")
        assert sync_listing(listing.pk) == "deleted"


def test_offer_to_partners_respects_the_opt_out(chatellerault):
    with in_authority(chatellerault):
        listing = published_listing()
        offered = timezone.now() - timedelta(days=1)
        Listing.objects.filter(pk=listing.pk).update(offered_to_partners_at=offered)
        assert sync_listing(listing.pk) == "created"
        assert entries(chatellerault)[listing.pk].offered_at == offered
        assert not entries(chatellerault)[listing.pk].is_shared
        Listing.objects.filter(pk=listing.pk).update(partner_offer_opt_out=True)
        assert sync_listing(listing.pk) == "deleted"


def test_sync_after_commit_waits_for_the_commit(chatellerault,
                                                django_capture_on_commit_callbacks):
    with in_authority(chatellerault):
        listing = published_listing()
        Listing.objects.filter(pk=listing.pk).update(visibility=Visibility.SHARED)
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            sync_after_commit(listing)
        assert entries(chatellerault) == {}
        callbacks[0]()
    assert list(entries(chatellerault)) == [listing.pk]


def test_entries_of_two_authorities_stay_apart(chatellerault, grand_chatellerault):
    with in_authority(chatellerault):
        town = published_listing(title="Bureau de Châtellerault")
        Listing.objects.filter(pk=town.pk).update(visibility=Visibility.SHARED)
        sync_listing(town.pk)
    with in_authority(grand_chatellerault):
        agglo = published_listing(title="Bureau de l'Agglomération")
        Listing.objects.filter(pk=agglo.pk).update(visibility=Visibility.SHARED)
        sync_listing(agglo.pk)
    assert [e.title for e in entries(chatellerault).values()] == ["Bureau de Châtellerault"]
    assert [e.title for e in entries(grand_chatellerault).values()] == [
        "Bureau de l'Agglomération"]


def test_rebuild_restores_an_emptied_projection_then_changes_nothing(chatellerault):
    with in_authority(chatellerault):
        shared = [published_listing(title=f"Chaise {n}") for n in range(3)]
        Listing.objects.filter(pk__in=[x.pk for x in shared]).update(
            visibility=Visibility.SHARED)
        published_listing(title="Interne")  # never projected
        gone = published_listing(title="Retirée")
        Listing.objects.filter(pk=gone.pk).update(visibility=Visibility.SHARED)
        for listing in [*shared, gone]:
            sync_listing(listing.pk)
        close_listing(listing=gone, actor=moderator(), reason="unavailable")
        Listing.objects.filter(pk=shared[0].pk).update(title="Chaise renommée")
    CatalogueEntry.objects.filter(listing_id__in=[shared[1].pk, shared[2].pk]).delete()

    assert rebuild_catalogue(chatellerault) == {"created": 2, "updated": 1, "deleted": 1,
                                      "unchanged": 0}
    assert sorted(e.title for e in entries(chatellerault).values()) == [
        "Chaise 1", "Chaise 2", "Chaise renommée"]
    assert CatalogueEntry.objects.filter(search_vector=french("renommee")).count() == 1
    assert rebuild_catalogue(chatellerault) == {"created": 0, "updated": 0, "deleted": 0,
                                                "unchanged": 3}

    CatalogueEntry.objects.filter(authority=chatellerault).delete()
    out = io.StringIO()
    call_command("rebuild_catalogue", "--authority", "chatellerault", stdout=out)
    assert "chatellerault: 3 created, 0 updated, 0 deleted, 0 unchanged" in out.getvalue()
    assert len(entries(chatellerault)) == 3
