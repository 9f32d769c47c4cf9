"""The « Loi AGEC » page in a browser (issue 16): a moderator of the demo authority (its
SIRET and the year's purchases entered by the demo) sees the share reached per category
next to the decree's minimum, downloads the declaration, and data.gouv.fr's validator
(frictionless, the official Table Schema) finds 0 errors in it. A year with nothing
entered lists what is missing and serves no file."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from playwright.sync_api import expect

from tests.analytics.agec_validation import validation_errors
from tests.browser.test_login import sign_in

pytestmark = pytest.mark.browser

SLUG = "chatellerault"


def test_moderator_downloads_a_declaration_that_validates(served_instance, browser,
                                                          tmp_path):
    context = browser.new_context(viewport={"width": 1280, "height": 900},
                                  accept_downloads=True)
    page = context.new_page()
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    page.on("pageerror", lambda error: console.append(str(error)))
    year = date.today().year

    sign_in(page, served_instance, SLUG, "moderateur@chatellerault.example")
    page.goto(served_instance.url(SLUG, "/listings/moderation/dashboard/"))
    page.click("nav.subnav a[href='/listings/moderation/agec/']")
    expect(page.locator("#declaration-ready")).to_be_visible()
    # The share reached, next to the decree's minimum, in French.
    furniture = page.locator("#table-agec tr[data-category=\"Mobilier et aménagement "
                             "d'intérieur\"]")
    expect(furniture.locator("td.reached")).to_contain_text(" %")
    expect(furniture.locator("td.share")).to_have_text("20 %")
    assert "," in furniture.locator("td.total").inner_text()  # 1 555,00 €
    expect(page.locator("#internal-reuse-wording")).to_contain_text("2° Au moyen de dons")

    with page.expect_download() as info:
        page.click("#export-agec-csv")
    download = info.value
    assert download.suggested_filename == f"collectivrecup-{SLUG}-agec-{year}.csv"
    content = download.path().read_bytes()
    assert validation_errors(content, tmp_path) == []
    rows = list(csv.DictReader(io.StringIO(content.decode("utf-8"))))
    assert rows and {row["annee"] for row in rows} == {str(year)}
    assert {row["siret"] for row in rows} == {"21860066600018"}
    # Every declared category is on the page, with the declared total.
    for row in rows:
        cell = page.locator(f"#table-agec tr[data-category=\"{row['type_produit_acquis']}\"]"
                            " td.total")
        expect(cell).to_have_attribute("data-value", row["montant_total"])

    # A year with nothing entered: what is missing, and no file.
    page.goto(served_instance.url(SLUG, "/listings/moderation/agec/?year=2019"))
    expect(page.locator("#declaration-missing li[data-missing='nothing']")).to_be_visible()
    expect(page.locator("#export-agec-csv")).to_have_count(0)
    response = page.goto(served_instance.url(
        SLUG, "/listings/moderation/agec/declaration.csv?year=2019"))
    assert response.status == 409
    expect(page.locator("#declaration-refused")).to_be_visible()

    assert not [m for m in console if "Content Security Policy" in m], console
    context.close()
