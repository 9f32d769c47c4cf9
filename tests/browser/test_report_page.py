"""The moderators' report in a browser: Chart.js draws both charts under the strict CSP,
the period changes, and each export downloads."""

from __future__ import annotations

import io
from datetime import date

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect
from pypdf import PdfReader

from tests.browser.test_login import sign_in

pytestmark = pytest.mark.browser

SLUG = "chatellerault"


def charts_drawn(page) -> int:
    return page.evaluate(
        "window.Chart && Chart.instances ? Object.keys(Chart.instances).length : 0")


def test_report_charts_period_and_exports(served_instance, browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900},
                                  accept_downloads=True)
    page = context.new_page()
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    page.on("pageerror", lambda error: console.append(str(error)))

    sign_in(page, served_instance, SLUG, "moderateur@chatellerault.example")
    page.goto(served_instance.url(SLUG, "/listings/moderation/dashboard/"))
    page.click("nav.subnav a[href='/listings/moderation/report/']")
    expect(page).to_have_url(served_instance.url(SLUG, "/listings/moderation/report/"))
    page.wait_for_function(
        "() => window.Chart && Object.keys(Chart.instances).length === 2")
    assert charts_drawn(page) == 2
    for canvas in ("#chart-months", "#chart-destinations"):
        assert page.eval_on_selector(canvas, "c => c.width") > 0
    assert page.locator("tr[data-month]").count() == 12

    # A custom period over the last two years: the demo closures are in it.
    today = date.today()
    page.select_option("#id_period", "custom")
    page.fill("#id_start", date(today.year - 1, 1, 1).isoformat())
    page.fill("#id_end", today.isoformat())
    page.click("#report-period button[type=submit]")
    page.wait_for_url(lambda url: "period=custom" in url)
    page.wait_for_function(
        "() => window.Chart && Object.keys(Chart.instances).length === 2")
    assert page.locator("tr[data-month]").count() == 12 + today.month
    assert int(page.locator("#total-exchanged").inner_text()) > 0

    files = {}
    for link in ("#export-transfers-csv", "#export-months-csv", "#export-xlsx",
                 "#export-received-csv", "#export-it-csv", "#export-pdf"):
        with page.expect_download() as info:
            page.click(link)
        download = info.value
        files[link] = (download.suggested_filename, download.path().read_bytes())
    name, content = files["#export-transfers-csv"]
    assert name.endswith(".csv")
    assert content.decode("utf-8").startswith("\ufeffdate;transfer_id;")
    assert len(content.decode("utf-8").splitlines()) > 1
    name, content = files["#export-months-csv"]
    assert content.decode("utf-8").startswith("\ufeffmonth;listings_posted;")
    assert len(content.decode("utf-8").splitlines()) == 1 + 12 + today.month
    name, content = files["#export-xlsx"]
    assert name.endswith(".xlsx")
    workbook = load_workbook(io.BytesIO(content))
    assert workbook.sheetnames == ["Transferts", "Par mois", "Reçus d'autres collectivités",
                                   "Informatique"]
    assert workbook["Transferts"].max_row > 1
    name, content = files["#export-it-csv"]
    assert name.endswith(".it.csv")
    assert content.decode("utf-8").startswith("\ufeffitem_type;retired;reconditioned;")

    name, content = files["#export-received-csv"]
    assert content.decode("utf-8").startswith("\ufeffdate;giver_authority;")
    name, content = files["#export-pdf"]
    assert name.endswith(".pdf")
    fiche = " ".join(" ".join(page.extract_text() for page in PdfReader(
        io.BytesIO(content)).pages).split())
    assert "Résultats quantitatifs" in fiche
    assert f"Annonces ayant trouvé preneur {page.locator('#total-exchanged').inner_text()}" \
        in fiche
    assert f"Loi AGEC {today.year}" in fiche  # the share reached (tests/browser/test_agec_page.py)
    # The AGEC declaration is served only when it validates: the report links to the
    # AGEC page, where it is downloaded (tests/browser/test_agec_page.py).
    assert page.get_attribute("#link-agec", "href") == (
        f"/listings/moderation/agec/?year={today.year}#agec-declaration")

    # The received section and the AGEC page, from the sub-navigation.
    assert page.locator("#received-figures").is_visible()
    page.click("nav.subnav a[href='/listings/moderation/agec/']")
    expect(page.locator("#table-agec")).to_be_visible()
    page.click("nav.subnav a[href='/listings/moderation/weights/']")
    expect(page.locator("#table-campaigns")).to_be_visible()

    assert not [m for m in console if "Content Security Policy" in m], console
    context.close()
