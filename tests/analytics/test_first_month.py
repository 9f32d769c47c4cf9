"""Replay of a Châtellerault-like first month (issue 5, "Done means"): 41 listings
closed as exchanged whose values add up to a known total near 3,000 €, plus listings
thrown away, no longer available or still open. Every figure of the summary (page and
API), the CSV, the XLSX and the PDF fiche is checked against values computed here,
from the test's own numbers and the reference CSV — not through the code under test."""

from __future__ import annotations

import csv
import io
import re
import statistics
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook
from pypdf import PdfReader

from analytics.models import REFERENCE_FACTORS_VERSION
from exchange.listings.models import Category, Listing, Transfer
from exchange.listings.recipients import Recipient
from tests.analytics.factories import PARIS, make_town, reference_figures
from tests.conftest import client_for, in_authority
from tests.exchange.listings.factories import published_listing
from tests.exchange.sharing.sharing_world import confirm_receipts, share

pytestmark = pytest.mark.django_db

YEAR, MONTH = 2026, 3
QUERY = "period=month&year=2026&month=3"
CODES = ("chaise-visiteur", "bureau-droit", "ecran", "refrigerateur")
EXCHANGED = 41
# Values of the 41 exchanged listings: 41 × 70 € plus a spread, 2,987.50 € in all.
VALUES = [Decimal(70) + Decimal((i * 13) % 7) - Decimal(3) + (Decimal("0.50") if i == 5
                                                               else Decimal(0))
          for i in range(EXCHANGED)]
VALUES[0] += Decimal(115)
TOTAL = sum(VALUES)


def destination(i: int) -> str:
    if i % 10 == 0:
        return "exchanged_other_authority"
    if i % 7 == 3:
        return "given_to_partner"
    return "exchanged_internal"


def at(day: int) -> datetime:
    return datetime(YEAR, MONTH, day, 10, tzinfo=PARIS)


def _fr(value: Decimal, places: int) -> str:
    quantum = Decimal(1).scaleb(-places)
    text = f"{value.quantize(quantum, rounding=ROUND_HALF_UP):,.{places}f}"
    return text.replace(",", " ").replace(".", ",")


@pytest.fixture
def month(chatellerault, grand_chatellerault, django_capture_on_commit_callbacks):
    """The month replayed in Châtellerault; returns the expected figures."""
    expected = {"value": Decimal(0), "weight": Decimal(0), "co2e": Decimal(0),
                "received_value": Decimal(0), "received_weight": Decimal(0),
                "received_co2e": Decimal(0), "received": 0, "delays": [],
                "families": {}}
    share(chatellerault, grand_chatellerault)  # transfers between them need it (issue 12)
    with in_authority(chatellerault):
        town = make_town()
        categories = {code: Category.objects.get(reference_code=code) for code in CODES}
        listings = []
        with django_capture_on_commit_callbacks(execute=True):
            for i in range(EXCHANGED + 12):
                code = CODES[i % len(CODES)]
                quantity = 1 + i % 3
                value = VALUES[i] if i < EXCHANGED else Decimal("45.00")
                listing = published_listing(
                    poster=town["poster"], approver=town["moderator"],
                    category=categories[code], quantity=quantity, estimated_value=value,
                    site=town["site"])
                listings.append(listing)
                if i >= EXCHANGED + 10:  # two stay published
                    continue
                reason = (destination(i) if i < EXCHANGED
                          else "discarded" if i < EXCHANGED + 6 else "unavailable")
                data = {"reason": reason}
                if reason == "exchanged_internal":
                    data["recipient"] = Recipient.service(town["sports"])
                elif reason == "exchanged_other_authority":
                    data["recipient"] = Recipient.authority("grand-chatellerault")
                elif reason == "given_to_partner":
                    data["recipient"] = Recipient.named("Emmaüs Châtellerault")
                from exchange.listings.services.closure import close_listing

                transfer = close_listing(listing=listing, actor=town["poster"],
                                         quantity=quantity, **data)
                day = 3 + i % 25
                Transfer.objects.filter(pk=transfer.pk).update(
                    created_at=at(day),
                    recipient_authority_slug="grand-chatellerault"
                    if reason == "exchanged_other_authority" else "")
                if i < EXCHANGED:
                    weight, co2e = reference_figures(code)
                    expected["value"] += value
                    expected["weight"] += weight * quantity
                    expected["co2e"] += co2e * quantity
                    expected["delays"].append(day - 2)
                    family = categories[code].parent.name
                    expected["families"][family] = expected["families"].get(
                        family, Decimal(0)) + value
                    if reason == "exchanged_other_authority":
                        expected["received"] += 1
                        expected["received_value"] += value
                        expected["received_weight"] += weight * quantity
                        expected["received_co2e"] += co2e * quantity
            Listing.objects.filter(pk__in=[x.pk for x in listings]).update(
                created_at=at(1), submitted_at=at(1), published_at=at(2))
    # The agglomération confirms receipt: only then do they count on its side.
    assert confirm_receipts(grand_chatellerault) == expected["received"]
    expected["posted"] = EXCHANGED + 12
    town["expected"] = expected
    return town


def url(name: str) -> str:
    return reverse(f"statistics:{name}")


def dd(html: str, element_id: str, attribute: str = "data-value") -> str:
    match = re.search(rf'id="{element_id}"[^>]*{attribute}="([^"]*)"', html)
    assert match, element_id
    return match.group(1)


def text_of(html: str, element_id: str) -> str:
    match = re.search(rf'id="{element_id}"[^>]*>([^<]*)<', html)
    assert match, element_id
    return match.group(1).strip()


def test_values_add_up_to_a_total_near_3000_euros():
    assert Decimal("2987.50") == TOTAL
    assert len(VALUES) == EXCHANGED


def test_report_page_figures(month, chatellerault):
    want = month["expected"]
    html = client_for(chatellerault, month["moderator"]).get(
        f"{url('moderation_report')}?{QUERY}").content.decode()
    assert text_of(html, "total-posted") == str(want["posted"])
    assert text_of(html, "total-exchanged") == str(EXCHANGED)
    assert Decimal(dd(html, "total-value")) == want["value"] == TOTAL
    assert Decimal(dd(html, "total-weight")) == want["weight"]
    assert Decimal(dd(html, "total-co2e")) == want["co2e"]
    assert dd(html, "taker-share", "data-taken") == str(EXCHANGED)
    assert dd(html, "taker-share", "data-published") == str(want["posted"])
    assert Decimal(dd(html, "median-days")) == Decimal(str(statistics.median(want["delays"])))
    # Châtellerault received nothing from another authority.
    assert text_of(html, "received-transfers") == "0"


def test_receiver_side_counts_the_received_items(month, grand_chatellerault):
    from tests.accounts.factories import moderator

    want = month["expected"]
    with in_authority(grand_chatellerault):
        user = moderator(email="mod.gc@grand-chatellerault.example")
    client = client_for(grand_chatellerault, user)
    html = client.get(f"{url('moderation_report')}?{QUERY}").content.decode()
    assert text_of(html, "received-transfers") == str(want["received"]) == "5"
    assert Decimal(dd(html, "received-value")) == want["received_value"]
    assert Decimal(dd(html, "received-weight")) == want["received_weight"]
    assert Decimal(dd(html, "received-co2e")) == want["received_co2e"]
    assert "Ville de Châtellerault" in html
    # Its own given figures stay empty: the receiver never counts them as given.
    assert Decimal(dd(html, "total-value")) == 0
    text = client.get(f"{url('moderation_report_csv')}?kind=received&{QUERY}").content.decode()
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))
    assert len(rows) == 5
    assert {row["giver_authority"] for row in rows} == {"Ville de Châtellerault"}
    assert sum(Decimal(row["value_eur"].replace(",", ".")) for row in rows) == \
        want["received_value"]
    workbook = load_workbook(io.BytesIO(client.get(
        f"{url('moderation_report_xlsx')}?{QUERY}").content))
    sheet = workbook["Reçus d'autres collectivités"]
    assert sheet.max_row == 1 + 5
    assert sum(Decimal(str(row[7])) for row in sheet.iter_rows(min_row=2, values_only=True)) \
        == want["received_value"]
    # The PDF fiche of Grand Châtellerault: none of Châtellerault's given figures.
    pdf = client.get(f"{url('moderation_report_pdf')}?{QUERY}").content
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
                    .split())
    assert "Agglomération de Grand Châtellerault" in text
    assert "Annonces ayant trouvé preneur 0" in text
    assert "Reçu d'autres collectivités : cessions 5" in text
    assert f"Reçu d'autres collectivités : valeur {_fr(want['received_value'], 2)} €" in text


def test_operator_total_counts_each_transfer_once(month, chatellerault):
    from analytics.selectors import cross_authority_totals

    want = month["expected"]
    totals = cross_authority_totals()["overall"]
    assert totals["transfers"] == EXCHANGED
    assert totals["value_eur"] == want["value"]
    assert totals["weight_avoided_kg"] == want["weight"]


def test_api_summary(month, chatellerault):
    want = month["expected"]
    data = client_for(chatellerault, month["moderator"]).get(
        "/api/v1/stats/summary/?from=2026-03-01&to=2026-03-31").json()
    assert data["listings_posted"] == want["posted"]
    assert data["listings_exchanged"] == EXCHANGED
    assert Decimal(str(data["value_exchanged_eur"])) == want["value"]
    assert Decimal(str(data["weight_avoided_kg"])) == want["weight"]
    assert Decimal(str(data["co2e_avoided_kg"])) == want["co2e"]


def test_csv_exports(month, chatellerault):
    want = month["expected"]
    client = client_for(chatellerault, month["moderator"])
    text = client.get(f"{url('moderation_report_csv')}?kind=transfers&{QUERY}").content.decode()
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))
    assert len(rows) == EXCHANGED + 10

    def num(value: str) -> Decimal:
        return Decimal(value.replace(",", "."))

    given = [r for r in rows if r["destination"] in ("same_authority", "other_authority",
                                                     "partner")]
    assert len(given) == EXCHANGED
    assert sum(num(r["value_eur"]) for r in given) == want["value"]
    assert sum(num(r["weight_avoided_kg"]) for r in rows) == want["weight"]
    assert sum(num(r["co2e_avoided_kg"]) for r in rows) == want["co2e"]
    assert sorted({r["destination"] for r in rows}) == [
        "discarded", "other_authority", "partner", "same_authority", "unavailable"]
    text = client.get(f"{url('moderation_report_csv')}?kind=months&{QUERY}").content.decode()
    (row,) = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))
    assert row["month"] == "2026-03"
    assert int(row["listings_posted"]) == want["posted"]
    assert int(row["listings_exchanged"]) == EXCHANGED
    assert num(row["value_exchanged_eur"]) == want["value"]
    assert num(row["weight_avoided_kg"]) == want["weight"]
    assert num(row["co2e_avoided_kg"]) == want["co2e"]


def test_xlsx_export(month, chatellerault):
    want = month["expected"]
    content = client_for(chatellerault, month["moderator"]).get(
        f"{url('moderation_report_xlsx')}?{QUERY}").content
    workbook = load_workbook(io.BytesIO(content))
    facts = list(workbook["Transferts"].iter_rows(min_row=2, values_only=True))
    assert len(facts) == EXCHANGED + 10
    # columns: … destination (6), value (8), weight avoided (11), CO2e (12)
    given = [r for r in facts if r[6] in ("same_authority", "other_authority", "partner")]
    assert sum(Decimal(str(r[8])) for r in given) == want["value"]
    assert sum(Decimal(str(r[11])) for r in facts).quantize(Decimal("0.001")) == want["weight"]
    assert sum(Decimal(str(r[12])) for r in facts).quantize(Decimal("0.001")) == want["co2e"]
    (month_row,) = list(workbook["Par mois"].iter_rows(min_row=2, values_only=True))
    assert month_row[:3] == ("2026-03", want["posted"], EXCHANGED)
    assert Decimal(str(month_row[3])) == want["value"]


def test_pdf_fiche(month, chatellerault):
    want = month["expected"]
    response = client_for(chatellerault, month["moderator"]).get(
        f"{url('moderation_report_pdf')}?{QUERY}")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(
        response.content)).pages)
    text = " ".join(text.split())
    assert "Ville de Châtellerault" in text
    assert "Période du 01/03/2026 au 31/03/2026" in text
    assert f"Annonces déposées {want['posted']}" in text
    assert f"Annonces ayant trouvé preneur {EXCHANGED}" in text
    assert f"Valeur donnée (achats évités) {_fr(want['value'], 2)} €" in text
    assert "2 987,50 €" in text
    assert f"Poids détourné des déchets {_fr(want['weight'] / 1000, 3)} t" in text
    assert f"CO2e évité {_fr(want['co2e'] / 1000, 3)} t CO2e" in text
    # Top categories: the families by value, largest first.
    top = text.split("Principales catégories", 1)[1]
    ranked = sorted(want["families"], key=want["families"].get, reverse=True)
    positions = [top.index(f"{family} ") for family in ranked]
    assert positions == sorted(positions)
    for family in ranked:
        assert f"{family} " in top and f"{_fr(want['families'][family], 2)} €" in top
    assert f"version(s) {REFERENCE_FACTORS_VERSION}" in text
