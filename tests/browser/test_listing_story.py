"""The whole Collectiv'Récup story in a browser, on chatellerault.localhost:
post with a photo → moderate → find without accents → contact → close → figures."""

import io
import re
import uuid

import pytest
from PIL import Image
from playwright.sync_api import expect

from tests.browser.test_login import sign_in

pytestmark = pytest.mark.browser

SLUG = "chatellerault"


def jpeg_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (640, 480), (150, 110, 60)).save(buffer, "JPEG")
    return buffer.getvalue()


def euros(text: str) -> float:
    """'1 234,50 €' (French format, any kind of space) → 1234.5"""
    digits = re.sub(r"[^\d,]", "", text).replace(",", ".")
    return float(digits)


def test_post_moderate_find_contact_close(served_instance, browser):
    marker = uuid.uuid4().hex[:6]
    title = f"Chaises empilables en hêtre {marker}"
    url = served_instance.url

    poster = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    moderator = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    taker = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()

    # The moderator's figures before the story.
    sign_in(moderator, served_instance, SLUG, "moderateur@chatellerault.example")
    moderator.goto(url(SLUG, "/listings/moderation/dashboard/"))
    value_before = euros(moderator.locator("#value-exchanged").inner_text())
    taken_before = int(moderator.locator("#listings-exchanged").inner_text())

    # 1. Camille posts ten chairs with a photo and submits them.
    sign_in(poster, served_instance, SLUG, "agent@chatellerault.example")
    poster.goto(url(SLUG, "/listings/new/"))
    poster.fill("#id_title", title)
    poster.click("details.more-details summary")  # « Plus de détails »
    poster.fill("#id_description", "Dix chaises visiteur, assise bois, pieds métal.")
    poster.select_option("#id_category", label="Chaise visiteur / empilable")
    poster.fill("#id_quantity", "10")
    poster.select_option("#id_condition", "good")
    poster.fill("#id_estimated_value", "250")
    poster.locator("#id_site").select_option(index=1)
    poster.click("button[name=draft]")
    # The page after posting names the draft the browser may forget (?posted=…).
    expect(poster).to_have_url(re.compile(r"/listings/\d+/(edit/)?(\?posted=[\w-]+)?$"))
    listing_id = re.search(r"/listings/(\d+)/", poster.url).group(1)
    poster.goto(url(SLUG, f"/listings/{listing_id}/edit/"))
    poster.set_input_files("form.photo-upload input[type=file]", files=[{
        "name": "chaises.jpg", "mimeType": "image/jpeg", "buffer": jpeg_bytes()}])
    poster.click("form.photo-upload button[type=submit]")
    expect(poster.locator("img[src*='/photos/']").first).to_be_visible()
    poster.goto(url(SLUG, f"/listings/{listing_id}/edit/"))
    poster.click("form.listing-form button[name=submit]")
    poster.goto(url(SLUG, f"/listings/{listing_id}/"))
    expect(poster.locator("body")).to_contain_text("250")

    # 2. Nadia approves it from the queue.
    moderator.goto(url(SLUG, "/listings/moderation/"))
    moderator.locator(f"a[href='/listings/moderation/{listing_id}/']").first.click()
    moderator.click("form.decision-approve button[type=submit]")
    moderator.goto(url(SLUG, "/listings/"))
    expect(moderator.locator(f"a[href='/listings/{listing_id}/']").first).to_be_visible()

    # 3. Julien searches "hetre" (no accent), finds it and says he is interested.
    sign_in(taker, served_instance, SLUG, "agent2@chatellerault.example")
    taker.goto(url(SLUG, "/listings/"))
    taker.fill("input[name=q]", f"hetre {marker}")
    taker.press("input[name=q]", "Enter")
    # The filter form swaps the results with htmx (on change, then on submit): let the
    # swaps finish before clicking, or the click may land on a replaced element.
    taker.wait_for_url(re.compile(r"[?&]q=hetre"))
    taker.wait_for_load_state("networkidle")
    result = taker.locator(f"#feed-results a[href='/listings/{listing_id}/']").first
    expect(result).to_be_visible()
    result.click()
    expect(taker.get_by_role("heading", level=1)).to_have_text(title)
    mails_before = len(served_instance.mails())
    taker.fill("textarea[name=message]", "Pour la salle d'attente du gymnase")
    taker.click(f"form[action='/listings/{listing_id}/contact/'] button[type=submit]")

    # 4. The poster receives one e-mail, the moderator in Cc, Reply-To Julien.
    contact_mails = [m for m in served_instance.mails()[mails_before:]
                     if m["To"] == "agent@chatellerault.example"]
    assert len(contact_mails) == 1, served_instance.log_tail(15)
    message = contact_mails[0]
    assert "moderateur@chatellerault.example" in message["Cc"]
    assert message["Reply-To"] == "agent2@chatellerault.example"
    assert "Pour la salle d'attente du gymnase" in message.get_content()
    assert f"/listings/{listing_id}/" in message.get_content()

    # 5. Camille sees the request and closes the listing: given to Julien's service.
    poster.goto(url(SLUG, f"/listings/{listing_id}/"))
    expect(poster.locator("body")).to_contain_text("Pour la salle d'attente du gymnase")
    poster.goto(url(SLUG, f"/listings/{listing_id}/close/"))
    poster.select_option("#id_reason", "exchanged_internal")
    poster.select_option("#id_recipient_service", label="Services techniques")
    poster.click("button[type=submit].primary")
    poster.goto(url(SLUG, f"/listings/{listing_id}/"))
    expect(poster.locator(".badge.status-closed")).to_be_visible()

    # 6. The moderator's figures grew by this listing and its 250 €.
    moderator.goto(url(SLUG, "/listings/moderation/dashboard/"))
    assert euros(moderator.locator("#value-exchanged").inner_text()) == value_before + 250
    assert int(moderator.locator("#listings-exchanged").inner_text()) == taken_before + 1

    # 7. Julien never sees a euro, anywhere he can go.
    for path in ["/listings/", f"/listings/{listing_id}/", "/listings/mine/", "/",
                 "/listings/wanted/", f"/listings/?q=hetre+{marker}"]:
        taker.goto(url(SLUG, path))
        assert "€" not in taker.locator("body").inner_text(), path
        assert "250" not in taker.locator("main").inner_text(), path
