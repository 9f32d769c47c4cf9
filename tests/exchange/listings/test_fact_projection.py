"""The statistics facts as a projection of the transfers (exchange/listings/projections.py):
`record_transfer_fact` after commit, `rebuild_facts` and `manage.py rebuild_facts`
(issue 5, item 1), which recompute one or all authorities' facts from their schemas,
idempotently, and report the differences."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django_tenants.utils import schema_context

from analytics import facts as analytics_facts
from analytics.facts import OVERRIDE_SUFFIX
from analytics.models import REFERENCE_FACTORS_VERSION, TransferFact
from exchange.catalogue.models import CatalogueEntry
from exchange.listings.models import Listing, Transfer, Visibility
from exchange.listings.projections import (
    rebuild_facts,
    rebuild_projections,
    record_transfer_fact,
)
from tests.analytics.factories import (
    FactorOverrideFactory,
    TransferFactFactory,
    chairs_listing,
    give,
    make_town,
    reference_figures,
)
from tests.conftest import in_authority
from tests.exchange.listings.factories import published_listing

OVERRIDDEN_VERSION = REFERENCE_FACTORS_VERSION + OVERRIDE_SUFFIX

pytestmark = pytest.mark.django_db

NOTHING = {"created": 0, "updated": 0, "deleted": 0}


@pytest.fixture
def transfers(chatellerault):
    """Three transfers of Châtellerault, their facts never recorded (no commit)."""
    with in_authority(chatellerault):
        town = make_town()
        chairs = chairs_listing(town, quantity=10, value="300.00")
        return [give(town, chairs, 6), give(town, chairs, 3, reason="discarded"),
                give(town, chairs_listing(town, quantity=2), 2, weight_kg=Decimal("13.5"))]


def facts_of(authority) -> dict[int, TransferFact]:
    return {fact.transfer_id: fact for fact in TransferFact.objects.filter(authority=authority)}


def differences(counts: dict) -> dict:
    return {name: counts[name] for name in NOTHING}


def test_rebuild_creates_the_facts_then_changes_nothing(chatellerault, transfers):
    weight, co2e = reference_figures("chaise-visiteur")
    assert rebuild_facts(chatellerault) == {"created": 3, "updated": 0, "deleted": 0,
                                            "unchanged": 0}
    facts = facts_of(chatellerault)
    given, thrown, weighed = (facts[transfer.pk] for transfer in transfers)
    assert (given.weight_avoided_kg, given.co2e_avoided_kg) == (6 * weight, 6 * co2e)
    assert (thrown.weight_kg, thrown.weight_avoided_kg, thrown.co2e_avoided_kg) == (
        3 * weight, 0, 0)
    assert (weighed.weight_avoided_kg, weighed.co2e_avoided_kg) == (Decimal("13.5"), 2 * co2e)
    stamps = {fact.pk: fact.updated_at for fact in facts.values()}

    again = rebuild_facts(chatellerault)
    assert again == {**NOTHING, "unchanged": 3}
    assert {fact.pk: fact.updated_at for fact in facts_of(chatellerault).values()} == stamps


def test_rebuild_restores_deleted_facts_and_removes_orphans(chatellerault, transfers):
    rebuild_facts(chatellerault)
    TransferFact.objects.filter(authority=chatellerault,
                                transfer_id=transfers[0].pk).delete()
    TransferFact.objects.filter(authority=chatellerault, transfer_id=transfers[1].pk).update(
        weight_avoided_kg=Decimal("999"))
    orphan = TransferFactFactory(authority=chatellerault, transfer_id=987_654)
    assert differences(rebuild_facts(chatellerault)) == {"created": 1, "updated": 1,
                                                         "deleted": 1}
    assert set(facts_of(chatellerault)) == {transfer.pk for transfer in transfers}
    assert not TransferFact.objects.filter(pk=orphan.pk).exists()
    assert facts_of(chatellerault)[transfers[1].pk].weight_avoided_kg == 0
    assert differences(rebuild_facts(chatellerault)) == NOTHING


def test_an_override_changes_the_next_rebuild(chatellerault, transfers):
    rebuild_facts(chatellerault)
    FactorOverrideFactory(authority=chatellerault, reference_code="chaise-visiteur",
                          weight_kg=Decimal("7"), co2e_kg_per_item=Decimal("20"),
                          source="Pesée du centre technique, 2026")
    # All three change: the version of each, the figures of the estimated ones.
    assert differences(rebuild_facts(chatellerault)) == {"created": 0, "updated": 3,
                                                         "deleted": 0}
    facts = facts_of(chatellerault)
    given, thrown, weighed = (facts[transfer.pk] for transfer in transfers)
    assert (given.weight_avoided_kg, given.co2e_avoided_kg) == (Decimal("42"), Decimal("120"))
    assert thrown.weight_kg == Decimal("21")
    assert weighed.weight_kg == Decimal("13.5")  # weighed: the override does not apply
    assert weighed.co2e_avoided_kg == Decimal("40")
    assert {fact.factors_version for fact in facts.values()} == {OVERRIDDEN_VERSION}
    assert differences(rebuild_facts(chatellerault)) == NOTHING


def test_a_rebuild_touches_only_its_authority(chatellerault, grand_chatellerault, transfers):
    with in_authority(grand_chatellerault):
        town = make_town()
        give(town, chairs_listing(town, quantity=1), 1)
    assert rebuild_facts(grand_chatellerault)["created"] == 1
    assert TransferFact.objects.filter(authority=chatellerault).count() == 0
    assert rebuild_facts(chatellerault)["created"] == 3
    assert TransferFact.objects.filter(authority=grand_chatellerault).count() == 1
    # Transfer ids overlap between schemas: each authority keeps its own row.
    assert TransferFact.objects.count() == 4


@pytest.fixture
def town(chatellerault):
    with in_authority(chatellerault):
        yield make_town()


def test_the_date_is_the_day_in_paris(town, chatellerault):
    with in_authority(chatellerault):
        listing = chairs_listing(town, quantity=2)
        transfer = give(town, listing, 2)
        # 23:30 UTC on 31 December is already 1 January in Paris.
        Transfer.objects.filter(pk=transfer.pk).update(
            created_at=datetime(2025, 12, 31, 23, 30, tzinfo=UTC))
        fact = record_transfer_fact(transfer.pk)
    assert fact is not None
    assert fact.date.isoformat() == "2026-01-01"
    # Recording twice rewrites the same row.
    with in_authority(chatellerault):
        record_transfer_fact(transfer.pk)
    assert TransferFact.objects.filter(authority=chatellerault).count() == 1


def test_recording_outside_an_authority_writes_nothing(town, chatellerault):
    with in_authority(chatellerault):
        transfer = give(town, chairs_listing(town, quantity=1), 1)
    with schema_context("public"):
        assert record_transfer_fact(transfer.pk) is None
    assert not TransferFact.objects.exists()


def run(*args) -> list[str]:
    out = io.StringIO()
    call_command("rebuild_facts", *args, stdout=out)
    return out.getvalue().splitlines()


def test_the_command_reports_each_authority_and_the_total(
        chatellerault, grand_chatellerault, transfers):
    assert run("--authority", "chatellerault") == [
        "chatellerault: 3 created, 0 updated, 0 deleted, 0 unchanged",
        "total: 3 created, 0 updated, 0 deleted, 0 unchanged"]
    lines = run()
    assert "chatellerault: 0 created, 0 updated, 0 deleted, 3 unchanged" in lines
    assert "grand-chatellerault: 0 created, 0 updated, 0 deleted, 0 unchanged" in lines
    assert not any(line.startswith("public") for line in lines)
    assert lines[-1] == "total: 0 created, 0 updated, 0 deleted, 3 unchanged"
    with pytest.raises(CommandError):
        run("--authority", "nowhere")


def test_the_statistics_rebuild_their_facts_through_the_listings(chatellerault, transfers):
    """analytics.facts.rebuild_facts (factor overrides, restores) reaches this routine
    through the source the listings app registers (analytics.sources)."""
    assert analytics_facts.rebuild_facts(chatellerault) == {
        "created": 3, "updated": 0, "deleted": 0, "unchanged": 0}
    assert set(facts_of(chatellerault)) == {transfer.pk for transfer in transfers}


def test_one_rebuild_recomputes_the_facts_and_the_catalogue(chatellerault, transfers):
    with in_authority(chatellerault):
        shared = published_listing(title="Armoire partagée")
        Listing.objects.filter(pk=shared.pk).update(visibility=Visibility.SHARED)
    assert rebuild_projections(chatellerault) == {
        "facts": {"created": 3, "updated": 0, "deleted": 0, "unchanged": 0},
        "catalogue": {"created": 1, "updated": 0, "deleted": 0, "unchanged": 0}}
    assert list(CatalogueEntry.objects.filter(authority=chatellerault).values_list(
        "listing_id", flat=True)) == [shared.pk]
    assert rebuild_projections(chatellerault) == {
        "facts": {**NOTHING, "unchanged": 3}, "catalogue": {**NOTHING, "unchanged": 1}}
