"""Statistics endpoints of the API (issue 5, item 6): `co2e_avoided_kg` in the summary,
the monthly time series and the CSV export — moderators only, one authority's facts."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest

from analytics.facts import rebuild_facts
from analytics.models import REFERENCE_FACTORS_VERSION, TransferFact
from exchange.listings.recipients import Recipient
from tests.analytics.factories import (
    chairs_listing,
    date_transfer,
    give,
    make_town,
    reference_figures,
)
from tests.conftest import host_of, in_authority
from tests.exchange.listings.test_api import API, api

pytestmark = pytest.mark.django_db

WEIGHT, CO2E = reference_figures("chaise-visiteur")



@pytest.fixture
def town(chatellerault):
    """Châtellerault in the first quarter of 2026: in January 6 chairs given (180 €) and
    3 thrown away, 2 weighed chairs given to a partner; nothing in February; in March
    4 chairs given to another authority. Facts rebuilt from the schema."""
    with in_authority(chatellerault):
        town = make_town()
        first = chairs_listing(town, quantity=10, value="300.00")
        second = chairs_listing(town, quantity=2, value="45.50")
        third = chairs_listing(town, quantity=4, value="99.99")
        moves = [
            (give(town, first, 6), (2026, 1, 5)),
            (give(town, first, 3, reason="discarded"), (2026, 1, 20)),
            (give(town, second, 2, reason="given_to_partner", recipient=Recipient.named("Emmaüs"),
                  weight_kg=Decimal("13.5")), (2026, 1, 31)),
            (give(town, third, 4, reason="exchanged_other_authority",
                  recipient=Recipient.named("Ville de Naintré")), (2026, 3, 15)),
            (give(town, first, 1, reason="withdrawn"), (2026, 4, 1)),
        ]
        for transfer, day in moves:
            date_transfer(transfer, *day)
    rebuild_facts(chatellerault)
    return town


def test_summary_gains_the_co2e_of_the_period(town, chatellerault):
    body = api(chatellerault, town["moderator"]).get(
        f"{API}/stats/summary/?from=2026-01-01&to=2026-03-31").json()
    assert body["co2e_avoided_kg"] == pytest.approx(float((6 + 2 + 4) * CO2E))
    assert {"from", "to", "listings_posted", "listings_exchanged", "value_exchanged_eur",
            "weight_avoided_kg", "by_status"} < set(body)
    assert api(chatellerault, town["moderator"]).get(
        f"{API}/stats/summary/?from=2020-01-01&to=2020-12-31").json()["co2e_avoided_kg"] == 0


def test_stats_period(town, chatellerault):
    client = api(chatellerault, town["moderator"])
    figures = client.get(f"{API}/stats/summary/?from=2020-01-01&to=2020-12-31")
    assert figures.status_code == 200
    assert figures.json()["from"] == "2020-01-01"
    assert figures.json()["listings_posted"] == 0
    assert figures.json()["value_exchanged_eur"] == 0
    for query in ("from=2026-13-01", "to=yesterday", "from=2026-03-01&to=2026-02-01"):
        response = client.get(f"{API}/stats/summary/?{query}")
        assert response.status_code == 400
        assert response.json()


def test_timeseries_per_month_with_empty_months(town, chatellerault):
    response = api(chatellerault, town["moderator"]).get(
        f"{API}/stats/timeseries/?from=2026-01-01&to=2026-04-30&granularity=month")
    assert response.status_code == 200
    body = response.json()
    assert (body["from"], body["to"], body["granularity"]) == ("2026-01-01", "2026-04-30",
                                                               "month")
    assert body["factors_versions"] == [REFERENCE_FACTORS_VERSION]
    assert body["results"] == [
        {"month": "2026-01", "listings_exchanged": 2,
         "value_exchanged_eur": pytest.approx(180.00 + 45.50),
         "weight_avoided_kg": pytest.approx(float(6 * WEIGHT + Decimal("13.5"))),
         "co2e_avoided_kg": pytest.approx(float(8 * CO2E))},
        {"month": "2026-02", "listings_exchanged": 0, "value_exchanged_eur": 0,
         "weight_avoided_kg": 0, "co2e_avoided_kg": 0},
        {"month": "2026-03", "listings_exchanged": 1, "value_exchanged_eur": 99.99,
         "weight_avoided_kg": pytest.approx(float(4 * WEIGHT)),
         "co2e_avoided_kg": pytest.approx(float(4 * CO2E))},
        {"month": "2026-04", "listings_exchanged": 0, "value_exchanged_eur": 0,
         "weight_avoided_kg": 0, "co2e_avoided_kg": 0},
    ]


def test_timeseries_defaults_to_twelve_months(town, chatellerault):
    body = api(chatellerault, town["moderator"]).get(
        f"{API}/stats/timeseries/?to=2026-03-10").json()
    assert body["from"] == "2025-04-01"
    assert [row["month"] for row in body["results"]][::11] == ["2025-04", "2026-03"]
    assert len(body["results"]) == 12


def parse(response) -> list[list[str]]:
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:]), delimiter=";"))


def test_csv_export_of_the_period(town, chatellerault):
    response = api(chatellerault, town["moderator"]).get(
        f"{API}/stats/export.csv?from=2026-01-01&to=2026-01-31")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    header, *rows = parse(response)
    assert header[:3] == ["date", "transfer_id", "listing_id"]
    assert len(rows) == 3
    records = [dict(zip(header, row, strict=True)) for row in rows]
    assert [record["date"] for record in records] == ["2026-01-05", "2026-01-20",
                                                      "2026-01-31"]
    given, thrown, weighed = records
    assert given["destination"] == "same_authority"
    assert given["category"] == "Chaise visiteur / empilable"
    assert given["giver_service"] == "Direction des écoles"
    assert given["receiver_service"] == "Direction des sports"
    assert given["quantity"] == "6"
    assert given["value_eur"] == "180,00"
    assert Decimal(given["weight_avoided_kg"].replace(",", ".")) == 6 * WEIGHT
    assert Decimal(given["co2e_avoided_kg"].replace(",", ".")) == 6 * CO2E
    assert given["weight_is_estimated"] == "1"
    assert thrown["destination"] == "discarded"
    assert thrown["co2e_avoided_kg"] == "0,000"
    assert (weighed["weight_kg"], weighed["weight_is_estimated"]) == ("13,500", "0")
    assert "Emmaüs" not in response.content.decode("utf-8")


def test_an_empty_period_gives_the_header_only(town, chatellerault):
    rows = parse(api(chatellerault, town["moderator"]).get(
        f"{API}/stats/export.csv?from=2020-01-01&to=2020-01-31"))
    assert len(rows) == 1


@pytest.mark.parametrize("path", ["/stats/timeseries/", "/stats/export.csv",
                                  "/stats/summary/"])
def test_agents_get_403_and_anonymous_401(town, chatellerault, path):
    assert api(chatellerault, town["poster"]).get(API + path).status_code == 403
    assert api(chatellerault).get(API + path).status_code == 401


@pytest.mark.parametrize("query", [
    "from=2026-13-01", "to=yesterday", "from=2026-03-01&to=2026-02-01",
    "granularity=week", "from=2000-01-01&to=2026-01-01",
])
def test_bad_queries_are_400(town, chatellerault, query):
    client = api(chatellerault, town["moderator"])
    response = client.get(f"{API}/stats/timeseries/?{query}")
    assert response.status_code == 400
    assert response.json()
    if "granularity" not in query and "2000" not in query:
        assert client.get(f"{API}/stats/export.csv?{query}").status_code == 400


def test_an_authority_sees_only_its_own_facts(town, chatellerault, grand_chatellerault):
    with in_authority(grand_chatellerault):
        other = make_town()
        moved = give(other, chairs_listing(other, quantity=9, value="900"), 9)
        date_transfer(moved, 2026, 1, 10)
    rebuild_facts(grand_chatellerault)
    assert TransferFact.objects.filter(authority=grand_chatellerault).count() == 1
    client = api(chatellerault, town["moderator"])
    january = client.get(f"{API}/stats/timeseries/?from=2026-01-01&to=2026-01-31").json()
    assert january["results"][0]["listings_exchanged"] == 2
    assert january["results"][0]["value_exchanged_eur"] == pytest.approx(225.50)
    summary = client.get(f"{API}/stats/summary/?from=2026-01-01&to=2026-01-31").json()
    assert summary["co2e_avoided_kg"] == pytest.approx(float(8 * CO2E))
    _header, *rows = parse(client.get(f"{API}/stats/export.csv?from=2026-01-01&to=2026-01-31"))
    assert len(rows) == 3
    assert "900,00" not in {cell for row in rows for cell in row}
    # Châtellerault's moderator (and token) is nobody on Grand Châtellerault.
    client.defaults["HTTP_HOST"] = host_of(grand_chatellerault)
    assert client.get(f"{API}/stats/timeseries/").status_code == 401
    theirs = api(grand_chatellerault, other["moderator"]).get(
        f"{API}/stats/timeseries/?from=2026-01-01&to=2026-01-31").json()
    assert theirs["results"][0]["value_exchanged_eur"] == 900


def test_schema_documents_the_statistics_endpoints(chatellerault):
    schema = api(chatellerault).get(f"{API}/schema/?format=json").json()
    assert {"/api/v1/stats/timeseries/", "/api/v1/stats/export.csv"} <= set(schema["paths"])
    summary = schema["components"]["schemas"]["StatsSummary"]
    assert "co2e_avoided_kg" in summary["properties"]
