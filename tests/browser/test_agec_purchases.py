"""AGEC purchases in a browser (issue 16): the finance team, from the « Loi AGEC » page,
enters a category's purchases (a wrong figure is refused beside its field, the typed
values kept), imports its accounting export with a column mapping it confirms, records
a donation received elsewhere, and finds every change in the history."""

from __future__ import annotations

from datetime import date

import pytest
from playwright.sync_api import expect

from analytics.agec_categories import agec_categories
from tests.browser.test_login import sign_in

pytestmark = pytest.mark.browser

SLUG = "chatellerault"
FINANCE = "finances@chatellerault.example"
JARS = "Bocaux et flacons"
TOYS = "Jeux et jouets"
SPORT = "Articles et équipement sportifs"


def test_finance_enters_and_imports_purchases(served_instance, browser, tmp_path):
    year = date.today().year
    index = agec_categories().index(JARS)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    sign_in(page, served_instance, SLUG, FINANCE)
    page.goto(served_instance.url(SLUG, f"/listings/moderation/agec/?year={year}"))
    page.get_by_role("link", name="Achats de l'année").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"Achats de l'année {year}")

    # A reuse part above the total: refused beside the field, typed values kept.
    row = page.locator(f"tr[data-category='{JARS}']")
    row.locator(f"#id_c{index}-total").fill("1 555,00")
    row.locator(f"#id_c{index}-reuse").fill("2 000")
    page.click("#save-purchases")
    expect(page.locator(f"#id_c{index}-reuse-error")).to_contain_text(
        "ne peut pas dépasser le total")
    expect(page.locator(f"#id_c{index}-total")).to_have_value("1 555,00")
    expect(page.locator(f"#id_c{index}-reuse")).to_have_value("2 000")
    page.locator(f"#id_c{index}-reuse").fill("300")
    page.click("#save-purchases")
    expect(page.locator(".messages")).to_contain_text("1 ligne(s) modifiée(s)")
    expect(page.locator(f"#id_c{index}-total")).to_have_value("1 555,00")
    expect(page.locator(f"#id_c{index}-reuse")).to_have_value("300,00")

    # The import: a column the guess cannot name is chosen by hand.
    export = tmp_path / "compta.csv"
    export.write_text("Libellé;Montant HT;Part réemploi;Matières secondaires\n"
                      f"{TOYS.upper()};4 200,00 €;420;\n"
                      f"{SPORT};1 000;0;250\n"
                      f"{SPORT};500,50;;\n", encoding="utf-8")
    page.get_by_role("link", name="Import", exact=True).click()
    page.set_input_files("#id_file", str(export))
    page.click("#import-upload-form button[type=submit]")
    expect(page.locator("#id_total")).to_have_value("1")
    expect(page.locator("#id_reuse")).to_have_value("2")
    expect(page.locator("#id_category")).to_have_value("")  # « Libellé » is not guessed
    page.select_option("#id_category", "0")
    page.select_option("#id_recycled", "3")
    page.click("#import-preview")
    preview = page.locator(f"#table-preview tr[data-category='{SPORT}']")
    expect(preview.locator(".total")).to_have_text("1\xa0500,50")  # French, a no-break space
    expect(preview.locator(".recycled")).to_have_text("250,00")
    page.click("#import-apply")
    expect(page.locator(".messages")).to_contain_text("Import terminé : 2 ligne(s)")
    toys = agec_categories().index(TOYS)
    expect(page.locator(f"#id_c{toys}-total")).to_have_value("4 200,00")
    expect(page.locator(f"#id_c{toys}-reuse")).to_have_value("420,00")
    # Categories absent from the file kept their figures.
    expect(page.locator(f"#id_c{index}-total")).to_have_value("1 555,00")

    # A donation received from the State's donation site.
    page.get_by_role("link", name="Dons reçus hors plateforme").click()
    page.select_option("#id_category", JARS)
    page.fill("#id_amount_eur", "douze")
    page.select_option("#id_source", "state_site")
    page.fill("#id_description", "Bocaux de la préfecture")
    page.click("#donation-form button[type=submit]")
    expect(page.locator("#donation-form")).to_contain_text("n'est pas un montant en euros")
    expect(page.locator("#id_description")).to_have_value("Bocaux de la préfecture")
    page.fill("#id_amount_eur", "120,00")
    page.click("#donation-form button[type=submit]")
    expect(page.locator("#table-donations")).to_contain_text("Bocaux de la préfecture")

    page.get_by_role("link", name="Historique", exact=True).click()
    history = page.locator("#table-history")
    expect(history).to_contain_text(FINANCE)
    expect(history.locator("tr", has_text="Import")).to_have_count(2)
    expect(history.locator("tr", has_text=JARS)).to_have_count(2)
    context.close()
