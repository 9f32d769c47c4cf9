"""Transport in a browser (issue 18), on chatellerault.localhost: Camille reserves one
of her listings and asks for transport → Marc, of the logistics team, plans it in a
round on the board, prints the round sheet and marks it delivered → the listing's
transfer is recorded and Camille sees « Livré » (and has the e-mails)."""

import base64
import io
import re

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from tests.browser.test_login import sign_in

pytestmark = pytest.mark.browser

SLUG = "chatellerault"
AGENT = "agent@chatellerault.example"
LOGISTICS = "logistique@chatellerault.example"
# Fetch a file with the page's session: [status, content type, body in base64].
FETCH = """async (url) => {
  const response = await fetch(url);
  const bytes = new Uint8Array(await response.arrayBuffer());
  let text = "";
  for (const byte of bytes) { text += String.fromCharCode(byte); }
  return [response.status, response.headers.get("content-type"), btoa(text)];
}"""


def test_request_plan_deliver(served_instance, browser):
    url = served_instance.url
    agent = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    planner = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    mails_before = len(served_instance.mails())

    # 1. Camille reserves one of her published listings for the sports department.
    sign_in(agent, served_instance, SLUG, AGENT)
    agent.goto(url(SLUG, "/listings/mine/"))
    row = agent.locator("tr:has(.status-published):not(:has(.badge-reserved))").first
    link = row.locator("a[href^='/listings/']").first
    title = link.inner_text().strip()
    listing_id = re.search(r"/listings/(\d+)/", link.get_attribute("href")).group(1)
    agent.goto(url(SLUG, f"/listings/{listing_id}/"))
    agent.fill("form.reserve-form input[name=reserved_for]", "Direction des sports")
    agent.click("form.reserve-form button[name=reserve]")
    expect(agent.locator(".badge-reserved").first).to_be_visible()

    # 2. She asks for transport from « Mes transports »; a past date is refused first,
    #    what she typed stays.
    agent.goto(url(SLUG, "/logistics/"))
    agent.click(f"a[href='/logistics/listings/{listing_id}/request/']")
    agent.fill("#id_pickup_contact", "Camille, 05 49 00 00 01")
    agent.locator("#id_delivery_site").select_option(index=2)
    agent.fill("#id_delivery_contact", "Gardien du gymnase, 05 49 00 00 02")
    agent.fill("#id_delivery_floor", "1")
    agent.check("#id_delivery_lift")
    agent.locator("#id_recipient_service").select_option(label="Direction des sports")
    agent.check("#id_close_on_delivery")
    agent.fill("#id_wished_from", "2020-01-06")
    agent.click("button[type=submit].primary")
    expect(agent.locator(".field-invalid .error")).to_contain_text("passée")
    expect(agent.locator("#id_delivery_contact")).to_have_value(
        "Gardien du gymnase, 05 49 00 00 02")
    agent.fill("#id_wished_from", agent.locator("#id_wished_until").input_value())
    agent.click("button[type=submit].primary")
    expect(agent).to_have_url(re.compile(r"/logistics/requests/\d+/$"))
    transport_id = re.search(r"/requests/(\d+)/", agent.url).group(1)
    expect(agent.locator(".transport-status")).to_contain_text("Demandé")

    # 3. Marc plans it in a round of the logistics team, for today 8:00–10:00.
    sign_in(planner, served_instance, SLUG, LOGISTICS)
    planner.goto(url(SLUG, "/logistics/board/"))
    expect(planner.locator(".unplanned-requests")).to_contain_text(title)
    planner.locator("#id_team").select_option(label="Équipe logistique")
    planner.fill("#id_starts_at", "08:00")
    planner.fill("#id_ends_at", "10:00")
    planner.get_by_label(re.compile(re.escape(title))).check()
    planner.click("form.round-form button[type=submit]")
    expect(planner).to_have_url(re.compile(r"/logistics/rounds/\d+/$"))
    stop = planner.locator(f"#stop-{transport_id}")
    expect(stop).to_contain_text(title)
    expect(stop).to_contain_text("Planifié")

    # The round sheet (PDF) lists it, with its delivery contact.
    status, content_type, body = planner.evaluate(FETCH, planner.url + "sheet.pdf")
    assert (status, content_type) == (200, "application/pdf")
    sheet = " ".join(" ".join(p.extract_text() for p in PdfReader(
        io.BytesIO(base64.b64decode(body))).pages).split())
    assert title in sheet
    assert "Gardien du gymnase" in sheet

    # 4. Marc marks it delivered: the listing's transfer to the sports department is
    #    recorded (the listing closes: every item left went).
    stop.get_by_role("button", name="Livré").click()
    expect(planner.locator(f"#stop-{transport_id}")).to_contain_text("Livré")

    # 5. Camille sees it delivered, and the listing closed.
    agent.goto(url(SLUG, f"/logistics/requests/{transport_id}/"))
    expect(agent.locator(".transport-status")).to_contain_text("Livré")
    agent.goto(url(SLUG, f"/listings/{listing_id}/"))
    expect(agent.locator(".badge.status-closed")).to_be_visible()
    subjects = [m["Subject"].strip() for m in served_instance.mails_since(mails_before, To=AGENT)]
    assert any(s.startswith("Transport planifié") and title in s for s in subjects), subjects
    assert any(s.startswith("Livré") and title in s for s in subjects), subjects
