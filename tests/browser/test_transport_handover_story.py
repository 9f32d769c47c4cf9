"""A transport handed over between authorities in a browser (issue 18): Camille, of
Châtellerault, gives a listing to Grand Châtellerault (they share) and asks for its
transport → Châtellerault's planner hands it to the agglomeration's logistics → the
agglomeration's planner plans it in a round and marks it delivered → Camille sees
« Livré » on her own request (and has the e-mails)."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.test_login import sign_in

pytestmark = pytest.mark.browser

TOWN, AGGLO = "chatellerault", "grand-chatellerault"


def test_hand_over_plan_deliver(served_instance, browser):
    url = served_instance.url
    pages = [browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
             for _ in range(3)]
    agent, giver, receiver = pages
    mails_before = len(served_instance.mails())

    # 1. Camille closes one of her listings as given to Grand Châtellerault.
    sign_in(agent, served_instance, TOWN, f"agent@{TOWN}.example")
    agent.goto(url(TOWN, "/listings/mine/"))
    row = agent.locator("tr:has(.status-published):not(:has(.badge-reserved))").first
    link = row.locator("a[href^='/listings/']").first
    title = link.inner_text().strip()
    listing_id = re.search(r"/listings/(\d+)/", link.get_attribute("href")).group(1)
    agent.goto(url(TOWN, f"/listings/{listing_id}/close/"))
    agent.select_option("#id_reason", "exchanged_other_authority")
    agent.select_option("#id_recipient_authority_slug", AGGLO)
    agent.fill("#id_inventory_number", "INV-TRANS-001")
    agent.click("button[type=submit].primary")
    agent.goto(url(TOWN, f"/listings/{listing_id}/"))
    expect(agent.locator(".badge.status-closed")).to_be_visible()

    # 2. She asks for its transport, from her transfer to the agglomeration.
    agent.goto(url(TOWN, f"/logistics/listings/{listing_id}/request/"))
    agent.locator("#id_transfer").select_option(index=1)
    agent.fill("#id_quantity", "1")
    agent.fill("#id_pickup_contact", "Camille, 05 49 00 00 01")
    agent.fill("#id_delivery_address", "Hôtel d'agglomération, 12 avenue Foch")
    agent.fill("#id_delivery_contact", "Accueil de l'agglo, 05 49 00 00 09")
    agent.click("button[type=submit].primary")
    expect(agent).to_have_url(re.compile(r"/logistics/requests/\d+/$"))
    transport_id = re.search(r"/requests/(\d+)/", agent.url).group(1)

    # 3. Châtellerault's planner hands it to the agglomeration's logistics.
    sign_in(giver, served_instance, TOWN, f"logistique@{TOWN}.example")
    giver.goto(url(TOWN, f"/logistics/requests/{transport_id}/"))
    giver.get_by_role("button", name=re.compile("Confier à la logistique")).click()
    expect(giver.locator(".handed-to")).to_contain_text("Grand Châtellerault")

    # 4. The agglomeration's planner sees it on the board and plans it in a round.
    sign_in(receiver, served_instance, AGGLO, f"logistique@{AGGLO}.example")
    receiver.goto(url(AGGLO, "/logistics/board/"))
    expect(receiver.locator(".unplanned-requests")).to_contain_text(title)
    receiver.locator("#id_team").select_option(index=1)
    receiver.fill("#id_starts_at", "14:00")
    receiver.fill("#id_ends_at", "16:00")
    receiver.get_by_label(re.compile(re.escape(title))).check()
    receiver.click("form.round-form button[type=submit]")
    expect(receiver).to_have_url(re.compile(r"/logistics/rounds/\d+/$"))
    stop = receiver.locator("table.round-stops tr", has_text=title).first
    stop.get_by_role("button", name="Livré").click()
    expect(receiver.locator("body")).to_contain_text("Livré")

    # 5. Camille sees « Livré » on her request, and has the e-mails.
    agent.goto(url(TOWN, f"/logistics/requests/{transport_id}/"))
    expect(agent.locator(".transport-status")).to_contain_text("Livré")
    subjects = [m["Subject"].strip() for m in
                served_instance.mails_since(mails_before, To=f"agent@{TOWN}.example")]
    assert any(s.startswith("Transport planifié") and title in s for s in subjects), subjects
    assert any(s.startswith("Livré") and title in s for s in subjects), subjects
