"""Writes of the catalogue from plain values (exchange.catalogue.services): one entry per
listing seen outside its authority, and the offer watchers that hear an entry enter or
leave the partners' offer. The listings app computes the values
(tests/exchange/listings/test_catalogue_projection.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.postgres.search import SearchQuery
from django.utils import timezone

from core.search import SEARCH_CONFIG
from exchange.catalogue import services as catalogue
from exchange.catalogue.models import CatalogueEntry

pytestmark = pytest.mark.django_db


def values(**changes) -> dict:
    """An entry's projected fields, shared and not offered unless `changes` say so."""
    return {"title": "Armoire métallique", "description": "Deux portes.", "family": "Mobilier",
            "category": "Armoire", "reference_code": "", "condition": "good",
            "commune": "Châtellerault", "postcode": "86100", "quantity": 3,
            "available_from": None, "available_until": None,
            "published_at": timezone.now() - timedelta(days=2), "photo_ids": [],
            "is_shared": True, "offered_at": None, **changes}


@pytest.fixture
def heard(monkeypatch) -> list[tuple]:
    """What the offer watchers hear during the test (the partners' webhooks replaced)."""
    calls: list[tuple] = []
    monkeypatch.setattr(catalogue, "_OFFER_WATCHERS", [lambda *args: calls.append(args)])
    return calls


def test_an_entry_follows_its_values_and_goes_when_nobody_outside_may_see_it(
        chatellerault, heard):
    shown = values()
    assert catalogue.save_entry(chatellerault, 7, shown) == "created"
    assert catalogue.save_entry(chatellerault, 7, shown) == "unchanged"
    assert catalogue.save_entry(chatellerault, 7, {**shown, "quantity": 2}) == "updated"
    entry = CatalogueEntry.objects.get(authority=chatellerault, listing_id=7)
    assert (entry.title, entry.quantity) == ("Armoire métallique", 2)
    assert CatalogueEntry.objects.filter(
        search_vector=SearchQuery("metallique", config=SEARCH_CONFIG)).get().pk == entry.pk
    assert catalogue.save_entry(chatellerault, 7, None) == "deleted"
    assert catalogue.save_entry(chatellerault, 7, None) == "unchanged"
    assert not CatalogueEntry.objects.exists()
    assert heard == []  # never offered to partners


def test_the_offer_watchers_hear_an_entry_enter_and_leave_the_offer(chatellerault, heard):
    offered = timezone.now() - timedelta(hours=1)
    catalogue.save_entry(chatellerault, 7, values())
    catalogue.save_entry(chatellerault, 7, values(offered_at=offered))
    catalogue.save_entry(chatellerault, 7, values(offered_at=offered, quantity=1))
    catalogue.save_entry(chatellerault, 7, None)
    assert heard == [(chatellerault, 7, False, True), (chatellerault, 7, True, False)]


def test_replacing_makes_the_entries_of_one_authority_exactly_those_given(
        chatellerault, grand_chatellerault, heard):
    for listing_id in (1, 2):
        catalogue.save_entry(chatellerault, listing_id, values())
    catalogue.save_entry(grand_chatellerault, 1, values())
    expected = {2: values(title="Armoire renommée"), 3: values(offered_at=timezone.now())}
    assert catalogue.replace_entries(chatellerault, expected) == {
        "created": 1, "updated": 1, "deleted": 1, "unchanged": 0}
    assert sorted(CatalogueEntry.objects.filter(authority=chatellerault).values_list(
        "listing_id", "title")) == [(2, "Armoire renommée"), (3, "Armoire métallique")]
    assert CatalogueEntry.objects.filter(
        search_vector=SearchQuery("renommee", config=SEARCH_CONFIG)).count() == 1
    assert CatalogueEntry.objects.filter(authority=grand_chatellerault).count() == 1
    assert catalogue.replace_entries(chatellerault, expected)["unchanged"] == 2
    assert heard == []  # a repair announces nothing
