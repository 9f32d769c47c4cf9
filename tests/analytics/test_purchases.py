"""The finance team's AGEC figures (issue 16): purchases per category and year entered by
form or imported from an accounting export with a confirmed column mapping (all or
nothing), donations received elsewhere, the audit of every change, who may do what."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.urls import reverse
from openpyxl import Workbook

from analytics import purchases
from analytics.agec_categories import agec_categories
from analytics.demo import seed_demo_purchases
from analytics.models import (
    AgecFigureChange,
    AgecPurchase,
    DonationSource,
    ExternalDonation,
    FigureChannel,
)
from analytics.selectors import (
    PurchaseFigures,
    agec_purchases,
    external_donations_by_category,
    purchase_years,
)
from tests.accounts.factories import agent, authority_admin, finance, moderator
from tests.analytics.factories import TransferFactFactory
from tests.conftest import client_for, in_authority
from tests.exchange.listings.test_api import API, api

pytestmark = pytest.mark.django_db

FURNITURE = "Mobilier et aménagement d'intérieur"
IT = "Matériel informatique et téléphonie"
PAPER = "Papier"
LABELS = agec_categories()


def figures(total, reuse="0", recycled="0") -> PurchaseFigures:
    return PurchaseFigures(Decimal(total), Decimal(reuse), Decimal(recycled))


# --- Amounts ------------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("1 555,00", "1555.00"), ("1555.00", "1555.00"), ("1 555 €", "1555.00"),
    ("1\u202f555,5", "1555.50"), ("1.555,00", "1555.00"), ("1,555.00", "1555.00"),
    ("0", "0.00"), (1555, "1555.00"), (12.5, "12.50"), ("  42 EUR ", "42.00"),
])
def test_french_amounts(text, expected):
    assert purchases.parse_amount(text) == Decimal(expected)


@pytest.mark.parametrize("text", ["", "abc", "-5", "12,345", "1,2,3", "12.3.4", "1e5"])
def test_bad_amounts_refused(text):
    with pytest.raises(ValueError):
        purchases.parse_amount(text)


# --- Saving: audit only on change -----------------------------------------------------------

def test_save_audits_only_changed_rows(chatellerault):
    changed = purchases.save_purchases(chatellerault, 2025, {
        FURNITURE: figures("1000", "200", "50"), IT: figures("5000", "400")},
        actor_label="fin@chatellerault.example")
    assert changed == 2
    assert AgecFigureChange.objects.filter(authority=chatellerault).count() == 2

    # Same figures again, IT changed, paper untouched (None = nothing entered).
    changed = purchases.save_purchases(chatellerault, 2025, {
        FURNITURE: figures("1000", "200", "50"), IT: figures("5000", "450"), PAPER: None},
        actor_label="fin2@chatellerault.example")
    assert changed == 1
    change = AgecFigureChange.objects.filter(authority=chatellerault).order_by("-id").first()
    assert (change.category, change.actor_label, change.channel) == (
        IT, "fin2@chatellerault.example", FigureChannel.FORM)
    assert change.before == {"total_eur": "5000.00", "reuse_eur": "400.00",
                             "recycled_eur": "0.00"}
    assert change.after["reuse_eur"] == "450.00"
    assert agec_purchases(chatellerault, 2025) == {
        IT: figures("5000.00", "450.00"), FURNITURE: figures("1000.00", "200.00", "50.00")}
    assert list(agec_purchases(chatellerault, 2025)) == [IT, FURNITURE]  # enum order

    # Clearing a row removes it, audited with an empty "after".
    assert purchases.save_purchases(chatellerault, 2025, {IT: None}, actor_label="x") == 1
    assert not AgecPurchase.objects.filter(authority=chatellerault, category=IT).exists()
    assert AgecFigureChange.objects.filter(authority=chatellerault).order_by(
        "-id").first().after == {}
    assert purchase_years(chatellerault) == [2025]


def test_rule_errors_write_nothing(chatellerault):
    with pytest.raises(purchases.PurchaseErrors) as refused:
        purchases.save_purchases(chatellerault, 2025, {
            FURNITURE: figures("100", "50"), IT: figures("100", "150", "101")},
            actor_label="x")
    assert refused.value.by_category == {IT: {
        "reuse_eur": "La part issue du réemploi ne peut pas dépasser le total.",
        "recycled_eur": "La part intégrant des matières recyclées ne peut pas dépasser le total."}}
    assert not AgecPurchase.objects.filter(authority=chatellerault).exists()
    assert not AgecFigureChange.objects.exists()


@pytest.mark.parametrize("values", [
    {"total_eur": Decimal("10"), "reuse_eur": Decimal("11")},
    {"total_eur": Decimal("10"), "recycled_eur": Decimal("11")},
    {"total_eur": Decimal("-1")},
])
def test_database_constraints(chatellerault, values):
    with pytest.raises(IntegrityError), transaction.atomic():
        AgecPurchase.objects.create(authority=chatellerault, year=2025, category=PAPER,
                                    **values)


def test_unique_per_category_and_year(chatellerault):
    AgecPurchase.objects.create(authority=chatellerault, year=2025, category=PAPER,
                                total_eur=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        AgecPurchase.objects.create(authority=chatellerault, year=2025, category=PAPER,
                                    total_eur=2)


# --- Donations received elsewhere -------------------------------------------------------

def test_external_donations_added_and_removed_audited(chatellerault, grand_chatellerault):
    first = purchases.add_external_donation(
        chatellerault, year=2025, category=FURNITURE, amount_eur=Decimal("300.00"),
        source=DonationSource.STATE_SITE, description="Bureaux", actor_label="fin")
    purchases.add_external_donation(
        chatellerault, year=2025, category=FURNITURE, amount_eur=Decimal("20.50"),
        source=DonationSource.PARTNER, actor_label="fin")
    purchases.add_external_donation(
        grand_chatellerault, year=2025, category=FURNITURE, amount_eur=Decimal("999"),
        source=DonationSource.OTHER, actor_label="other")
    assert external_donations_by_category(chatellerault, 2025) == {FURNITURE: Decimal("320.50")}
    with pytest.raises(ExternalDonation.DoesNotExist):
        purchases.delete_external_donation(grand_chatellerault, first.pk, actor_label="other")
    purchases.delete_external_donation(chatellerault, first.pk, actor_label="fin")
    assert external_donations_by_category(chatellerault, 2025) == {FURNITURE: Decimal("20.50")}
    kinds = list(AgecFigureChange.objects.filter(authority=chatellerault).order_by("id")
                 .values_list("what", "before", "after"))
    assert len(kinds) == 3 and kinds[2][0] == "donation"
    assert kinds[2][1]["amount_eur"] == "300.00" and kinds[2][2] == {}


def test_donation_with_unknown_category_refused(chatellerault):
    with pytest.raises(ValidationError):
        purchases.add_external_donation(chatellerault, year=2025, category="Chaises",
                                        amount_eur=Decimal("1"), source="other",
                                        actor_label="x")


# --- Import --------------------------------------------------------------------------------

CSV_EXPORT = (
    "Catégorie AGEC;Montant HT;Dont réemploi;Dont recyclé;Fournisseur\n"
    "mobilier et amenagement d'interieur;1 555,00;300,00;;Ameublement SA\n"
    "MOBILIER ET AMÉNAGEMENT D'INTÉRIEUR;445 €;;100;Bois & Co\n"
    "Papier;1200.50;0;1200.50;Papeterie\n"
    ";;;;\n"
)


def test_mapping_guessed_from_headers():
    table = purchases.read_table("export.csv", CSV_EXPORT.encode())
    assert purchases.guess_mapping(table.headers) == {
        "category": 0, "total": 1, "reuse": 2, "recycled": 3}
    assert purchases.guess_mapping(["LIBELLE", "Famille", "Montant total TTC",
                                    "Montant réutilisation", "Part recyclée"]) == {
        "category": 1, "total": 2, "reuse": 3, "recycled": 4}
    assert purchases.guess_mapping(["a", "b"]) == {
        "category": None, "total": None, "reuse": None, "recycled": None}


def test_import_sums_per_category_and_applies(chatellerault):
    purchases.save_purchases(chatellerault, 2025, {IT: figures("10")}, actor_label="x")
    table = purchases.read_table("export.csv", CSV_EXPORT.encode("cp1252"))
    mapping = purchases.guess_mapping(table.headers)
    preview = purchases.build_preview(table, mapping)
    assert preview.errors == [] and preview.is_valid
    assert preview.totals == {PAPER: figures("1200.50", "0", "1200.50"),
                              FURNITURE: figures("2000.00", "300.00", "100.00")}
    assert purchases.apply_import(chatellerault, 2025, table, mapping,
                                  actor_label="fin") == 2
    assert agec_purchases(chatellerault, 2025) == {
        IT: figures("10"), PAPER: figures("1200.50", "0", "1200.50"),
        FURNITURE: figures("2000.00", "300.00", "100.00")}
    assert set(AgecFigureChange.objects.filter(channel=FigureChannel.IMPORT)
               .values_list("category", flat=True)) == {PAPER, FURNITURE}


def test_import_all_or_nothing_with_line_numbers(chatellerault):
    text = ("categorie;total;reemploi\n"
            "Papier;100;10\n"
            "Chaises;50;0\n"
            "Papier;abc;0\n"
            "Jeux et jouets;10;20\n")
    table = purchases.read_table("x.csv", text.encode())
    mapping = purchases.guess_mapping(table.headers)
    preview = purchases.build_preview(table, mapping)
    assert not preview.is_valid
    assert preview.unknown_categories == [(3, "Chaises")]
    lines = [line for line, _m in preview.errors]
    assert lines == [3, 4, None]
    assert "Jeux et jouets" in preview.errors[2][1] and "5" in preview.errors[2][1]
    with pytest.raises(ValidationError) as refused:
        purchases.apply_import(chatellerault, 2025, table, mapping, actor_label="fin")
    assert any(m.startswith("Ligne 3 :") for m in refused.value.messages)
    assert not AgecPurchase.objects.filter(authority=chatellerault).exists()
    assert not AgecFigureChange.objects.exists()


def test_mapping_must_name_category_and_total():
    table = purchases.read_table("x.csv", b"a;b\nPapier;1\n")
    preview = purchases.build_preview(table, {"category": 0, "total": None, "reuse": None,
                                              "recycled": None})
    assert preview.errors == [(None, "Choisissez la colonne du total des achats.")]
    preview = purchases.build_preview(table, {"category": 0, "total": 0, "reuse": None,
                                              "recycled": None})
    assert (None, "Une même colonne ne peut pas servir deux fois.") in preview.errors


def _xlsx(rows, formula=False) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    if formula:
        sheet["B4"] = "=B2+B3"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_xlsx_read_values_never_formulas():
    data = _xlsx([["Type de produit", "Montant HT"], ["Papier", 1555.5], ["Papier", 4],
                  [None, None], ["Papier", 0.1 * 3]], formula=True)
    table = purchases.read_table("compta.xlsx", data)
    assert table.headers == ["Type de produit", "Montant HT"]
    assert table.rows[:2] == [["Papier", "1555.5"], ["Papier", "4"]]
    assert table.rows[3] == ["Papier", "0.3"]  # binary noise of a computed cell dropped
    # The formula cell has no stored value (never computed by Excel): read as empty,
    # so the line has no category and is reported, not evaluated.
    assert table.rows[2] == ["", ""]


@pytest.mark.parametrize("name, data, code", [
    ("x.pdf", b"%PDF-1.4", "extension"),
    ("x.xlsx", b"categorie;total\n", "content"),
    ("x.csv", b"PK\x03\x04rest", "content"),
    ("x.csv", b"", "empty"),
    ("x.csv", b"a" * (purchases.MAX_IMPORT_BYTES + 1), "too_large"),
    ("x.xlsx", b"PK\x03\x04not a zip at all", "content"),
])
def test_uploads_validated(name, data, code):
    with pytest.raises(ValidationError) as refused:
        purchases.read_table(name, data)
    assert refused.value.code == code


def test_too_many_rows_refused():
    data = "categorie;total\n" + "Papier;1\n" * (purchases.MAX_IMPORT_ROWS + 1)
    with pytest.raises(ValidationError) as refused:
        purchases.read_table("x.csv", data.encode())
    assert refused.value.code == "too_many_rows"


# --- Permissions ------------------------------------------------------------------------

@pytest.fixture
def people(chatellerault):
    with in_authority(chatellerault):
        return {"agent": agent(email="agent.achats@chatellerault.example"),
                "moderator": moderator(email="mod.achats@chatellerault.example"),
                "finance": finance(email="finance.achats@chatellerault.example"),
                "admin": authority_admin(email="admin.achats@chatellerault.example")}


def _form_data(values: dict[str, tuple[str, str, str]]) -> dict:
    data = {}
    for i, label in enumerate(LABELS):
        total, reuse, recycled = values.get(label, ("", "", ""))
        data.update({f"c{i}-total": total, f"c{i}-reuse": reuse, f"c{i}-recycled": recycled})
    return data


PAGE = "/listings/moderation/agec/2025/purchases/"


@pytest.mark.parametrize("who, get, post", [
    ("agent", 403, 403), ("moderator", 200, 403), ("finance", 200, 302), ("admin", 200, 302)])
def test_who_may_read_and_write(chatellerault, people, who, get, post):
    client = client_for(chatellerault, people[who])
    assert client.get(PAGE).status_code == get
    assert client.post(PAGE, _form_data({PAPER: ("10", "", "")})).status_code == post
    assert AgecPurchase.objects.filter(authority=chatellerault).exists() == (post == 302)
    for name, kwargs in [("agec_purchases_import", {"year": 2025}),
                         ("agec_donations", {"year": 2025})]:
        status = client.get(reverse(f"statistics:{name}", kwargs=kwargs)).status_code
        if name == "agec_purchases_import":
            assert status == (200 if post == 302 else 403)
        else:
            assert status == get
    assert client.get(reverse("statistics:agec_history")).status_code == get


def test_admin_assigns_the_finance_role_on_the_users_page(chatellerault, people):
    member = people["agent"]
    client = client_for(chatellerault, people["admin"])
    form = client.get(f"/accounts/admin/users/{member.pk}/").content.decode()
    assert 'value="finance"' in form and "Finances" in form
    assert client.post(f"/accounts/admin/users/{member.pk}/",
                       {"roles": ["agent", "finance"], "is_active": "on"}).status_code == 302
    with in_authority(chatellerault):
        member.refresh_from_db()
    assert member.roles == ["agent", "finance"]
    assert client_for(chatellerault, member).post(
        PAGE, _form_data({PAPER: ("10", "", "")})).status_code == 302


def test_finance_reaches_the_agec_page_but_not_moderation(chatellerault, people):
    client = client_for(chatellerault, people["finance"])
    html = client.get(reverse("statistics:agec_report") + "?year=2025").content.decode()
    assert reverse("statistics:agec_purchases", kwargs={"year": 2025}) in html
    assert client.get(reverse("statistics:moderation_report")).status_code == 403


def test_other_authority_never_sees_the_figures(chatellerault, grand_chatellerault):
    purchases.save_purchases(chatellerault, 2025, {PAPER: figures("98765.43", "123.45")},
                             actor_label="secret.finance@chatellerault.example")
    donation = purchases.add_external_donation(
        chatellerault, year=2025, category=PAPER, amount_eur=Decimal("4567.89"),
        source="other", actor_label="secret.finance@chatellerault.example")
    with in_authority(grand_chatellerault):
        other = authority_admin(email="admin.achats@grand-chatellerault.example")
    client = client_for(grand_chatellerault, other)
    for url in [PAGE, reverse("statistics:agec_donations", kwargs={"year": 2025}),
                reverse("statistics:agec_history"),
                reverse("statistics:agec_history") + "?year=2025"]:
        html = client.get(url).content.decode()
        for secret in ["98765", "98 765", "4567", "4 567", "secret.finance"]:
            assert secret not in html, (url, secret)
    assert client.post(reverse("statistics:agec_donation_delete",
                               kwargs={"pk": donation.pk})).status_code == 404
    assert ExternalDonation.objects.filter(pk=donation.pk).exists()


# --- Views --------------------------------------------------------------------------------

def test_form_keeps_typed_values_and_shows_errors_beside_fields(chatellerault, people):
    client = client_for(chatellerault, people["finance"])
    data = _form_data({PAPER: ("1 555,00", "2 000", ""), IT: ("abc", "", ""),
                       FURNITURE: ("", "10", "")})
    response = client.post(PAGE, data)
    assert response.status_code == 400
    html = response.content.decode()
    paper, it, furniture = (LABELS.index(x) for x in (PAPER, IT, FURNITURE))
    assert f'name="c{paper}-total" id="id_c{paper}-total" value="1 555,00"' in html
    assert f'name="c{paper}-reuse" id="id_c{paper}-reuse" value="2 000"' in html
    assert (f'id="id_c{paper}-reuse-error">La part issue du réemploi ne peut pas dépasser '
            'le total.') in html
    assert f'name="c{it}-total" id="id_c{it}-total" value="abc"' in html
    assert f'id="id_c{it}-total-error">« abc » n&#x27;est pas un montant en euros.' in html
    assert f'id="id_c{furniture}-total-error">Saisissez le total des achats' in html
    assert not AgecPurchase.objects.filter(authority=chatellerault).exists()


def test_form_saves_and_shows_french_amounts(chatellerault, people):
    client = client_for(chatellerault, people["finance"])
    assert client.post(PAGE, _form_data({PAPER: ("1 555,00", "300", "12.5")})).status_code \
        == 302
    assert agec_purchases(chatellerault, 2025) == {PAPER: figures("1555", "300", "12.5")}
    html = client.get(PAGE).content.decode()
    assert 'value="1 555,00"' in html and 'value="12,50"' in html
    # Posting the page back unchanged changes nothing and audits nothing.
    assert AgecFigureChange.objects.count() == 1
    client.post(PAGE, _form_data({PAPER: ("1 555,00", "300,00", "12,50")}))
    assert AgecFigureChange.objects.count() == 1


def test_import_flow_pages(chatellerault, people):
    client = client_for(chatellerault, people["finance"])
    upload_url = reverse("statistics:agec_purchases_import", kwargs={"year": 2025})
    mapping_url = reverse("statistics:agec_purchases_mapping", kwargs={"year": 2025})
    assert client.get(mapping_url).status_code == 302  # nothing uploaded yet
    bad = client.post(upload_url, {"file": _named(b"%PDF-1.4", "x.pdf")})
    assert bad.status_code == 400 and "Importez un fichier .csv ou .xlsx." in bad.content.decode()
    response = client.post(upload_url, {"file": _named(CSV_EXPORT.encode(), "export.csv")})
    assert response.status_code == 302 and response.url == mapping_url
    html = client.get(mapping_url).content.decode()
    assert '<option value="0" selected>Catégorie AGEC</option>' in html
    assert '<option value="2" selected>Dont réemploi</option>' in html
    token = re.search(r'name="token" value="([0-9a-f]+)"', html).group(1)
    chosen = {"category": "0", "total": "1", "reuse": "2", "recycled": "3", "token": token}
    preview = client.post(mapping_url, {**chosen, "action": "preview"})
    assert preview.status_code == 200 and 'id="import-apply"' in preview.content.decode()
    assert not AgecPurchase.objects.exists()
    done = client.post(mapping_url, {**chosen, "action": "apply"})
    assert done.status_code == 302
    assert agec_purchases(chatellerault, 2025)[FURNITURE] == figures("2000", "300", "100")


def test_import_errors_listed_with_lines(chatellerault, people):
    client = client_for(chatellerault, people["admin"])
    client.post(reverse("statistics:agec_purchases_import", kwargs={"year": 2025}),
                {"file": _named(b"categorie;total\nPapier;10\nChaises;5\n", "a.csv")})
    mapping_url = reverse("statistics:agec_purchases_mapping", kwargs={"year": 2025})
    chosen = {"category": "0", "total": "1", "reuse": "", "recycled": "",
              "token": client.session["agec_import"]["token"]}
    response = client.post(mapping_url, {**chosen, "action": "apply"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "Ligne 3 :" in html and "catégorie inconnue « Chaises »" in html
    assert 'id="import-apply"' not in html
    assert not AgecPurchase.objects.exists()


def test_apply_refused_when_another_file_was_uploaded_since(chatellerault, people):
    client = client_for(chatellerault, people["finance"])
    upload_url = reverse("statistics:agec_purchases_import", kwargs={"year": 2025})
    mapping_url = reverse("statistics:agec_purchases_mapping", kwargs={"year": 2025})
    client.post(upload_url, {"file": _named(b"categorie;total\nPapier;10\n", "a.csv")})
    first = client.session["agec_import"]["token"]
    client.post(upload_url, {"file": _named(b"categorie;total\nPapier;99\n", "b.csv")})
    chosen = {"category": "0", "total": "1", "reuse": "", "recycled": ""}
    stale = client.post(mapping_url, {**chosen, "token": first, "action": "apply"})
    assert stale.status_code == 302 and stale.url == mapping_url
    assert not AgecPurchase.objects.exists()
    fresh = client.session["agec_import"]["token"]
    assert client.post(mapping_url, {**chosen, "token": fresh, "action": "apply"}
                       ).status_code == 302
    assert agec_purchases(chatellerault, 2025) == {PAPER: figures("99")}


def test_donations_list_query_count_bounded(chatellerault, people,
                                            django_assert_max_num_queries):
    for n in range(30):
        purchases.add_external_donation(chatellerault, year=2025, category=LABELS[n % 17],
                                        amount_eur=Decimal(n + 1), source="other",
                                        actor_label="fin")
    client = client_for(chatellerault, people["finance"])
    url = reverse("statistics:agec_donations", kwargs={"year": 2025})
    client.get(url)  # warm the session
    with django_assert_max_num_queries(12):
        response = client.get(url)
    assert response.content.decode().count("data-donation=") == 30


def test_donations_page(chatellerault, people):
    client = client_for(chatellerault, people["finance"])
    url = reverse("statistics:agec_donations", kwargs={"year": 2025})
    bad = client.post(url, {"category": PAPER, "amount_eur": "douze", "source": "partner",
                            "description": "Ramettes", "received_on": "2024-03-01"})
    assert bad.status_code == 400
    html = bad.content.decode()
    assert "« douze » n&#x27;est pas un montant en euros." in html
    assert "La date de réception doit être en 2025." in html
    assert 'value="Ramettes"' in html
    assert client.post(url, {"category": PAPER, "amount_eur": "1 200,00",
                             "source": "state_site", "received_on": "2025-03-01"}
                       ).status_code == 302
    assert external_donations_by_category(chatellerault, 2025) == {PAPER: Decimal("1200.00")}
    assert "1200.00" in client.get(url).content.decode()
    donation = ExternalDonation.objects.get()
    assert client.post(reverse("statistics:agec_donation_delete",
                               kwargs={"pk": donation.pk})).status_code == 302
    assert not ExternalDonation.objects.exists()
    history = client.get(reverse("statistics:agec_history") + "?year=2025").content.decode()
    assert history.count("finance.achats@chatellerault.example") == 2


def test_history_query_count_bounded(chatellerault, people, django_assert_max_num_queries):
    for n in range(30):
        purchases.save_purchases(chatellerault, 2025, {PAPER: figures(str(n + 1))},
                                 actor_label="fin")
    client = client_for(chatellerault, people["moderator"])
    client.get(reverse("statistics:agec_history"))  # warm the session
    with django_assert_max_num_queries(12):
        response = client.get(reverse("statistics:agec_history"))
    assert response.content.decode().count("<td>Papier</td>") == 30


def _named(data: bytes, name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data)


# --- Demo -------------------------------------------------------------------------------

def test_demo_purchases_cover_the_reuse_and_are_seeded_once(chatellerault):
    today = date(2026, 6, 1)
    TransferFactFactory(authority=chatellerault, transfer_id=1, listing_id=1,
                        date=date(2026, 3, 1), category="ecran", reference_code="ecran",
                        destination="same_authority", quantity=1,
                        value_eur=Decimal("20000.00"))
    assert seed_demo_purchases(chatellerault, today) > 10
    current = agec_purchases(chatellerault, 2026)
    assert set(agec_purchases(chatellerault, 2025)) == set(current)
    # Ten times the platform's reuse, above the town's usual 95,000 €.
    assert current[IT].total_eur == Decimal("200000.00")
    for label, value in current.items():
        assert value.reuse_eur <= value.total_eur and value.recycled_eur <= value.total_eur
        assert value.total_eur > 0, label
    assert seed_demo_purchases(chatellerault, today) == 0


# --- API ----------------------------------------------------------------------------------

def test_api_reads_the_years_purchases(chatellerault, grand_chatellerault, people):
    purchases.save_purchases(chatellerault, 2025, {
        PAPER: figures("1555.00", "0", "900.50"), FURNITURE: figures("100", "10")},
        actor_label="fin")
    purchases.add_external_donation(chatellerault, year=2025, category=PAPER,
                                    amount_eur=Decimal("12.30"), source="partner",
                                    actor_label="fin")
    url = f"{API}/stats/agec-purchases/?year=2025"
    body = api(chatellerault, people["finance"]).get(url).json()
    assert body == {"year": 2025, "purchases": [
        {"category": PAPER, "total_eur": 1555.0, "reuse_eur": 0.0, "recycled_eur": 900.5},
        {"category": FURNITURE, "total_eur": 100.0, "reuse_eur": 10.0, "recycled_eur": 0.0}],
        "external_donations": [{"category": PAPER, "amount_eur": 12.3}]}
    assert api(chatellerault, people["moderator"]).get(url).status_code == 200
    assert api(chatellerault, people["agent"]).get(url).status_code == 403
    bad = api(chatellerault, people["moderator"]).get(f"{API}/stats/agec-purchases/?year=12")
    assert bad.status_code == 400 and "year" in bad.json()["errors"]
    with in_authority(grand_chatellerault):
        other = moderator(email="mod.api@grand-chatellerault.example")
    assert api(grand_chatellerault, other).get(url).json() == {
        "year": 2025, "purchases": [], "external_donations": []}


def test_xlsx_that_inflates_too_much_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"0" * (purchases.MAX_XLSX_UNCOMPRESSED + 1))
    assert len(buffer.getvalue()) < purchases.MAX_IMPORT_BYTES
    with pytest.raises(ValidationError) as refused:
        purchases.read_table("bombe.xlsx", buffer.getvalue())
    assert refused.value.code == "content"


def test_history_names_the_fields(chatellerault, people):
    purchases.save_purchases(chatellerault, 2025, {PAPER: figures("10")}, actor_label="fin")
    purchases.save_purchases(chatellerault, 2025, {PAPER: figures("12")}, actor_label="fin")
    html = client_for(chatellerault, people["moderator"]).get(
        reverse("statistics:agec_history") + "?year=2025").content.decode()
    assert ('<td class="before">Total des achats HT (€) : 10,00 ; dont issus du réemploi '
            '(€) : 0,00 ; dont intégrant des matières recyclées (€) : 0,00</td>') in html
    assert '<td class="after">Total des achats HT (€) : 12,00 ;' in html
