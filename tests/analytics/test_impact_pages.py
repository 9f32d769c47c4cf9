"""Factor overrides page (item 5), operator aggregates (item 6), public impact page
(item 7) and agents' own figures (item 8): figures checked, roles and isolation, and
no € ever reaching an agent — by page, export or API."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from analytics.facts import OVERRIDE_SUFFIX
from analytics.models import REFERENCE_FACTORS_VERSION, FactorOverride, StatsSettings, TransferFact
from exchange.listings.recipients import Recipient
from tests.accounts.factories import agent, authority_admin, moderator, operator
from tests.analytics.factories import (
    FactorOverrideFactory,
    TransferFactFactory,
    chairs_listing,
    give,
    make_town,
    reference_figures,
)
from tests.conftest import client_for, in_authority, verified_operator_client

OVERRIDDEN_VERSION = REFERENCE_FACTORS_VERSION + OVERRIDE_SUFFIX

pytestmark = pytest.mark.django_db

CHAIR = "chaise-visiteur"
EURO = re.compile(r"€|value_eur|montant|valeur|Valeur")


@pytest.fixture
def town(chatellerault, django_capture_on_commit_callbacks):
    """Châtellerault: the poster gives 6 chairs (300 € for 10) to the sports service and
    throws 4 away; a partner gets 5 chairs of another listing."""
    with in_authority(chatellerault):
        town = make_town()
        first = chairs_listing(town, quantity=10, value="300.00")
        second = chairs_listing(town, quantity=5, value="100.00")
        with django_capture_on_commit_callbacks(execute=True):
            give(town, first, 6)
            give(town, first, 4, reason="discarded")
            give(town, second, 5, reason="given_to_partner", recipient=Recipient.named("Emmaüs"))
    return town


# --- Factor overrides -------------------------------------------------------------------

def test_override_changes_the_figures_and_their_version(town, chatellerault,
                                                        django_capture_on_commit_callbacks):
    client = client_for(chatellerault, town["moderator"])
    page = reverse("statistics:factor_overrides")
    html = client.get(page).content.decode()
    assert f'data-code="{CHAIR}"' in html
    row = re.search(rf'data-code="{CHAIR}">(.*?)</tr>', html, re.S).group(1)
    assert f"<code>{REFERENCE_FACTORS_VERSION}</code>" in row
    # A figure without a source is refused, in French; nothing saved.
    response = client.post(page, {"reference_code": CHAIR, "weight_kg": "8",
                                  "co2e_kg_per_item": "", "source": ""})
    assert response.status_code == 400
    assert "Indiquez d’où vient votre chiffre" in response.content.decode()
    assert not FactorOverride.objects.filter(authority=chatellerault).exists()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(page, {"reference_code": CHAIR, "weight_kg": "8,5",
                                      "co2e_kg_per_item": "", "source": "pesée du CTM"})
    assert response.status_code == 302
    facts = TransferFact.objects.filter(authority=chatellerault, destination="same_authority")
    assert [(f.weight_avoided_kg, f.factors_version) for f in facts] == [
        (Decimal("51.000"), OVERRIDDEN_VERSION)]
    _weight, co2e = reference_figures(CHAIR)
    assert facts[0].co2e_avoided_kg == 6 * co2e  # the CO2e figure was left to the reference
    report = client.get(reverse("statistics:moderation_report")).content.decode()
    assert f"<code>{OVERRIDDEN_VERSION}</code>" in report
    html = client.get(page).content.decode()
    row = re.search(rf'data-code="{CHAIR}">(.*?)</tr>', html, re.S).group(1)
    assert f"<code>{OVERRIDDEN_VERSION}</code>" in row and "pesée du CTM" in row
    # Both figures empty: back to the reference.
    with django_capture_on_commit_callbacks(execute=True):
        client.post(page, {"reference_code": CHAIR, "weight_kg": "", "co2e_kg_per_item": "",
                           "source": ""})
    assert not FactorOverride.objects.filter(authority=chatellerault).exists()
    assert facts.get().factors_version == REFERENCE_FACTORS_VERSION


def test_unknown_reference_code_refused(town, chatellerault):
    response = client_for(chatellerault, town["moderator"]).post(
        reverse("statistics:factor_overrides"),
        {"reference_code": "licorne", "weight_kg": "1", "source": "x"})
    assert response.status_code == 400
    assert not FactorOverride.objects.exists()


def test_factor_page_roles(chatellerault, grand_chatellerault):
    with in_authority(chatellerault):
        plain = agent(email="plain.factors@chatellerault.example")
        admin = authority_admin(email="admin.factors@chatellerault.example")
    page = reverse("statistics:factor_overrides")
    assert client_for(chatellerault, plain).get(page).status_code == 403
    assert client_for(chatellerault, admin).get(page).status_code == 200
    assert client_for(chatellerault).get(page).status_code == 302
    # Overrides of one authority never show in another's page.
    FactorOverrideFactory(authority=chatellerault, reference_code=CHAIR,
                          weight_kg=Decimal("9.9"), source="Châtellerault seul")
    with in_authority(grand_chatellerault):
        other = moderator(email="mod.factors@grand-chatellerault.example")
    html = client_for(grand_chatellerault, other).get(page).content.decode()
    assert "Châtellerault seul" not in html


# --- Agents' own figures, and no € for agents -------------------------------------------

def test_agent_sees_own_figures_without_euros(town, chatellerault):
    weight, co2e = reference_figures(CHAIR)
    client = client_for(chatellerault, town["poster"])
    response = client.get(reverse("statistics:my_impact"))
    assert response.status_code == 200
    html = response.content.decode()
    assert re.search(r'id="given-quantity">(\d+)<', html).group(1) == "11"
    assert Decimal(re.search(r'id="given-weight" data-value="([^"]*)"', html).group(1)) == \
        11 * weight
    assert Decimal(re.search(r'id="given-co2e" data-value="([^"]*)"', html).group(1)) == \
        11 * co2e
    assert "€" not in html
    # The recipient's service received 6 chairs.
    html = client_for(chatellerault, town["recipient"]).get(
        reverse("statistics:my_impact")).content.decode()
    assert re.search(r'id="received-quantity">(\d+)<', html).group(1) == "6"
    assert re.search(r'id="given-quantity">(\d+)<', html).group(1) == "0"
    assert "€" not in html


def test_no_euro_reaches_an_agent(town, chatellerault):
    """Every statistics page, export and API endpoint refuses an agent; the pages an
    agent may open show no € figure of the statistics."""
    client = client_for(chatellerault, town["poster"])
    for name in ("moderation_report", "moderation_report_csv", "moderation_report_xlsx",
                 "moderation_report_pdf", "agec_report", "agec_csv", "weight_campaigns",
                 "factor_overrides", "stats_settings"):
        assert client.get(reverse(f"statistics:{name}")).status_code == 403, name
    for path in ("/api/v1/stats/summary/", "/api/v1/stats/timeseries/",
                 "/api/v1/stats/export.csv"):
        assert client.get(path).status_code == 403, path
    html = client.get(reverse("statistics:my_impact")).content.decode()
    assert not EURO.search(html)
    # The public impact page shows no € either.
    StatsSettings.objects.filter(authority=chatellerault).update(public_impact=True)
    public = client_for(None).get("/impact/").content.decode()
    assert "€" not in public


def test_agent_figures_isolated(town, chatellerault, grand_chatellerault):
    with in_authority(grand_chatellerault):
        other = agent(email="agent.impact@grand-chatellerault.example")
    html = client_for(grand_chatellerault, other).get(
        reverse("statistics:my_impact")).content.decode()
    assert re.search(r'id="given-quantity">(\d+)<', html).group(1) == "0"


# --- Operator aggregates -----------------------------------------------------------------

def test_operator_aggregates(town, chatellerault, grand_chatellerault):
    weight, _co2e = reference_figures(CHAIR)
    TransferFactFactory(authority=grand_chatellerault, value_eur=Decimal("50.00"))
    user = operator(email="op.stats@collectivrecup.example")
    client = verified_operator_client(user)
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/operator/impact/")
    assert response.status_code == 200
    html = response.content.decode()
    assert len([q for q in queries if "GROUPING SETS" in q["sql"]]) == 1
    assert Decimal(re.search(r'id="overall-value" data-value="([^"]*)"', html).group(1)) == \
        Decimal("180.00") + Decimal("100.00") + Decimal("50.00")
    assert re.search(r'id="overall-authorities">(\d+)<', html).group(1) == "2"
    kind = re.search(r'id="table-kind">(.*?)</table>', html, re.S).group(1)
    commune = re.search(r'data-key="commune">(.*?)</tr>', kind, re.S).group(1)
    assert 'data-value="280.00">280,00<' in commune
    assert f'data-value="{11 * weight:.3f}">' in commune
    epci = re.search(r'data-key="epci">(.*?)</tr>', kind, re.S).group(1)
    assert ">50,00<" in epci
    departement = re.search(r'data-key="86">(.*?)</tr>', html, re.S).group(1)
    assert ">330,00<" in departement
    # Never a transfer's details: no service, no category name.
    assert "Direction des sports" not in html and "Emmaüs" not in html
    # A year without facts.
    html = client.get("/operator/impact/" + "?year=2001").content.decode()
    assert re.search(r'id="overall-transfers">(\d+)<', html).group(1) == "0"
    assert client.get("/operator/impact/" + "?year=abc").status_code == 400


def test_operator_page_roles(chatellerault, town):
    # Not on an authority's host; not without the second factor; not for a moderator.
    from tests.conftest import client_for as plain_client

    user = operator(email="op2.stats@collectivrecup.example")
    response = plain_client(None, user).get("/operator/impact/")
    assert response.status_code == 302 and "verify" in response["Location"]
    assert client_for(chatellerault, town["moderator"]).get("/operator/impact/").status_code \
        == 404


# --- Public impact page -----------------------------------------------------------------

def test_public_impact_counts_only_opted_in(town, chatellerault, grand_chatellerault):
    weight, co2e = reference_figures(CHAIR)
    TransferFactFactory(authority=grand_chatellerault, value_eur=Decimal("50.00"))
    page = "/impact/"
    html = client_for(None).get(page).content.decode()
    assert re.search(r'id="impact-authorities">(\d+)<', html).group(1) == "0"
    StatsSettings.objects.filter(authority=chatellerault).update(public_impact=True)
    html = client_for(None).get(page).content.decode()
    assert re.search(r'id="impact-authorities">(\d+)<', html).group(1) == "1"
    assert Decimal(re.search(r'id="impact-tonnes" data-kg="([^"]*)"', html).group(1)) == \
        11 * weight
    assert Decimal(re.search(r'id="impact-co2e" data-kg="([^"]*)"', html).group(1)) == \
        11 * co2e
    assert "Ville de Châtellerault" in html
    assert "Grand Châtellerault" not in html
    assert "1 collectivité" in html
