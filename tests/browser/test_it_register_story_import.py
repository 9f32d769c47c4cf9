"""The inventory import in a browser, on chatellerault.localhost: Léa (IT team) uploads
her inventory, saved as CSV by a French Excel (Windows-1252); she chooses the serial
number's column, which the page could not guess → the preview names the one bad line
(an unknown place) and offers no import → she uploads the corrected file, previews,
imports: the three assets are in the register, their history names the file → at her
next upload, the columns she confirmed are proposed again. She exports the register.

(Named to run after test_it_register_story.py, which counts the demo's three hundred assets
in the same served instance.)"""

import re
import uuid

import pytest
from playwright.sync_api import expect

from tests.browser.test_login import sign_in

pytestmark = pytest.mark.browser

SLUG = "chatellerault"
HEADERS = "Nom;Type;Fabricant;Modèle;N° de fabrication;Lieu;Statut;Date d'achat"


def inventory(tmp_path, name: str, prefix: str, place: str):
    lines = [HEADERS,
             f"PC-1;Ordinateur;Lenovo;ThinkPad T14;{prefix}1;École Jules Ferry;En service;"
             "01/03/2021",
             f"PC-2;Moniteur;Iiyama;ProLite;{prefix}2;{place};En stock;2019-05-02",
             f"TEL-3;Téléphone;Samsung;Galaxy A52;{prefix}3;;En panne;"]
    path = tmp_path / name
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("cp1252"))
    return path


def test_import_an_inventory_line_errors_then_all_lines(served_instance, browser, tmp_path):
    prefix = f"IMP{uuid.uuid4().hex[:6].upper()}-"
    url = served_instance.url
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    sign_in(page, served_instance, SLUG, "informatique@chatellerault.example")
    page.goto(url(SLUG, "/it/"))
    page.get_by_role("link", name="Importer un inventaire").click()
    expect(page).to_have_url(re.compile(r"/it/import/$"))

    # 1. A file with an unknown place: the columns, then the preview names line 3.
    page.set_input_files("#id_file", str(inventory(tmp_path, "inventaire.csv", prefix,
                                                   "Piscine")))
    page.click("#inventory-upload-form button[type=submit]")
    expect(page).to_have_url(re.compile(r"/it/import/columns/$"))
    expect(page.locator("#id_kind")).to_have_value("1")
    expect(page.locator("#id_location")).to_have_value("5")
    expect(page.locator("#id_serial_number")).to_have_value("")  # not a name it knows
    page.select_option("#id_serial_number", "4")
    page.click("#inventory-preview")
    error = page.locator("#inventory-errors tr.inventory-error")
    expect(error).to_have_count(1)
    expect(error).to_have_attribute("data-line", "3")
    expect(error).to_contain_text("Lieu")
    expect(error).to_contain_text("lieu « Piscine » inconnu")
    expect(error).to_contain_text("École Jules Ferry")
    expect(page.locator("#inventory-import")).to_have_count(0)

    # 2. The corrected file: preview, then import all three lines.
    page.get_by_role("link", name="Importer un inventaire").click()
    page.set_input_files("#id_file", str(inventory(tmp_path, "inventaire-corrige.csv",
                                                   prefix, "Médiathèque centrale")))
    page.click("#inventory-upload-form button[type=submit]")
    page.select_option("#id_serial_number", "4")
    page.click("#inventory-preview")
    expect(page.locator("#inventory-preview-table tbody tr")).to_have_count(3)
    page.get_by_role("button", name="Importer 3 matériels").click()
    expect(page).to_have_url(re.compile(r"/it/$"))
    expect(page.locator(".messages")).to_contain_text("Import terminé : 3 matériel(s)")
    page.goto(url(SLUG, f"/it/?q={prefix}"))
    expect(page.locator("table.itassets tbody tr")).to_have_count(3)
    page.get_by_role("link", name="Écran Iiyama ProLite").click()
    expect(page.locator(".serial-number")).to_have_text(f"{prefix}2")
    expect(page.locator(".itasset-history .itasset-import")).to_have_text(
        "importé depuis « inventaire-corrige.csv »")

    # 3. The next upload proposes the columns she confirmed.
    page.goto(url(SLUG, "/it/import/"))
    expect(page.locator(".itasset-imports")).to_contain_text("inventaire-corrige.csv")
    page.set_input_files("#id_file", str(inventory(tmp_path, "suivant.csv", f"{prefix}B",
                                                   "")))
    page.click("#inventory-upload-form button[type=submit]")
    expect(page.locator("#id_serial_number")).to_have_value("4")

    # 4. The register's export, in the columns the import reads.
    page.goto(url(SLUG, "/it/"))
    with page.expect_download() as download:
        page.get_by_role("link", name="Exporter (CSV)").click()
    exported = download.value.path().read_text(encoding="utf-8-sig")
    assert exported.splitlines()[0].startswith("Type;Fabricant;Modèle;Numéro de série;")
    assert f"{prefix}2" in exported
