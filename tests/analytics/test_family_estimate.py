"""No zero-kg transfers (issue 16): a transfer whose item type has no reference figure —
a listing posted in a family itself (« Mobilier »), or an item type without (or with an
unknown) reference item — gets its family's average weight and CO2e, flagged
`family_estimate`; the moderators' report counts those facts and links to « Facteurs ».
Averages are computed here straight from the CSV, not through the code under test."""

from __future__ import annotations

import csv
import io
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.urls import reverse
from pypdf import PdfReader

from analytics.facts import FAMILY_SUFFIX
from analytics.models import REFERENCE_FACTORS_VERSION, TransferFact
from exchange.listings.models import Category
from exchange.listings.projections import rebuild_facts
from tests.analytics.factories import (
    REFERENCE_CSV,
    FactorOverrideFactory,
    chairs_listing,
    give,
    make_town,
    reference_figures,
)
from tests.conftest import client_for, in_authority
from tests.exchange.listings.factories import published_listing

pytestmark = pytest.mark.django_db

KG = Decimal("0.001")
CHAIR = "chaise-visiteur"


def family_average(family: str, override: dict[str, tuple[Decimal, Decimal]] | None = None
                   ) -> tuple[Decimal, Decimal]:
    """(average weight, average CO2e) of `family`'s rows of the CSV, rounded to the gram;
    `override` replaces some codes' figures."""
    override = override or {}
    with REFERENCE_CSV.open(encoding="utf-8", newline="") as handle:
        rows = [row for row in csv.DictReader(handle) if row["family_fr"] == family]
    figures = [override.get(row["code"], (Decimal(row["typical_weight_kg"]),
                                          Decimal(row["co2e_kg_per_item"]))) for row in rows]
    count = len(figures)
    return (
        (sum(weight for weight, _ in figures) / count).quantize(KG, ROUND_HALF_UP),
        (sum(co2e for _, co2e in figures) / count).quantize(KG, ROUND_HALF_UP))


@pytest.fixture
def town(chatellerault, django_capture_on_commit_callbacks):
    with in_authority(chatellerault):
        town = make_town()
        town["furniture"] = Category.objects.get(name="Mobilier", parent=None)
        yield town


def post_and_give(town, category, quantity: int, callbacks, **data):
    """A listing of `quantity` items in `category`, all given to the sports service
    (facts written: after-commit callbacks run)."""
    listing = published_listing(poster=town["poster"], approver=town["moderator"],
                                category=category, quantity=quantity,
                                estimated_value=Decimal("100.00"), site=town["site"])
    with callbacks(execute=True):
        return give(town, listing, quantity, **data)


def test_a_transfer_in_a_family_gets_the_family_average_and_is_flagged(
        town, chatellerault, django_capture_on_commit_callbacks):
    weight, co2e = family_average("Mobilier")
    assert weight > 0 and co2e > 0
    with in_authority(chatellerault):
        transfer = post_and_give(town, town["furniture"], 4, django_capture_on_commit_callbacks)
    fact = TransferFact.objects.get(authority=chatellerault, transfer_id=transfer.pk)
    assert fact.family == "" and fact.category == "Mobilier" and fact.reference_code == ""
    assert fact.family_estimate is True
    assert fact.weight_kg == fact.weight_avoided_kg == 4 * weight
    assert fact.co2e_avoided_kg == 4 * co2e
    assert fact.factors_version == REFERENCE_FACTORS_VERSION + FAMILY_SUFFIX


@pytest.mark.parametrize("reference_code", ["", "code-retire-du-referentiel"])
def test_an_item_type_without_a_known_reference_item_gets_its_family_average(
        town, chatellerault, django_capture_on_commit_callbacks, reference_code):
    weight, co2e = family_average("Mobilier")
    with in_authority(chatellerault):
        old_chairs = Category.objects.create(name="Chaise d'amphithéâtre",
                                             parent=town["furniture"],
                                             reference_code=reference_code)
        transfer = post_and_give(town, old_chairs, 3, django_capture_on_commit_callbacks)
    fact = TransferFact.objects.get(authority=chatellerault, transfer_id=transfer.pk)
    assert fact.family == "Mobilier"
    assert fact.family_estimate is True
    assert (fact.weight_kg, fact.co2e_avoided_kg) == (3 * weight, 3 * co2e)


def test_an_item_with_a_reference_figure_is_not_flagged(
        town, chatellerault, django_capture_on_commit_callbacks):
    weight, co2e = reference_figures(CHAIR)
    with in_authority(chatellerault):
        transfer = post_and_give(town, town["chairs"], 2, django_capture_on_commit_callbacks)
    fact = TransferFact.objects.get(authority=chatellerault, transfer_id=transfer.pk)
    assert fact.family_estimate is False
    assert (fact.weight_kg, fact.co2e_avoided_kg) == (2 * weight, 2 * co2e)
    assert fact.factors_version == REFERENCE_FACTORS_VERSION


def test_the_family_average_follows_the_authoritys_overrides(
        town, chatellerault, grand_chatellerault, django_capture_on_commit_callbacks):
    FactorOverrideFactory(authority=chatellerault, weight_kg=Decimal("20"))
    _chair_weight, chair_co2e = reference_figures(CHAIR)
    weight, co2e = family_average("Mobilier", {CHAIR: (Decimal("20"), chair_co2e)})
    assert weight != family_average("Mobilier")[0]
    with in_authority(chatellerault):
        transfer = post_and_give(town, town["furniture"], 1, django_capture_on_commit_callbacks)
    fact = TransferFact.objects.get(authority=chatellerault, transfer_id=transfer.pk)
    assert (fact.weight_kg, fact.co2e_avoided_kg) == (weight, co2e)


def test_the_rebuild_recomputes_old_zero_kg_facts_and_totals_no_longer_undercount(
        town, chatellerault, django_capture_on_commit_callbacks):
    chair_weight, chair_co2e = reference_figures(CHAIR)
    weight, co2e = family_average("Mobilier")
    with in_authority(chatellerault):
        in_family = post_and_give(town, town["furniture"], 4,
                                  django_capture_on_commit_callbacks)
        chairs = chairs_listing(town, quantity=2, value="60.00")
        with django_capture_on_commit_callbacks(execute=True):
            give(town, chairs, 2)
    # A fact written before the fix: 0 kg, not flagged.
    TransferFact.objects.filter(authority=chatellerault, transfer_id=in_family.pk).update(
        weight_kg=0, weight_avoided_kg=0, co2e_avoided_kg=0, family_estimate=False,
        factors_version=REFERENCE_FACTORS_VERSION)
    counts = rebuild_facts(chatellerault)
    assert (counts["created"], counts["updated"], counts["deleted"]) == (0, 1, 0)
    fact = TransferFact.objects.get(authority=chatellerault, transfer_id=in_family.pk)
    assert fact.family_estimate is True and fact.weight_avoided_kg == 4 * weight

    response = client_for(chatellerault, town["moderator"]).get(
        reverse("statistics:moderation_report"))
    html = response.content.decode()
    total_weight = 2 * chair_weight + 4 * weight
    total_co2e = 2 * chair_co2e + 4 * co2e
    assert f'id="total-weight" data-value="{total_weight}"' in html
    assert f'id="total-co2e" data-value="{total_co2e}"' in html
    # The second run finds nothing to change.
    assert rebuild_facts(chatellerault)["updated"] == 0


def test_the_report_counts_estimated_figures_and_links_to_the_factors(
        town, chatellerault, django_capture_on_commit_callbacks):
    with in_authority(chatellerault):
        post_and_give(town, town["furniture"], 1, django_capture_on_commit_callbacks)
        post_and_give(town, town["furniture"], 2, django_capture_on_commit_callbacks,
                      reason="discarded")
        post_and_give(town, town["chairs"], 3, django_capture_on_commit_callbacks)
    client = client_for(chatellerault, town["moderator"])
    html = client.get(reverse("statistics:moderation_report")).content.decode()
    assert 'id="family-estimates" data-count="2"' in html
    assert ("2 transferts ont leur poids et leur CO2e estimés d'après la moyenne de leur "
            "famille") in html.replace("&#x27;", "'")
    assert f'href="{reverse("statistics:factor_overrides")}" id="refine-factors"' in html

    export = client.get(reverse("statistics:moderation_report_csv"),
                        {"kind": "transfers"}).content.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(export), delimiter=";"))
    assert sorted(row["family_estimate"] for row in rows) == ["0", "1", "1"]

    pdf = client.get(reverse("statistics:moderation_report_pdf")).content
    text = " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
                    .split())
    assert "2 transfert(s) : poids et CO2e estimés d'après la moyenne de leur famille" in text


def test_no_estimate_no_mention(town, chatellerault, django_capture_on_commit_callbacks):
    with in_authority(chatellerault):
        post_and_give(town, town["chairs"], 3, django_capture_on_commit_callbacks)
    client = client_for(chatellerault, town["moderator"])
    html = client.get(reverse("statistics:moderation_report")).content.decode()
    assert 'id="total-exchanged">1<' in html
    assert 'id="family-estimates"' not in html
    pdf = client.get(reverse("statistics:moderation_report_pdf")).content
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "Facteurs de référence utilisés" in text and "moyenne de leur" not in text
