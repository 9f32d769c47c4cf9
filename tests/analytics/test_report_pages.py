"""The moderators' report page and its CSV / XLSX exports (issue 5, item 4): figures
checked against values computed here, agents refused, one authority's facts only."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from analytics.models import REFERENCE_FACTORS_VERSION, TransferFact
from exchange.listings.models import Listing
from exchange.listings.recipients import Recipient
from tests.analytics.factories import (
    TransferFactFactory,
    chairs_listing,
    give,
    make_town,
    reference_figures,
)
from tests.conftest import client_for, host_of, in_authority
from tests.exchange.listings.factories import published_listing

pytestmark = pytest.mark.django_db

CHAIR = "chaise-visiteur"
SECRET = "Famille secrète du Grand Châtellerault"


def url(name: str) -> str:
    return reverse(f"statistics:{name}")


def dd(html: str, element_id: str, attribute: str | None = None) -> str:
    """The text (or an attribute) of the element of id `element_id`."""
    if attribute:
        match = re.search(rf'id="{element_id}"[^>]*{attribute}="([^"]*)"', html)
    else:
        match = re.search(rf'id="{element_id}"[^>]*>([^<]*)<', html)
    assert match, element_id
    return match.group(1).strip()


@pytest.fixture
def world(chatellerault, grand_chatellerault, django_capture_on_commit_callbacks):
    """Châtellerault: chairs 10 × 300 € (6 given to a service, 4 thrown away), chairs
    5 × 100 € (all to a partner), chairs 2 × 50 € (still published). Grand Châtellerault:
    one listing and a fact of its own that must never show."""
    with in_authority(chatellerault):
        town = make_town()
        first = chairs_listing(town, quantity=10, value="300.00")
        second = chairs_listing(town, quantity=5, value="100.00")
        third = chairs_listing(town, quantity=2, value="50.00")
        with django_capture_on_commit_callbacks(execute=True):
            give(town, first, 6)
            give(town, first, 4, reason="discarded")
            give(town, second, 5, reason="given_to_partner",
                 recipient=Recipient.named("Emmaüs Châtellerault"))
    with in_authority(grand_chatellerault):
        other = published_listing()
    TransferFactFactory(
        authority=grand_chatellerault, listing_id=other.pk, date=timezone.localdate(),
        family=SECRET, category="Chaise", destination="partner", quantity=3,
        value_eur=Decimal("9999.00"), factors_version="9.9")
    town.update(first=first, second=second, third=third)
    return town


def expected(weight: Decimal, co2e: Decimal) -> dict:
    """The figures of `world`, computed by hand."""
    return {"value": Decimal("180.00") + Decimal("100.00"), "weight": 11 * weight,
            "co2e": 11 * co2e, "exchanged": 2, "posted": 3}


def test_report_page_figures(world, chatellerault):
    weight, co2e = reference_figures(CHAIR)
    want = expected(weight, co2e)
    response = client_for(chatellerault, world["moderator"]).get(url("moderation_report"))
    assert response.status_code == 200
    html = response.content.decode()
    assert dd(html, "total-posted") == str(want["posted"])
    assert dd(html, "total-exchanged") == str(want["exchanged"])
    assert Decimal(dd(html, "total-value", "data-value")) == want["value"]
    assert Decimal(dd(html, "total-weight", "data-value")) == want["weight"]
    assert Decimal(dd(html, "total-co2e", "data-value")) == want["co2e"]
    assert dd(html, "taker-share", "data-taken") == "2"
    assert dd(html, "taker-share", "data-published") == "3"
    assert Decimal(dd(html, "median-days", "data-value")) == 0
    assert f"<code>{REFERENCE_FACTORS_VERSION}</code>" in html
    month = timezone.localdate().strftime("%Y-%m")
    row = re.search(rf'<tr data-month="{month}">(.*?)</tr>', html).group(1)
    cells = re.findall(r"<td[^>]*>([^<]*)</td>", row)
    assert cells[1:4] == ["3", "2", "280,00"]  # French, as the cards beside the table
    assert 'data-value="280.00"' in row
    assert len(re.findall(r"<tr data-month=", html)) == 12
    # Breakdowns: family, services, destinations.
    family = re.search(r'id="table-family".*?</table>', html, re.S).group(0)
    assert 'data-key="Mobilier"' in family and ">280,00<" in family
    assert 'data-key="Direction des écoles"' in re.search(
        r'id="table-giver".*?</table>', html, re.S).group(0)
    receivers = re.search(r'id="table-receiver".*?</table>', html, re.S).group(0)
    assert 'data-key="Direction des sports"' in receivers
    destinations = re.search(r'id="table-destination".*?</table>', html, re.S).group(0)
    assert set(re.findall(r'data-key="([^"]+)"', destinations)) == {
        "same_authority", "discarded", "partner"}
    # The chart data block is JSON (json_script), not an executable script.
    assert '<script id="report-data" type="application/json">' in html
    assert '<script src="/static/js/report-charts.js" defer></script>' in html


def test_median_days_to_a_taker_and_share_over_a_custom_period(world, chatellerault):
    today = timezone.localdate()
    with in_authority(chatellerault):
        for listing, days in ((world["first"], 10), (world["second"], 4),
                              (world["third"], 1)):
            Listing.objects.filter(pk=listing.pk).update(
                published_at=timezone.now() - timedelta(days=days))
    response = client_for(chatellerault, world["moderator"]).get(url("moderation_report"), {
        "period": "custom", "start": (today - timedelta(days=60)).isoformat(),
        "end": today.isoformat()})
    assert response.status_code == 200
    html = response.content.decode()
    assert Decimal(dd(html, "median-days", "data-value")) == Decimal(7)  # median(10, 4)
    assert dd(html, "taker-share", "data-taken") == "2"
    assert dd(html, "taker-share", "data-published") == "3"


def test_month_and_semester_periods(world, chatellerault):
    today = timezone.localdate()
    client = client_for(chatellerault, world["moderator"])
    response = client.get(url("moderation_report"), {"period": "month", "year": today.year,
                                                     "month": today.month})
    assert response.status_code == 200
    assert len(re.findall(r"<tr data-month=", response.content.decode())) == 1
    semester = 1 if today.month <= 6 else 2
    other = client.get(url("moderation_report"), {"period": "semester", "year": today.year,
                                                  "semester": 3 - semester})
    html = other.content.decode()
    assert other.status_code == 200
    assert len(re.findall(r"<tr data-month=", html)) == 6
    assert dd(html, "total-exchanged") == "0"


FIELD_ERROR, FORM_ERROR = "field-invalid", 'class="form-errors"'


@pytest.mark.parametrize(("query", "error_marker"), [
    ({"period": "custom", "start": "2026-13-01", "end": "2026-12-31"}, FIELD_ERROR),
    ({"period": "custom", "start": "2026-12-31", "end": "2026-01-01"}, FORM_ERROR),
    ({"period": "custom", "start": "", "end": "2026-01-01"}, FIELD_ERROR),
    ({"period": "month", "year": "2026"}, FIELD_ERROR),
    ({"period": "nonsense"}, FIELD_ERROR),
])
def test_bad_periods_are_a_400_with_a_form_error(world, chatellerault, query, error_marker):
    client = client_for(chatellerault, world["moderator"])
    for name in ("moderation_report", "moderation_report_csv", "moderation_report_xlsx"):
        response = client.get(url(name), query)
        assert response.status_code == 400, name
        html = response.content.decode()
        assert error_marker in html, name


def test_agents_get_403_on_the_page_and_the_exports(world, chatellerault):
    client = client_for(chatellerault, world["poster"])
    for name in ("moderation_report", "moderation_report_csv", "moderation_report_xlsx"):
        assert client.get(url(name)).status_code == 403, name


def test_a_moderator_of_one_authority_is_anonymous_on_the_other(
        world, chatellerault, grand_chatellerault):
    client = client_for(chatellerault, world["moderator"])
    for name in ("moderation_report", "moderation_report_csv", "moderation_report_xlsx"):
        response = client.get(url(name), HTTP_HOST=host_of(grand_chatellerault))
        assert response.status_code == 302, name
        assert "login" in response["Location"]


def test_facts_of_another_authority_never_show(world, chatellerault):
    client = client_for(chatellerault, world["moderator"])
    html = client.get(url("moderation_report")).content.decode()
    assert SECRET not in html and "9999" not in html and "9.9" not in html
    for kind in ("transfers", "months"):
        text = client.get(url("moderation_report_csv"), {"kind": kind}).content.decode()
        assert SECRET not in text and "9999" not in text
    workbook = load_workbook(io.BytesIO(client.get(url("moderation_report_xlsx")).content))
    values = {cell.value for sheet in workbook for row in sheet.iter_rows() for cell in row}
    assert SECRET not in values and 9999 not in values


def _csv_rows(response) -> list[list[str]]:
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:]), delimiter=";"))


def test_csv_exports(world, chatellerault):
    weight, co2e = reference_figures(CHAIR)
    want = expected(weight, co2e)
    client = client_for(chatellerault, world["moderator"])
    response = client.get(url("moderation_report_csv"), {"kind": "transfers"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    header, *rows = _csv_rows(response)
    assert header[:3] == ["date", "transfer_id", "listing_id"]
    facts = [dict(zip(header, row, strict=True)) for row in rows]
    assert sorted((f["destination"], f["quantity"]) for f in facts) == [
        ("discarded", "4"), ("partner", "5"), ("same_authority", "6")]
    assert sum(Decimal(f["value_eur"].replace(",", ".")) for f in facts
               if f["destination"] != "discarded") == want["value"]
    response = client.get(url("moderation_report_csv"), {"kind": "months"})
    header, *rows = _csv_rows(response)
    assert header == ["month", "listings_posted", "listings_exchanged", "value_exchanged_eur",
                      "weight_avoided_kg", "co2e_avoided_kg"]
    assert len(rows) == 12
    month = {row[0]: row for row in rows}[timezone.localdate().strftime("%Y-%m")]
    assert month[1:3] == ["3", "2"]
    assert Decimal(month[3].replace(",", ".")) == want["value"]
    assert Decimal(month[4].replace(",", ".")) == want["weight"]
    assert Decimal(month[5].replace(",", ".")) == want["co2e"]
    assert client.get(url("moderation_report_csv"), {"kind": "other"}).status_code == 400


def test_xlsx_export(world, chatellerault):
    weight, co2e = reference_figures(CHAIR)
    want = expected(weight, co2e)
    response = client_for(chatellerault, world["moderator"]).get(
        url("moderation_report_xlsx"), {"period": "year", "year": timezone.localdate().year})
    assert response.status_code == 200
    assert "spreadsheetml" in response["Content-Type"]
    workbook = load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames == ["Transferts", "Par mois", "Reçus d'autres collectivités",
                                   "Informatique"]
    transfers, months = workbook["Transferts"], workbook["Par mois"]
    header = [cell.value for cell in transfers[1]]
    assert header[0] == "Date" and "Valeur (€)" in header and "Quantité" in header
    assert all(cell.font.bold for cell in transfers[1])
    assert all(cell.font.bold for cell in months[1])
    rows = [dict(zip(header, row, strict=True))
            for row in transfers.iter_rows(min_row=2, values_only=True)]
    assert len(rows) == 3
    assert all(isinstance(row["Quantité"], int) for row in rows)
    assert all(isinstance(row["Valeur (€)"], (int, float)) for row in rows)
    assert sorted(row["Quantité"] for row in rows) == [4, 5, 6]
    given = sum(row["Valeur (€)"] for row in rows if row["Destination"] != "discarded")
    assert given == pytest.approx(float(want["value"]))
    month_header = [cell.value for cell in months[1]]
    assert month_header[0] == "Mois"
    by_month = {row[0]: dict(zip(month_header, row, strict=True))
                for row in months.iter_rows(min_row=2, values_only=True)}
    assert len(by_month) == 12
    current = by_month[timezone.localdate().strftime("%Y-%m")]
    assert current["Annonces déposées"] == 3
    assert current["Annonces ayant trouvé preneur"] == 2
    assert current["Valeur donnée (€)"] == pytest.approx(float(want["value"]))
    assert current["Poids évité (kg)"] == pytest.approx(float(want["weight"]))
    assert current["CO2e évité (kg)"] == pytest.approx(float(want["co2e"]))


def _facts(authority, count: int, listing_id: int) -> None:
    today = timezone.localdate()
    TransferFact.objects.bulk_create(TransferFactFactory.build(
        authority=authority, transfer_id=500_000 + n, listing_id=listing_id + n % 7,
        date=today - timedelta(days=n % 200), family=f"Famille {n % 5}", category="Chaise",
        destination=("same_authority", "partner", "discarded")[n % 3], quantity=1 + n % 4,
        value_eur=Decimal("10.00"), weight_kg=Decimal("2"), weight_avoided_kg=Decimal("2"),
        co2e_avoided_kg=Decimal("3"), giver_service=f"Service {n % 6}",
        receiver_service=f"Service {n % 4}")
        for n in range(count))


def test_query_count_does_not_grow_with_facts(world, chatellerault):
    client = client_for(chatellerault, world["moderator"])
    start = date(timezone.localdate().year - 1, 1, 1).isoformat()
    query = {"period": "custom", "start": start, "end": timezone.localdate().isoformat()}
    counts = []
    for extra in (5, 50):
        _facts(chatellerault, extra, world["first"].pk)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url("moderation_report"), query).status_code == 200
        counts.append(len(queries))
        TransferFact.objects.filter(authority=chatellerault, transfer_id__gte=500_000).delete()
    assert counts[0] == counts[1]
    assert counts[0] <= 30

