"""Lending equipment in a browser, on chatellerault.localhost: Camille's service
registers crowd barriers with a photo → Julien books 20 for a Saturday → Camille
approves → a booking of 15 more the same day is refused (stock 30), typed values kept →
pickup → return with one damaged, noted on the item."""

import re
import uuid
from datetime import date, timedelta

import pytest
from playwright.sync_api import expect

from tests.browser.test_listing_story import jpeg_bytes
from tests.browser.test_login import sign_in

pytestmark = pytest.mark.browser

SLUG = "chatellerault"


def a_saturday() -> date:
    """A Saturday some weeks ahead (clear of the demo's next Saturday)."""
    today = date.today()
    return today + timedelta(days=(5 - today.weekday()) % 7 + 35)


def test_register_book_approve_refuse_overbooking_pickup_return(served_instance, browser):
    marker = uuid.uuid4().hex[:6]
    title = f"Barrières de foule {marker}"
    url = served_instance.url
    saturday = a_saturday().isoformat()

    owner = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    borrower = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    latecomer = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()

    # 1. Camille's service lends 30 barriers, with a photo.
    sign_in(owner, served_instance, SLUG, "agent@chatellerault.example")
    owner.goto(url(SLUG, "/loans/"))
    owner.get_by_role("link", name="Prêter du matériel").first.click()
    owner.fill("#id_title", title)
    owner.fill("#id_quantity", "30")
    owner.fill("#id_unit_value", "60")
    owner.check("input[name=borrowers][value=sharing]")
    owner.set_input_files("#id_photos", files=[{
        "name": "barrieres.jpg", "mimeType": "image/jpeg", "buffer": jpeg_bytes()}])
    owner.get_by_role("button", name="Ajouter au catalogue de prêt").click()
    expect(owner).to_have_url(re.compile(r"/loans/items/\d+/$"))
    item_path = re.search(r"/loans/items/\d+/", owner.url).group(0)
    expect(owner.locator("img[src*='/photos/']").first).to_be_visible()

    # 2. Julien (another service) asks for 20 on a Saturday.
    sign_in(borrower, served_instance, SLUG, "agent2@chatellerault.example")
    borrower.goto(url(SLUG, "/loans/"))
    borrower.get_by_role("link", name=title).click()
    borrower.fill("#id_start", saturday)
    borrower.fill("#id_end", saturday)
    borrower.fill("#id_quantity", "20")
    borrower.fill("#id_purpose", "Brocante")
    borrower.get_by_role("button", name="Demander ces dates").click()
    expect(borrower).to_have_url(re.compile(r"/loans/bookings/\d+/$"))
    booking_path = re.search(r"/loans/bookings/\d+/", borrower.url).group(0)
    expect(borrower.locator(".page-head .badge")).to_have_text("Demandée")

    # 3. Camille approves it from her requests.
    owner.goto(url(SLUG, "/loans/"))
    owner.locator(f".loan-waiting a[href='{booking_path}']").click()
    owner.fill("#id_message", "À retirer vendredi")
    owner.get_by_role("button", name="Approuver").click()
    expect(owner.locator(".page-head .badge")).to_have_text("Validée")

    # 4. Nadia wants 15 more the same Saturday: refused, what she typed kept.
    sign_in(latecomer, served_instance, SLUG, "moderateur@chatellerault.example")
    latecomer.goto(url(SLUG, item_path))
    latecomer.fill("#id_start", saturday)
    latecomer.fill("#id_end", saturday)
    latecomer.fill("#id_quantity", "15")
    latecomer.get_by_role("button", name="Demander ces dates").click()
    expect(latecomer.locator(".field-invalid .error")).to_contain_text("10 unités sur 30")
    expect(latecomer.locator("#id_quantity")).to_have_value("15")
    expect(latecomer.locator("#id_start")).to_have_value(saturday)
    # The month's calendar shows the 20 held that day.
    month = saturday[:7]
    latecomer.goto(url(SLUG, f"{item_path}?month={month}"))
    expect(latecomer.locator("tr.busy")).to_have_count(1)
    expect(latecomer.locator("tr.busy td").nth(1)).to_have_text("20")

    # 5. Pickup, then the return with one damaged.
    owner.goto(url(SLUG, booking_path))
    owner.fill("#id_condition", "Propres")
    owner.get_by_role("button", name="Matériel retiré").click()
    expect(owner.locator(".page-head .badge")).to_have_text("Retiré")
    owner.fill("#id_damaged", "1")
    owner.fill("#id_damage_note", "Un pied tordu")
    owner.get_by_role("button", name="Matériel rendu").click()
    expect(owner.locator(".page-head .badge")).to_have_text("Rendu")
    owner.goto(url(SLUG, item_path))
    expect(owner.locator(".loan-damages")).to_contain_text("Un pied tordu")


TOWN, AGGLO = "chatellerault", "grand-chatellerault"


def test_an_agent_of_a_sharing_partner_borrows_the_towns_marquee(served_instance, browser):
    """The demo authorities share, and the town lends its marquees to its partners
    (exchange/loans/demo.py): Julien of the agglomération asks for two; Camille's
    service gets the request by e-mail, approves it, and Julien gets the answer."""
    url = served_instance.url
    day = (date.today() + timedelta(days=50)).isoformat()
    borrower = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    owner = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()

    sign_in(borrower, served_instance, AGGLO, f"agent2@{AGGLO}.example")
    borrower.goto(url(AGGLO, "/loans/"))
    borrower.get_by_role("link", name="Matériel prêté par d'autres collectivités").click()
    row = borrower.locator("tr", has_text="Barnum 3 x 3 m")
    expect(row).to_contain_text("Ville de Châtellerault")
    expect(borrower.locator("body")).not_to_contain_text("Tables pliantes de collectivité")
    row.get_by_role("link", name="Barnum 3 x 3 m").click()
    mails_before = len(served_instance.mails())
    borrower.fill("#id_start", day)
    borrower.fill("#id_end", day)
    borrower.fill("#id_quantity", "2")
    borrower.fill("#id_purpose", "Festival de l'agglo")
    borrower.get_by_role("button", name="Demander ces dates").click()
    expect(borrower).to_have_url(re.compile(r"/loans/shared/$"))
    expect(borrower.locator("body")).to_contain_text("sa réponse arrivera par e-mail")
    to_owner = served_instance.mails_since(mails_before, To=f"agent@{TOWN}.example")
    assert len(to_owner) == 1, served_instance.log_tail(20)
    assert "Festival de l'agglo" in to_owner[0].get_content()

    sign_in(owner, served_instance, TOWN, f"agent@{TOWN}.example")
    owner.goto(url(TOWN, "/loans/"))
    request = owner.locator(".loan-waiting li", has_text="Agglomération de Grand Châtellerault")
    request.get_by_role("link").click()
    owner.get_by_role("button", name="Approuver").click()
    expect(owner.locator(".page-head .badge")).to_have_text("Validée")
    answer = served_instance.mails_since(mails_before, To=f"agent2@{AGGLO}.example")
    assert len(answer) == 1
    assert "accepté" in answer[0]["Subject"]
