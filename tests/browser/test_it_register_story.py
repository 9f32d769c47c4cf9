"""The IT register in a browser, on chatellerault.localhost: Léa (IT team) finds the
demo's assets, adds a laptop → a second one with the same serial number is refused on
its field, what she typed kept → she moves the laptop to a school and its history shows
the move. Camille (agent) has no « Parc informatique » and is refused /it/."""

import re
import uuid

import pytest
from playwright.sync_api import expect

from tests.browser.test_login import sign_in

pytestmark = pytest.mark.browser

SLUG = "chatellerault"


def test_add_refuse_a_duplicate_move_and_read_the_history(served_instance, browser):
    serial = f"PF{uuid.uuid4().hex[:8].upper()}"
    url = served_instance.url
    staff = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    agent = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()

    # 1. Léa opens the register from the menu: the demo's three hundred assets, fifty a
    # page.
    sign_in(staff, served_instance, SLUG, "informatique@chatellerault.example")
    staff.goto(url(SLUG, "/"))
    staff.get_by_role("link", name="Parc informatique").click()
    expect(staff).to_have_url(re.compile(r"/it/$"))
    expect(staff.get_by_text("300 matériels")).to_be_visible()
    expect(staff.locator("table.itassets tbody tr")).to_have_count(50)

    # 2. She adds a laptop.
    staff.get_by_role("link", name="Ajouter un matériel").click()
    staff.select_option("#id_kind", "computer")
    staff.fill("#id_make", "Lenovo")
    staff.fill("#id_model", "ThinkPad T14")
    staff.fill("#id_serial_number", serial)
    staff.fill("#id_purchase_date", "2021-03-01")
    staff.get_by_role("button", name="Ajouter au registre").click()
    expect(staff).to_have_url(re.compile(r"/it/\d+/$"))
    asset_path = re.search(r"/it/\d+/", staff.url).group(0)
    expect(staff.locator(".serial-number")).to_have_text(serial)

    # 3. The same serial number again, in lower case: refused on its field, kept.
    staff.goto(url(SLUG, "/it/new/"))
    staff.select_option("#id_kind", "screen")
    staff.fill("#id_model", "ProLite")
    staff.fill("#id_serial_number", serial.lower())
    staff.get_by_role("button", name="Ajouter au registre").click()
    expect(staff.locator(".field-invalid .error")).to_contain_text("déjà au registre")
    expect(staff.locator("#id_serial_number")).to_have_value(serial.lower())
    expect(staff.locator("#id_model")).to_have_value("ProLite")

    # 4. She moves the laptop to a school: the history shows the move.
    staff.goto(url(SLUG, asset_path))
    staff.get_by_role("link", name="Modifier", exact=True).click()
    staff.select_option("#id_holder_site", index=1)
    staff.get_by_role("button", name="Enregistrer les modifications").click()
    expect(staff).to_have_url(re.compile(asset_path + "$"))
    expect(staff.locator(".itasset-history li > strong").first).to_have_text(
        "Changement de détenteur")

    # 5. The search finds it by its serial number.
    staff.goto(url(SLUG, f"/it/?q={serial[-5:]}"))
    expect(staff.locator("table.itassets tbody tr")).to_have_count(1)

    # 6. An agent has no register.
    sign_in(agent, served_instance, SLUG, "agent@chatellerault.example")
    expect(agent.get_by_role("link", name="Parc informatique")).to_have_count(0)
    response = agent.goto(url(SLUG, "/it/"))
    assert response.status == 403
