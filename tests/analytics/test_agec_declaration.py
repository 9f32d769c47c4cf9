"""The AGEC declaration validates, or is not served (issue 16): every enum label is
accepted; a category with donations but no purchases, an authority that has not
entered its purchases, a missing or invalid SIRET → the page says what is missing and
no file is served (409); the SIRET check (Luhn, La Poste's exception); the labels of our
data files are the schema's; the PDF fiche carries the share reached; who sees it."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse
from pypdf import PdfReader

from accounts.models import Role
from analytics import agec
from analytics.agec_categories import agec_categories
from analytics.models import AgecPurchase, ExternalDonation, ReferenceItem
from tenants.models import Authority
from tests.accounts.factories import UserFactory, agent, moderator
from tests.analytics.agec_validation import assert_valid, validation_errors
from tests.analytics.factories import TransferFactFactory
from tests.conftest import client_for, in_authority

pytestmark = pytest.mark.django_db

FURNITURE = "Mobilier et aménagement d'intérieur"
SIRET = "21860066600018"


@pytest.fixture
def mod(chatellerault):
    with in_authority(chatellerault):
        user = moderator(email="mod.declaration@chatellerault.example")
    return client_for(chatellerault, user)


def with_siret(authority, siret=SIRET, siren=None):
    fields = {"siret": siret} | ({"siren": siren} if siren else {})
    Authority.objects.filter(pk=authority.pk).update(**fields)


def purchase(authority, category, total, reuse="0", recycled="0", year=2025):
    return AgecPurchase.objects.create(
        authority=authority, year=year, category=category, total_eur=Decimal(total),
        reuse_eur=Decimal(reuse), recycled_eur=Decimal(recycled))


def csv_response(client, year=2025):
    return client.get(reverse("statistics:agec_csv") + f"?year={year}")


def refused(response) -> str:
    """The 409 page of a refused declaration: no file, what is missing."""
    assert response.status_code == 409
    assert "Content-Disposition" not in response
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode().replace("&#x27;", "'")
    assert 'id="declaration-refused"' in html
    return html


def test_every_enum_label_is_accepted(chatellerault, mod, tmp_path):
    """One row per category of the schema's 17, with amounts that need both decimals
    and thousands: the served file validates with 0 errors."""
    with_siret(chatellerault)
    for index, label in enumerate(agec_categories()):
        purchase(chatellerault, label, f"{12345 + index}.5", "1000.25", "0.1")
    response = csv_response(mod)
    assert response.status_code == 200
    assert_valid(response.content, tmp_path)
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [row["type_produit_acquis"] for row in rows] == list(agec_categories())
    assert len(rows) == 17
    assert rows[0]["montant_total"] == "12345.50"
    assert rows[0]["montant_produits_recycles"] == "0.10"


def test_the_validator_would_refuse_what_we_no_longer_serve(tmp_path):
    """The check has teeth: the old file (montant_total empty, SIRET empty, a label
    outside the enum, a French decimal) fails."""
    header = ",".join(agec.DECLARATION_COLUMNS)
    errors = validation_errors(
        (header + "\r\n2025,,Ville,Gros électroménager,,\"1 555,00\",0.00,,\r\n").encode(),
        tmp_path)
    failing = sorted(error.split('field "')[1].split('"')[0] for error in errors)
    assert failing == ["montant_produits_recycles", "montant_reemploi_et_reutilisation",
                       "montant_total", "siret", "type_produit_acquis"], errors


def test_donations_but_no_purchases(chatellerault, grand_chatellerault, mod):
    """A category with donations acquired (received from another authority, or
    elsewhere) but no purchases entered: the page names it, the download serves no
    file; once the purchases are entered, the file is served."""
    with_siret(chatellerault)
    purchase(chatellerault, "Papier", "80.00")
    TransferFactFactory(authority=grand_chatellerault, transfer_id=7, listing_id=7,
                        date=date(2025, 3, 1), category="bureau-droit",
                        reference_code="bureau-droit", destination="other_authority",
                        quantity=1, value_eur=Decimal("200.00"),
                        receiver_authority=chatellerault)
    ExternalDonation.objects.create(authority=chatellerault, year=2025,
                                    category="Jeux et jouets", amount_eur=Decimal("15.00"),
                                    source="partner")
    html = refused(csv_response(mod))
    for category in (FURNITURE, "Jeux et jouets"):
        assert f'data-missing="purchases" data-category="{category}"' in html
    assert "montant_total" in html
    assert f'href="{reverse("statistics:agec_purchases", kwargs={"year": 2025})}"' in html
    assert 'data-missing="siret"' not in html and 'id="export-agec-csv"' not in html
    page = mod.get(reverse("statistics:agec_report") + "?year=2025")
    assert page.status_code == 200
    assert 'data-missing="purchases"' in page.content.decode()
    purchase(chatellerault, FURNITURE, "1000.00")
    purchase(chatellerault, "Jeux et jouets", "0.00")
    assert csv_response(mod).status_code == 200


def test_an_authority_without_purchases_yet(chatellerault, mod):
    """Nothing entered for the year (internal reuse only): nothing to declare, said so."""
    with_siret(chatellerault)
    TransferFactFactory(authority=chatellerault, transfer_id=8, listing_id=8,
                        date=date(2025, 3, 1), category="bureau-droit",
                        reference_code="bureau-droit", destination="same_authority",
                        quantity=1, value_eur=Decimal("90.00"))
    html = refused(csv_response(mod))
    assert 'data-missing="nothing"' in html
    assert 'id="internal-total" data-value="90.00"' in html


@pytest.mark.parametrize(("siret", "siren", "served"), [
    (SIRET, None, True),                    # the town hall: Luhn holds
    ("21860066600019", None, False),        # bad Luhn
    ("35600000049837", "356000000", True),  # La Poste: not Luhn, digits sum to 45
    ("35600000049838", "356000000", False),  # La Poste: digits sum to 46
    ("", None, False),                       # not entered
])
def test_siret_check(chatellerault, mod, tmp_path, siret, siren, served):
    with_siret(chatellerault, siret, siren)
    purchase(chatellerault, FURNITURE, "100.00", "25.00")
    response = csv_response(mod)
    if served:
        assert response.status_code == 200
        assert_valid(response.content, tmp_path)
        assert next(csv.DictReader(io.StringIO(response.content.decode())))["siret"] == siret
    else:
        html = refused(response)
        assert 'data-missing="siret"' in html
        assert ("n’est pas valide" in html) == bool(siret), html


def test_the_missing_siret_links_admins_to_the_settings(chatellerault):
    with in_authority(chatellerault):
        admin = UserFactory(email="admin.decl@chatellerault.example",
                            roles=[Role.AGENT, Role.AUTHORITY_ADMIN])
    purchase(chatellerault, FURNITURE, "100.00")
    html = refused(csv_response(client_for(chatellerault, admin)))
    assert f'href="{reverse("statistics:stats_settings")}"' in html


def test_our_labels_are_the_schemas():
    """Every AGEC label of our data files, and of the stored reference items, is one of
    the schema's 17 (exact spelling)."""
    enum = set(agec_categories())
    assert len(enum) == 17
    with agec.SHARES_CSV.open(encoding="utf-8") as handle:
        shares = {row["agec_category"] for row in csv.DictReader(handle)}
    assert shares <= enum, shares - enum
    from analytics.reference_data import read_reference_rows  # the CSV file as is

    items = {row["agec_category"] for row in read_reference_rows()} - {""}
    assert items <= enum, items - enum
    stored = set(ReferenceItem.objects.exclude(agec_category="").values_list(
        "agec_category", flat=True))
    assert stored and stored <= enum, stored - enum
    assert "Gros électroménager, y compris appareils professionnels" in items


def test_who_sees_it(chatellerault):
    """can_view_agec: moderators, the finance team, administrators; not agents."""
    with in_authority(chatellerault):
        finance = UserFactory(email="finance.decl@chatellerault.example",
                              roles=[Role.AGENT, Role.FINANCE])
        plain = agent(email="agent.decl@chatellerault.example")
    page = reverse("statistics:agec_report") + "?year=2025"
    assert client_for(chatellerault, finance).get(page).status_code == 200
    assert client_for(chatellerault, plain).get(page).status_code == 403


def test_year_on_year(chatellerault, mod):
    with_siret(chatellerault)
    purchase(chatellerault, FURNITURE, "1000.00", "100.00", year=2024)
    purchase(chatellerault, FURNITURE, "1000.00", "250.00", year=2025)
    assert agec.figure_years(chatellerault, 2025) == [2024, 2025]
    html = mod.get(reverse("statistics:agec_report") + "?year=2025").content.decode()
    table = html.split('id="table-agec-years"')[1].split("</table>")[0]
    assert "<th scope=\"col\">2024</th><th scope=\"col\">2025</th>" in table
    assert "10,0 %" in table and "25,0 %" in table


def test_the_fiche_carries_the_share_reached(chatellerault, mod):
    purchase(chatellerault, FURNITURE, "1555.00", "100.00", year=2025)
    response = mod.get(reverse("statistics:moderation_report_pdf")
                       + "?period=custom&start=2025-01-01&end=2025-12-31")
    assert response.status_code == 200
    text = " ".join(" ".join(page.extract_text() for page in PdfReader(
        io.BytesIO(response.content)).pages).split())
    assert "Loi AGEC 2025" in text
    # 100 / 1555 = 6.4 %; 20 % of 1555 = 311 → 211 € still needed.
    assert "1 555,00 €" in text and "6,4 %" in text and "20 %" in text and "211,00 €" in text


def test_demo_sirets_are_valid():
    """The demo's authorities, and the load test's made-up communes, declare with a SIRET
    of their SIREN whose check digit holds."""
    from tenants.demo import DEMO_AUTHORITIES, load_authority_specs  # demo data only here
    from tenants.validators import validate_siret_of  # the check the declaration runs

    specs = DEMO_AUTHORITIES + load_authority_specs(5)
    assert len(specs) == 5
    for spec in specs:
        validate_siret_of(spec["siret"], spec["siren"])


def test_the_page_queries_do_not_grow_with_the_facts(chatellerault, grand_chatellerault, mod):
    """GROUP BY queries: ten times the facts of the same year, the same queries."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with_siret(chatellerault)
    purchase(chatellerault, FURNITURE, "1000.00")
    page = reverse("statistics:agec_report") + "?year=2025"

    def add_facts(first: int, count: int) -> None:
        for number in range(first, first + count):
            TransferFactFactory(authority=grand_chatellerault, transfer_id=number,
                                listing_id=number, date=date(2025, 3, 1),
                                category="bureau-droit", reference_code="bureau-droit",
                                destination="other_authority", quantity=1,
                                value_eur=Decimal("10.00"), receiver_authority=chatellerault)
            TransferFactFactory(authority=chatellerault, transfer_id=number,
                                listing_id=number, date=date(2025, 4, 1), category="ecran",
                                reference_code="ecran", destination="same_authority",
                                quantity=1, value_eur=Decimal("5.00"))

    add_facts(100, 2)
    mod.get(page)  # session and caches warm
    with CaptureQueriesContext(connection) as few:
        assert mod.get(page).status_code == 200
    add_facts(200, 20)
    with CaptureQueriesContext(connection) as many:
        assert mod.get(page).status_code == 200
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]


def test_the_siret_entered_once_in_the_settings(chatellerault):
    """The administrators' settings page (the identity's SIRET, shared with billing):
    La Poste's exception is accepted for its SIREN, a bad check digit is refused in
    French and the typed value is kept."""
    with_siret(chatellerault, "", siren="356000000")
    with in_authority(chatellerault):
        admin = UserFactory(email="admin.laposte@chatellerault.example",
                            roles=[Role.AGENT, Role.AUTHORITY_ADMIN])
    client = client_for(chatellerault, admin)
    page = reverse("statistics:stats_settings")
    bad = client.post(page, {"action": "settings", "siret": "356 000 000 49838"})
    assert bad.status_code == 400
    html = bad.content.decode()
    assert "Ce SIRET n’est pas valide" in html and 'value="356 000 000 49838"' in html
    assert Authority.objects.get(pk=chatellerault.pk).siret == ""
    assert client.post(page, {"action": "settings",
                              "siret": "356 000 000 49837"}).status_code == 302
    assert Authority.objects.get(pk=chatellerault.pk).siret == "35600000049837"
