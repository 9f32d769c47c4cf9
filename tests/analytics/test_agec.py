"""Loi AGEC (issue 5, item 5; issue 16): per AGEC category and year, the purchases the
finance team entered, the donations acquired (received from other authorities and
elsewhere) and the share reached next to the decree's minimum (unknown ones said so);
internal transfers apart, as purchases avoided; the data.gouv.fr declaration CSV, served
only when it validates against the official schema (frictionless); the retired IT share
of décret n° 2023-266."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from analytics import agec
from analytics.agec_categories import agec_categories
from analytics.donation_grid import declaration_comment
from analytics.models import AgecPurchase, ExternalDonation, RetiredITStock, StatsSettings
from tenants.billing.services import _customer_params, profile_for
from tenants.models import Authority
from tests.accounts.factories import agent, authority_admin, moderator
from tests.analytics.agec_validation import assert_valid
from tests.analytics.factories import RetiredITStockFactory, TransferFactFactory, make_town
from tests.conftest import client_for, in_authority

pytestmark = pytest.mark.django_db

FURNITURE = "Mobilier et aménagement d'intérieur"
IT = "Matériel informatique et téléphonie"
OFFICIAL = ["annee", "siret", "raison_sociale", "type_produit_acquis", "montant_total",
            "montant_reemploi_et_reutilisation", "montant_produits_issus_don",
            "montant_produits_recycles", "commentaires"]


def fact(authority, transfer_id, code, destination, value, *, receiver=None, day=None,
         quantity=1):
    return TransferFactFactory(
        authority=authority, transfer_id=transfer_id, listing_id=transfer_id,
        date=day or date(2025, 5, 1), category=code, reference_code=code,
        destination=destination, quantity=quantity, value_eur=Decimal(value),
        weight_kg=Decimal("1"), weight_avoided_kg=Decimal("1"), co2e_avoided_kg=Decimal("1"),
        receiver_authority=receiver)


@pytest.fixture
def year_2025(chatellerault, grand_chatellerault):
    """Châtellerault 2025: chairs internally 120 €, screens internally 3 × 50 €, a desk
    thrown away 80 € (not reuse), a chair to a partner 10 € (not a purchase avoided),
    paper 5 € (a category whose share we do not know);
    received from Grand Châtellerault: a desk 200 €, a screen 30 €. Grand Châtellerault
    also gives a desk to nobody in particular (internal, 999 €), never counted here."""
    fact(chatellerault, 1, "chaise-visiteur", "same_authority", "120.00")
    fact(chatellerault, 2, "ecran", "same_authority", "150.00", quantity=3)
    fact(chatellerault, 3, "bureau-droit", "discarded", "80.00")
    fact(chatellerault, 4, "chaise-visiteur", "partner", "10.00")
    fact(chatellerault, 5, "chaise-visiteur", "same_authority", "77.00", day=date(2024, 12, 31))
    fact(chatellerault, 6, "papier", "same_authority", "5.00")
    fact(grand_chatellerault, 101, "bureau-droit", "other_authority", "200.00",
         receiver=chatellerault)
    fact(grand_chatellerault, 102, "ecran", "other_authority", "30.00", receiver=chatellerault)
    fact(grand_chatellerault, 103, "bureau-droit", "same_authority", "999.00")
    with in_authority(chatellerault):
        return make_town()


def purchase(authority, category, total, reuse="0", recycled="0", year=2025):
    return AgecPurchase.objects.create(
        authority=authority, year=year, category=category, total_eur=Decimal(total),
        reuse_eur=Decimal(reuse), recycled_eur=Decimal(recycled))


@pytest.fixture
def purchases_2025(year_2025, chatellerault):
    """Châtellerault's finance team entered 2025: furniture 1 555 € (of which 100 €
    from reuse, 40 € recycled), IT 3 000 € (300 € from reuse); a donation of 50 € of
    furniture received from the State's site."""
    Authority.objects.filter(pk=chatellerault.pk).update(siret="21860066600018")
    purchase(chatellerault, FURNITURE, "1555.00", "100.00", "40.00")
    purchase(chatellerault, IT, "3000.00", "300.00")
    ExternalDonation.objects.create(authority=chatellerault, year=2025, category=FURNITURE,
                                    amount_eur=Decimal("50.00"), source="state_site")
    return year_2025


def test_rows_per_category(purchases_2025, chatellerault):
    rows = {row.category: row for row in agec.agec_rows(chatellerault, 2025)}
    furniture = rows[FURNITURE]
    assert furniture.internal_eur == Decimal("120.00")  # purchases avoided, not counted
    assert furniture.platform_donations_eur == Decimal("200.00")
    assert furniture.external_donations_eur == Decimal("50.00")
    assert furniture.donations_eur == Decimal("250.00")
    assert furniture.total_eur == Decimal("1555.00")
    assert furniture.reuse_eur == Decimal("100.00")
    assert furniture.counted_eur == Decimal("350.00")
    # (100 + 250) / 1555 = 22.5 %, above the 20 % minimum: nothing left to reach.
    assert furniture.share_reached == Decimal("22.5")
    assert furniture.minimum_share == 20 and furniture.gap_eur == Decimal("0.00")
    it = rows[IT]
    assert it.internal_eur == Decimal("150.00") and it.donations_eur == Decimal("30.00")
    # (300 + 30) / 3000 = 11.0 %; 20 % of 3000 = 600 → 270 € still needed.
    assert it.share_reached == Decimal("11.0")
    assert it.gap_eur == Decimal("270.00")
    # Paper: internal reuse only — nothing the declaration counts.
    assert rows["Papier"].internal_eur == Decimal("5.00")
    assert not rows["Papier"].declarable and rows["Papier"].share_reached is None
    # Categories of the data file without value are listed with their share.
    assert rows["Mobilier urbain"].total_eur is None
    assert rows["Mobilier urbain"].minimum_share == 5 and rows["Mobilier urbain"].gap_eur is None
    # In the order of the schema's enum.
    assert list(rows) == [c for c in agec_categories() if c in rows]


def test_minimum_shares_from_the_data_file():
    assert agec.minimum_share(IT, 2027)[0] == 25
    assert agec.minimum_share(IT, 2031)[0] == 30
    assert agec.minimum_share(FURNITURE, 2030)[0] == 30
    # The 2027 furniture share is not in our file: unknown, not guessed.
    assert agec.minimum_share(FURNITURE, 2027) == (None, "")
    assert agec.minimum_share("Papier", 2025) == (None, "")
    assert agec.minimum_share(IT, 2023) == (None, "")
    assert "2024-134" in agec.minimum_share(IT, 2024)[1]


def _csv(client, year=2025):
    return client.get(reverse("statistics:agec_csv") + f"?year={year}")


def test_declaration_csv(purchases_2025, chatellerault, tmp_path):
    """The law's figures: reuse purchases alone in montant_reemploi_et_reutilisation,
    donations acquired (platform + elsewhere) in montant_produits_issus_don, internal
    transfers nowhere; the file the page serves validates against the official schema."""
    response = _csv(client_for(chatellerault, purchases_2025["moderator"]))
    assert response.status_code == 200
    assert response["Content-Disposition"] == (
        'attachment; filename="collectivrecup-chatellerault-agec-2025.csv"')
    assert_valid(response.content, tmp_path)
    text = response.content.decode("utf-8")
    assert not text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == OFFICIAL
    data = [dict(zip(OFFICIAL, row, strict=True)) for row in rows[1:]]
    # Paper (internal reuse only) is not declared; the enum's order.
    assert [row["type_produit_acquis"] for row in data] == [IT, FURNITURE]
    furniture = data[1]
    assert furniture["annee"] == "2025"
    assert furniture["siret"] == "21860066600018"
    assert furniture["raison_sociale"] == "Ville de Châtellerault"
    assert furniture["montant_total"] == "1555.00"
    assert furniture["montant_reemploi_et_reutilisation"] == "100.00"
    assert furniture["montant_produits_issus_don"] == "250.00"
    assert furniture["montant_produits_recycles"] == "40.00"
    assert "200.00" in furniture["commentaires"] and "50.00" in furniture["commentaires"]
    # How the donations were valued (the grid's version, or that they are estimates).
    assert declaration_comment() in furniture["commentaires"]
    assert data[0]["commentaires"].startswith("Dons acquis sur Collectiv'Récup : 30.00 €.")
    assert [data[0][k] for k in OFFICIAL[4:8]] == ["3000.00", "300.00", "30.00", "0.00"]


def test_agec_page(purchases_2025, chatellerault):
    response = client_for(chatellerault, purchases_2025["moderator"]).get(
        reverse("statistics:agec_report") + "?year=2025")
    html = response.content.decode().replace("&#x27;", "'")
    assert f'data-category="{FURNITURE}"' in html
    furniture = html.split(f'<tr data-category="{FURNITURE}">')[1].split("</tr>")[0]
    # French formatting: 1 555,00 € (no-break space as the thousands separator).
    assert "1\xa0555,00 €" in furniture
    assert "22,5 %" in furniture and "20 %" in furniture
    it = html.split(f'<tr data-category="{IT}">')[1].split("</tr>")[0]
    assert "11,0 %" in it and "270,00 €" in it
    assert "inconnue" in html  # a share not in the data file
    assert 'id="export-agec-csv"' in html and 'id="declaration-ready"' in html
    # Internal reuse apart, as purchases avoided, with the decree's wording.
    assert 'id="internal-total" data-value="275.00"' in html
    assert "2° Au moyen de dons" in html and "décret n° 2024-134" in html
    bad = client_for(chatellerault, purchases_2025["moderator"]).get(
        reverse("statistics:agec_report") + "?year=abc")
    assert bad.status_code == 400


def test_it_share(year_2025, chatellerault):
    assert agec.it_reuse_share(chatellerault, 2025).stock is None
    assert agec.it_reuse_share(chatellerault, 2025).share is None
    RetiredITStockFactory(authority=chatellerault, year=2025, items_in_stock=12)
    share = agec.it_reuse_share(chatellerault, 2025)
    assert share.sent_to_reuse == 3  # the 3 screens; the received ones are not ours
    assert share.share == Decimal("25.0")
    assert share.target == 50
    assert agec.it_target(2024) == 35 and agec.it_target(2023) == 25
    html = client_for(chatellerault, year_2025["moderator"]).get(
        reverse("statistics:agec_report") + "?year=2025").content.decode()
    assert 'id="it-ratio">25,0 %' in html
    # No IT register retirements that year: the typed-in stock, and the page says so.
    assert share.source == agec.ITShareSource.STOCK and 'data-source="stock"' in html


def test_admin_records_it_stock_and_siret(chatellerault):
    with in_authority(chatellerault):
        admin = authority_admin(email="admin.stats@chatellerault.example")
    client = client_for(chatellerault, admin)
    page = reverse("statistics:stats_settings")
    assert client.post(page, {"action": "stock", "year": "2025",
                              "items_in_stock": "40"}).status_code == 302
    assert RetiredITStock.objects.get(authority=chatellerault, year=2025).items_in_stock == 40
    response = client.post(page, {"action": "settings", "siret": "1234"})
    assert response.status_code == 400
    assert "14 chiffres" in response.content.decode()
    assert client.post(page, {"action": "settings", "siret": "21860066600018",
                              "public_impact": "on"}).status_code == 302
    assert StatsSettings.objects.get(authority=chatellerault).public_impact
    assert Authority.objects.get(pk=chatellerault.pk).siret == "21860066600018"


@pytest.mark.parametrize("name", ["agec_report", "agec_csv"])
def test_agents_refused(chatellerault, name):
    with in_authority(chatellerault):
        user = agent(email="agent.agec@chatellerault.example")
    assert client_for(chatellerault, user).get(reverse(f"statistics:{name}")).status_code == 403


def test_settings_for_admins_only(chatellerault):
    with in_authority(chatellerault):
        user = moderator(email="mod.settings@chatellerault.example")
    assert client_for(chatellerault, user).get(
        reverse("statistics:stats_settings")).status_code == 403


def test_isolation(purchases_2025, grand_chatellerault, tmp_path):
    """Grand Châtellerault's declaration holds its own purchases, not Châtellerault's
    figures: not the items it gave away to Châtellerault, and not its internal desk
    (999 €, a purchase avoided, shown on its page only)."""
    Authority.objects.filter(pk=grand_chatellerault.pk).update(siret="20007067000019")
    purchase(grand_chatellerault, FURNITURE, "500.00")
    with in_authority(grand_chatellerault):
        user = moderator(email="mod.agec@grand-chatellerault.example")
    client = client_for(grand_chatellerault, user)
    response = _csv(client)
    assert_valid(response.content, tmp_path)
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [(r["type_produit_acquis"], r["montant_total"], r["montant_reemploi_et_reutilisation"],
             r["montant_produits_issus_don"]) for r in rows] \
        == [(FURNITURE, "500.00", "0.00", "0.00")]
    html = client.get(reverse("statistics:agec_report") + "?year=2025").content.decode()
    assert 'id="internal-total" data-value="999.00"' in html


def test_settings_stay_with_their_authority(chatellerault, grand_chatellerault):
    with in_authority(grand_chatellerault):
        admin = authority_admin(email="admin.stats@grand-chatellerault.example")
    client = client_for(grand_chatellerault, admin)
    assert client.post(reverse("statistics:stats_settings"),
                       {"action": "settings", "public_impact": "on"}).status_code == 302
    assert client.post(reverse("statistics:stats_settings"),
                       {"action": "stock", "year": "2025", "items_in_stock": "7"}).status_code \
        == 302
    assert StatsSettings.objects.get(authority=grand_chatellerault).public_impact
    assert not StatsSettings.objects.get(authority=chatellerault).public_impact
    assert not RetiredITStock.objects.filter(authority=chatellerault).exists()
    assert client_for(chatellerault).get(reverse("statistics:stats_settings")).status_code == 302
    # Châtellerault's admin page shows none of it.
    with in_authority(chatellerault):
        own = authority_admin(email="admin.stats2@chatellerault.example")
    html = client_for(chatellerault, own).get(reverse("statistics:stats_settings")).content.decode()
    assert 'id="table-it-stock"' in html and "<td>2025</td>" not in html
    assert 'checked' not in html.split('id="stats-settings-form"')[1].split("</form>")[0]


# --- One SIRET (issue 14): the authority's, read by invoices and the declaration ---------

def _declared_sirets(client) -> set[str]:
    text = client.get(reverse("statistics:agec_csv") + "?year=2025").content.decode()
    return {row["siret"] for row in csv.DictReader(io.StringIO(text))}


def _invoice_siret(authority) -> str:
    params = _customer_params(profile_for(Authority.objects.get(pk=authority.pk)))
    return {field["name"]: field["value"]
            for field in params["invoice_settings"]["custom_fields"]}["SIRET"]


def test_a_siret_entered_in_the_statistics_settings_is_the_invoices_one(purchases_2025,
                                                                        chatellerault):
    Authority.objects.filter(pk=chatellerault.pk).update(siret="")
    with in_authority(chatellerault):
        admin = authority_admin(email="admin.siret@chatellerault.example")
    client = client_for(chatellerault, admin)
    assert client.post(reverse("statistics:stats_settings"), {
        "action": "settings", "siret": "218 600 666 00018"}).status_code == 302
    assert _declared_sirets(client) == {"21860066600018"}
    assert _invoice_siret(chatellerault) == "21860066600018"
    assert 'value="21860066600018"' in client.get("/admin/billing/").content.decode()


def test_a_siret_entered_in_the_billing_details_is_the_declarations_one(
        purchases_2025, chatellerault, settings):
    Authority.objects.filter(pk=chatellerault.pk).update(siret="")
    settings.STRIPE_SECRET_KEY = ""
    with in_authority(chatellerault):
        admin = authority_admin(email="admin.siret@chatellerault.example")
    client = client_for(chatellerault, admin)
    assert client.post("/admin/billing/", {
        "legal_name": "Commune de Châtellerault", "siret": "21860066600018"}).status_code == 302
    assert _declared_sirets(client) == {"21860066600018"}
    page = client.get(reverse("statistics:stats_settings")).content.decode()
    assert 'value="21860066600018"' in page


def test_a_siret_of_another_siren_is_refused_and_nothing_changes(purchases_2025,
                                                                 chatellerault):
    with in_authority(chatellerault):
        admin = authority_admin(email="admin.siret@chatellerault.example")
    client = client_for(chatellerault, admin)
    # A valid SIRET (Grand Châtellerault's), but not of this authority's SIREN.
    for page, data in ((reverse("statistics:stats_settings"), {"action": "settings"}),
                       ("/admin/billing/", {"legal_name": "Commune de Châtellerault"})):
        response = client.post(page, {**data, "siret": "20007067000019"})
        assert response.status_code == 400
        assert "ne commence pas par le SIREN de la collectivité (218600666)" in \
            response.content.decode()
    assert Authority.objects.get(pk=chatellerault.pk).siret == "21860066600018"
    assert _declared_sirets(client) == {"21860066600018"}
