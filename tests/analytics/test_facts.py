"""Statistics facts (issue 5, items 1 and 2): written after commit by close_listing,
computed from the reference factors (or the authority's overrides), no personal data."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import timezone

from analytics.facts import OVERRIDE_SUFFIX, factors_for
from analytics.models import REFERENCE_FACTORS_VERSION, FactorOverride, TransferFact
from exchange.listings.recipients import Recipient
from tests.analytics.factories import (
    FactorOverrideFactory,
    chairs_listing,
    give,
    make_town,
    reference_figures,
)
from tests.conftest import in_authority

OVERRIDDEN_VERSION = REFERENCE_FACTORS_VERSION + OVERRIDE_SUFFIX

pytestmark = pytest.mark.django_db

CHAIR = "chaise-visiteur"


@pytest.fixture
def town(chatellerault):
    with in_authority(chatellerault):
        yield make_town()


def test_closing_a_listing_writes_its_fact_after_commit(
        town, chatellerault, django_capture_on_commit_callbacks):
    weight, co2e = reference_figures(CHAIR)
    with in_authority(chatellerault):
        listing = chairs_listing(town, quantity=10, value="300.00")
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            transfer = give(town, listing, 6)
        assert not TransferFact.objects.filter(authority=chatellerault).exists()
        for callback in callbacks:
            callback()
    fact = TransferFact.objects.get(authority=chatellerault, transfer_id=transfer.pk)
    assert fact.listing_id == listing.pk
    assert fact.date == timezone.localdate()
    assert fact.family == "Mobilier"
    assert fact.category == "Chaise visiteur / empilable"
    assert fact.reference_code == CHAIR
    assert fact.destination == "same_authority"
    assert fact.quantity == 6
    assert fact.value_eur == Decimal("180.00")
    assert fact.weight_kg == 6 * weight == Decimal("36")
    assert fact.weight_is_estimated is True
    assert fact.weight_avoided_kg == 6 * weight
    assert fact.co2e_avoided_kg == 6 * co2e == Decimal("111.6")
    assert fact.factors_version == REFERENCE_FACTORS_VERSION
    assert fact.giver_service == "Direction des écoles"
    assert fact.receiver_service == "Direction des sports"


@pytest.mark.parametrize(("reason", "extra", "destination", "reused"), [
    ("exchanged_other_authority", {"recipient": Recipient.named("Ville de Naintré")},
     "other_authority", True),
    ("given_to_partner", {"recipient": Recipient.named("Emmaüs Châtellerault")}, "partner", True),
    ("discarded", {}, "discarded", False),
    ("unavailable", {}, "unavailable", False),
    ("withdrawn", {}, "withdrawn", False),
])
def test_destinations_and_nothing_avoided_when_nothing_was_reused(
        town, chatellerault, django_capture_on_commit_callbacks, reason, extra, destination,
        reused):
    weight, co2e = reference_figures(CHAIR)
    with in_authority(chatellerault):
        listing = chairs_listing(town, quantity=4, value="100.00")
        with django_capture_on_commit_callbacks(execute=True):
            transfer = give(town, listing, 4, reason=reason, **extra)
    fact = TransferFact.objects.get(authority=chatellerault, transfer_id=transfer.pk)
    assert fact.destination == destination
    assert fact.receiver_service == ""
    assert fact.weight_kg == 4 * weight
    assert fact.value_eur == Decimal("100.00")
    assert fact.weight_avoided_kg == (4 * weight if reused else 0)
    assert fact.co2e_avoided_kg == (4 * co2e if reused else 0)


def test_a_weighed_weight_beats_the_factor(town, chatellerault,
                                           django_capture_on_commit_callbacks):
    _weight, co2e = reference_figures(CHAIR)
    with in_authority(chatellerault):
        listing = chairs_listing(town, quantity=5)
        with django_capture_on_commit_callbacks(execute=True):
            transfer = give(town, listing, 5, weight_kg=Decimal("41.25"))
    fact = TransferFact.objects.get(transfer_id=transfer.pk, authority=chatellerault)
    assert fact.weight_is_estimated is False
    assert fact.weight_kg == fact.weight_avoided_kg == Decimal("41.25")
    assert fact.co2e_avoided_kg == 5 * co2e


def test_factors_come_from_the_reference_unless_the_authority_overrides_them(
        chatellerault, grand_chatellerault):
    weight, co2e = reference_figures(CHAIR)
    assert factors_for(chatellerault, CHAIR) == (weight, co2e, REFERENCE_FACTORS_VERSION)
    FactorOverrideFactory(authority=chatellerault, reference_code=CHAIR,
                          co2e_kg_per_item=Decimal("25"), source="Fiche FDES 2025")
    assert factors_for(chatellerault, CHAIR) == (weight, Decimal("25"), OVERRIDDEN_VERSION)
    FactorOverride.objects.filter(authority=chatellerault).update(weight_kg=Decimal("7.5"))
    assert factors_for(chatellerault, CHAIR) == (Decimal("7.5"), Decimal("25"),
                                                 OVERRIDDEN_VERSION)
    assert factors_for(grand_chatellerault, CHAIR) == (weight, co2e, REFERENCE_FACTORS_VERSION)
    assert factors_for(chatellerault, "no-such-item") == (0, 0, REFERENCE_FACTORS_VERSION)


def test_an_override_applies_to_the_next_fact(town, chatellerault,
                                              django_capture_on_commit_callbacks):
    FactorOverrideFactory(authority=chatellerault, reference_code=CHAIR,
                          weight_kg=Decimal("8"), co2e_kg_per_item=Decimal("20"))
    with in_authority(chatellerault):
        listing = chairs_listing(town, quantity=3)
        with django_capture_on_commit_callbacks(execute=True):
            transfer = give(town, listing, 3)
    fact = TransferFact.objects.get(transfer_id=transfer.pk, authority=chatellerault)
    assert (fact.weight_kg, fact.co2e_avoided_kg) == (Decimal("24"), Decimal("60"))
    assert fact.factors_version == OVERRIDDEN_VERSION


def test_a_fact_carries_no_personal_data(town, chatellerault,
                                         django_capture_on_commit_callbacks):
    people = [town["poster"], town["recipient"], town["moderator"]]
    with in_authority(chatellerault):
        listing = chairs_listing(town, quantity=3, title="Chaises de Camille Martin",
                                 description="Appeler julien.bernard@example.org")
        with django_capture_on_commit_callbacks(execute=True):
            give(town, listing, 1)
            give(town, listing, 1, reason="given_to_partner",
                 recipient=Recipient.named("M. Julien Bernard (Emmaüs)"))
            services_transfer = give(town, listing, 1, reason="exchanged_other_authority",
                                     recipient=Recipient.named("Nadia Moreau, Naintré"))
    facts = list(TransferFact.objects.filter(authority=chatellerault))
    assert len(facts) == 3
    assert services_transfer.pk in {fact.transfer_id for fact in facts}
    forbidden = set()
    for person in people:
        forbidden |= {person.email.lower(), person.first_name.lower(),
                      person.last_name.lower(), str(person).lower()}
    forbidden |= {"@", "emmaüs", "naintré"}
    for fact in facts:
        for field in TransferFact._meta.concrete_fields:
            value = str(getattr(fact, field.attname)).lower()
            for word in forbidden:
                assert word not in value, (field.name, value)
