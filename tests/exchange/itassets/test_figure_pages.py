"""The IT register's figures where people read them (issue 19): the moderators' report
(« Informatique (réemploi du matériel) ») and its CSV, XLSX and PDF, the « Loi AGEC »
page's décret n° 2023-266 share (from the register), the API's /stats/it/; and
« Mon matériel informatique », where a holder sees their own serial numbers and nobody
else's."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from tests.accounts.factories import agent, finance, it_staff, moderator
from tests.conftest import client_for, in_authority
from tests.exchange.itassets.batch_world import pdf_text
from tests.exchange.itassets.factories import asset
from tests.exchange.itassets.test_figures import association, ten_laptops_of_2025
from tests.exchange.listings.test_api import API, api

pytestmark = pytest.mark.django_db
__all__ = ["association"]  # the fixture, used by the tests below

YEAR_2025 = {"period": "year", "year": 2025}


@pytest.fixture
def people(chatellerault, association):
    """Châtellerault's ten laptops of 2025 (6 second life, 3 donated, 1 recycled) and
    who asks."""
    with in_authority(chatellerault):
        staff = it_staff(email="informatique@chatellerault.example")
        ten_laptops_of_2025(staff, association)
        return {"staff": staff, "moderator": moderator(email="mod.it@chatellerault.example"),
                "agent": agent(email="agent.it@chatellerault.example"),
                "finance": finance(email="finance.it@chatellerault.example")}


def test_the_report_shows_9_reused_out_of_10(people, chatellerault):
    client = client_for(chatellerault, people["moderator"])
    html = client.get(reverse("statistics:moderation_report"), YEAR_2025).content.decode()
    assert "Informatique (réemploi du matériel)" in html
    assert 'id="it-retired">10<' in html
    assert 'id="it-reused">9 sur 10<' in html
    assert 'id="it-share" data-value="90.0"' in html
    assert 'id="it-second-life">6<' in html and 'id="it-donated">3<' in html
    assert 'id="it-recycled">1<' in html
    assert 'id="it-co2e" data-value="1638.000"' in html
    assert '<tr data-kind="computer"><td>Ordinateur</td>' in html
    assert "LAP0001" not in html  # counts, never a serial number
    # Another year of the same authority: nothing retired through the register.
    other = client.get(reverse("statistics:moderation_report"),
                       {"period": "year", "year": 2024}).content.decode()
    assert 'id="it-none"' in other


def test_exports_carry_the_same_figures(people, chatellerault):
    client = client_for(chatellerault, people["moderator"])
    response = client.get(reverse("statistics:moderation_report_csv"),
                          {**YEAR_2025, "kind": "it"})
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.content.decode().lstrip("\ufeff")),
                               delimiter=";"))
    assert [row["item_type"] for row in rows] == ["computer", "total"]
    total = rows[-1]
    assert (total["retired"], total["second_life"], total["donated"], total["recycled"],
            total["reused"], total["reuse_share_percent"], total["co2e_avoided_kg"]) == (
        "10", "6", "3", "1", "9", "90,0", "1638,000")
    workbook = load_workbook(io.BytesIO(client.get(
        reverse("statistics:moderation_report_xlsx"), YEAR_2025).content))
    sheet = workbook["Informatique"]
    header = [cell.value for cell in sheet[1]]
    last = dict(zip(header, [cell.value for cell in sheet[sheet.max_row]], strict=True))
    assert (last["Type de matériel"], last["Réformés"], last["Réemployés"],
            last["Part réemployée (%)"]) == ("Total", 10, 9, 90.0)
    text = pdf_text(client.get(reverse("statistics:moderation_report_pdf"),
                               YEAR_2025).content)
    assert "Informatique (réemploi du matériel)" in text and "9 sur 10" in text
    assert "90,0 %" in text


def test_the_agec_page_takes_the_share_from_the_register(people, chatellerault):
    html = client_for(chatellerault, people["finance"]).get(
        reverse("statistics:agec_report"), {"year": 2025}).content.decode()
    assert 'data-source="register"' in html
    assert 'id="it-retired">10<' in html and 'id="it-sent">9<' in html
    assert 'id="it-ratio">90,0 %' in html


def test_the_api_gives_the_year(people, chatellerault, grand_chatellerault):
    response = api(chatellerault, people["staff"]).get(f"{API}/stats/it/?year=2025")
    assert response.status_code == 200
    body = response.json()
    assert (body["year"], body["retired"], body["reused"], body["second_life"],
            body["donated"], body["recycled"], body["reuse_share_percent"],
            body["decree_target_percent"]) == (2025, 10, 9, 6, 3, 1, 90.0, 50)
    assert [row["kind"] for row in body["by_kind"]] == ["computer"]
    assert body["by_kind"][0]["weight_avoided_kg"] == 15.3
    empty = api(chatellerault, people["moderator"]).get(f"{API}/stats/it/?year=2024").json()
    assert (empty["retired"], empty["reuse_share_percent"]) == (0, None)
    bad = api(chatellerault, people["moderator"]).get(f"{API}/stats/it/?year=12")
    assert bad.status_code == 400 and bad["Content-Type"] == "application/problem+json"
    refused = api(chatellerault, people["agent"]).get(f"{API}/stats/it/?year=2025")
    assert refused.status_code == 403
    assert refused["Content-Type"] == "application/problem+json"
    # Grand Châtellerault's moderator reads Grand Châtellerault's register: none of it.
    with in_authority(grand_chatellerault):
        theirs = moderator(email="mod.it@grand-chatellerault.example")
    other = api(grand_chatellerault, theirs).get(f"{API}/stats/it/?year=2025").json()
    assert (other["retired"], other["by_kind"]) == (0, [])


def test_an_agent_sees_the_equipment_they_hold(chatellerault, django_assert_max_num_queries):
    with in_authority(chatellerault):
        staff = it_staff()
        camille, dominique = agent(email="camille@chatellerault.example"), agent(
            email="dominique@chatellerault.example")
        for n in range(12):
            asset(staff, serial_number=f"CAM{n:03d}", holder_user=camille)
        asset(staff, serial_number="DOM001", kind="phone", holder_user=dominique)
        asset(staff, serial_number="NOBODY1")
    page = reverse("itassets:my_assets")
    mine = client_for(chatellerault, camille)
    with django_assert_max_num_queries(12):
        html = mine.get(page).content.decode()
    assert all(f"CAM{n:03d}" in html for n in range(12))
    assert "DOM001" not in html and "NOBODY1" not in html
    theirs = client_for(chatellerault, dominique).get(page).content.decode()
    assert "DOM001" in theirs and "CAM000" not in theirs
    # The account page links to it only for who holds something.
    profile = reverse("accounts:profile")
    assert 'id="my-itassets-link"' in mine.get(profile).content.decode()
    with in_authority(chatellerault):
        nobody = agent(email="sans.materiel@chatellerault.example")
    bare = client_for(chatellerault, nobody)
    assert 'id="my-itassets-link"' not in bare.get(profile).content.decode()
    assert 'id="my-itassets-none"' in bare.get(page).content.decode()


def test_the_page_of_a_few_assets_costs_what_a_dozen_do(chatellerault):
    """Query count constant in the number of assets held (holders joined)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with in_authority(chatellerault):
        staff = it_staff()
        holder = agent(email="camille@chatellerault.example")
        asset(staff, serial_number="ONE001", holder_user=holder)
    client = client_for(chatellerault, holder)
    page = reverse("itassets:my_assets")
    client.get(page)
    counts = []
    for extra in (0, 10):
        with in_authority(chatellerault):
            for n in range(extra):
                asset(staff, serial_number=f"MORE{n:03d}", holder_user=holder,
                      holder_site=None, purchase_date=date(2021, 1, 1))
        with CaptureQueriesContext(connection) as queries:
            assert client.get(page).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_the_schema_documents_the_route(chatellerault):
    schema = api(chatellerault).get(f"{API}/schema/?format=json").json()
    operation = schema["paths"]["/api/v1/stats/it/"]["get"]
    assert set(operation["responses"]) >= {"200", "400", "401", "403"}
    assert operation["parameters"][0]["name"] == "year"
    fields = schema["components"]["schemas"]["ITFigures"]["properties"]
    assert {"retired", "reused", "reuse_share_percent", "co2e_avoided_kg",
            "by_kind"} <= set(fields)
