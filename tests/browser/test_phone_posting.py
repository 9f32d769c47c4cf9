"""Posting from a phone (issue 20), in a browser at a phone's viewport (390 × 844,
touch) and on a desktop: two photos taken in a row and a suggested category; a
12-megapixel photo shrunk and turned upright before it leaves the browser; a draft
that survives a closed tab; the app installable, with its offline page."""

import io
import json
import re
import urllib.request
import uuid

import pytest
from PIL import Image, ImageFilter
from playwright.sync_api import expect

from tests.browser.test_login import sign_in

pytestmark = pytest.mark.browser

SLUG = "chatellerault"
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True,
         "device_scale_factor": 2}
DESKTOP = {"viewport": {"width": 1280, "height": 900}}


def jpeg(size=(640, 480), color=(150, 110, 60)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, "JPEG")
    return buffer.getvalue()


def twelve_megapixel_photo_on_its_side() -> bytes:
    """4000 × 3000 pixels as a phone stores a portrait shot: turned, with EXIF
    orientation 6 (« turn 90° clockwise to show »). The top of the scene is a red band:
    in the stored pixels, the left quarter. Textured like a photo: a few MB."""
    width, height = 4000, 3000
    base = Image.linear_gradient("L").resize((width, height))
    noise = Image.effect_noise((width, height), 30).filter(ImageFilter.GaussianBlur(0.7))
    image = Image.merge("RGB", (Image.blend(base, noise, 0.5),
                                Image.blend(base.transpose(Image.Transpose.FLIP_LEFT_RIGHT),
                                            noise, 0.4), noise))
    image.paste((255, 0, 0), (0, 0, width // 4, height))
    exif = Image.Exif()
    exif[0x0112] = 6
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=95, exif=exif)
    return buffer.getvalue()


def fetch(instance, path: str):
    """GET `path` on the authority's host as the browser would, without a session
    (the host name goes in the header: Python does not resolve *.localhost)."""
    request = urllib.request.Request(f"http://127.0.0.1:{instance.port}{path}",
                                     headers={"Host": f"{SLUG}.localhost:{instance.port}"})
    return urllib.request.urlopen(request, timeout=10)


def new_page(browser, device: dict):
    context = browser.new_context(**device)
    context.set_default_timeout(15_000)
    return context.new_page()


def fill_the_first_fields(page, title: str) -> None:
    page.fill("#id_title", title)
    page.fill("#id_quantity", "6")
    page.select_option("#id_condition", "good")
    page.locator("#id_site").select_option(index=1)
    page.fill("#id_estimated_value", "120")


def take_photo(page, name: str, content: bytes) -> None:
    page.set_input_files("[data-photo-camera]", files=[
        {"name": name, "mimeType": "image/jpeg", "buffer": content}])


def stored_photos(instance, listing_id: str) -> list[Image.Image]:
    folder = instance.var_dir / "media" / SLUG / "listings" / listing_id
    return [Image.open(path) for path in sorted(folder.glob("*.jpg"))
            if not path.name.endswith("-thumb.jpg")]


@pytest.mark.parametrize("device", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_posting_two_photos_in_a_row_with_the_suggested_category(served_instance, browser,
                                                                 device):
    marker = uuid.uuid4().hex[:6]
    page = new_page(browser, device)
    sign_in(page, served_instance, SLUG, "agent@chatellerault.example")
    page.goto(served_instance.url(SLUG, "/listings/new/"))

    # The camera comes first; the plain file field is replaced by the two buttons.
    camera = page.locator(".photo-camera")
    expect(camera).to_be_visible()
    expect(page.locator("#id_photos")).to_be_hidden()
    assert camera.bounding_box()["y"] < page.locator("#id_title").bounding_box()["y"]
    # The less used fields wait under « Plus de détails ».
    expect(page.locator("#id_description")).to_be_hidden()
    expect(page.locator("details.more-details summary")).to_have_text("Plus de détails")

    take_photo(page, "un.jpg", jpeg(color=(200, 30, 30)))
    take_photo(page, "deux.jpg", jpeg(color=(30, 30, 200)))
    items = page.locator(".photo-item")
    expect(items).to_have_count(2)
    expect(page.locator(".photo-item[data-state=sent]")).to_have_count(2)
    expect(items.nth(0)).to_contain_text("Envoyée")

    # The title suggests the category; nothing changes until the agent accepts it.
    page.fill("#id_title", f"Chaises empilables {marker}")
    suggestion = page.locator("[data-category-suggestion]")
    expect(suggestion).to_contain_text("Chaise visiteur / empilable")
    expect(page.locator("#id_category")).to_have_value("")
    page.click("[data-suggestion-use]")
    expect(page.locator("#id_category option:checked")).to_have_text(
        "Chaise visiteur / empilable")
    expect(suggestion).to_be_hidden()
    fill_the_first_fields(page, f"Chaises empilables {marker}")

    if device is PHONE:  # nothing wider than the phone's screen
        assert page.evaluate("document.documentElement.scrollWidth") <= 390

    page.click("button[name=submit]")
    expect(page).to_have_url(re.compile(r"/listings/\d+/\?posted=[\w-]+$"))
    listing_id = re.search(r"/listings/(\d+)/", page.url).group(1)
    expect(page.locator("body")).to_contain_text(marker)
    expect(page.locator(f"img[src*='/listings/{listing_id}/photos/']")).to_have_count(2)
    colours = [photo.convert("RGB").getpixel((320, 240))
               for photo in stored_photos(served_instance, listing_id)]
    assert sorted(c[0] > 150 for c in colours) == [False, True]  # one red, one blue

    # Posted: the draft is forgotten, the next form starts empty.
    page.goto(served_instance.url(SLUG, "/listings/new/"))
    expect(page.locator("#id_title")).to_have_value("")
    expect(page.locator("[data-draft-notice]")).to_be_hidden()
    page.context.close()


def test_a_12_megapixel_photo_leaves_the_phone_shrunk_and_upright(served_instance, browser):
    original = twelve_megapixel_photo_on_its_side()
    assert len(original) > 3_000_000
    page = new_page(browser, PHONE)
    sign_in(page, served_instance, SLUG, "agent@chatellerault.example")
    page.goto(served_instance.url(SLUG, "/listings/new/"))
    sent: list = []
    page.on("requestfinished", lambda request: sent.append(request)
            if request.method == "POST" and "/listings/new/" in request.url else None)

    take_photo(page, "IMG_0001.jpg", original)
    expect(page.locator(".photo-item[data-state=sent]")).to_have_count(1, timeout=30_000)
    page.locator("#id_category").select_option(label="Chaise visiteur / empilable")
    fill_the_first_fields(page, f"Chaise haute {uuid.uuid4().hex[:6]}")
    page.click("button[name=draft]")
    expect(page).to_have_url(re.compile(r"/listings/\d+/\?posted="))
    listing_id = re.search(r"/listings/(\d+)/", page.url).group(1)

    uploads = [r for r in sent if r.url.endswith("/listings/new/photos/")]
    assert len(uploads) == 1
    body_bytes = sum(request.sizes()["requestBodySize"] for request in sent)
    assert body_bytes < 1_000_000, body_bytes  # the whole flow, photo and form

    [photo] = stored_photos(served_instance, listing_id)
    photo = photo.convert("RGB")
    assert photo.size == (1200, 1600)  # portrait: turned upright, then the server's size
    top, bottom = photo.getpixel((600, 60)), photo.getpixel((600, 1500))
    assert top[0] > 200 and top[1] < 60 and top[2] < 60, top  # the red band is on top
    assert not (bottom[0] > 200 and bottom[1] < 60), bottom
    page.context.close()


def test_a_failed_photo_is_retried_without_losing_the_others_or_the_text(served_instance,
                                                                         browser):
    page = new_page(browser, PHONE)
    sign_in(page, served_instance, SLUG, "agent@chatellerault.example")
    page.goto(served_instance.url(SLUG, "/listings/new/"))
    page.fill("#id_title", "Tables pliantes")
    take_photo(page, "un.jpg", jpeg())
    expect(page.locator(".photo-item[data-state=sent]")).to_have_count(1)

    # The network drops during the second photo.
    page.route("**/listings/new/photos/", lambda route: route.abort("internetdisconnected"))
    take_photo(page, "deux.jpg", jpeg(color=(10, 200, 10)))
    failed = page.locator(".photo-item[data-state=failed]")
    expect(failed).to_have_count(1)
    expect(failed).to_contain_text("la connexion a été perdue")
    page.click("button[name=submit]")  # refused while a photo is not sent
    expect(page.locator("[data-photo-error]")).to_contain_text("Attendez")
    assert "/listings/new/" in page.url

    page.unroute("**/listings/new/photos/")
    failed.locator("[data-retry]").click()
    expect(page.locator(".photo-item[data-state=sent]")).to_have_count(2)
    expect(page.locator("#id_title")).to_have_value("Tables pliantes")
    tokens = page.locator("input[name=pending_photos]").input_value().split(",")
    assert len(tokens) == 2 and all(re.fullmatch("[0-9a-f]{32}", t) for t in tokens)
    page.context.close()


def test_a_closed_tab_finds_its_draft_on_return(served_instance, browser):
    context = browser.new_context(**PHONE)
    context.set_default_timeout(15_000)
    page = context.new_page()
    sign_in(page, served_instance, SLUG, "agent@chatellerault.example")
    page.goto(served_instance.url(SLUG, "/listings/new/"))
    page.fill("#id_title", "Armoire haute à rideaux")
    page.fill("#id_quantity", "2")
    page.click("details.more-details summary")
    page.fill("#id_description", "Clés fournies.")
    take_photo(page, "armoire.jpg", jpeg())
    expect(page.locator(".photo-item[data-state=sent]")).to_have_count(1)
    page.wait_for_timeout(400)  # the draft is written a moment after the last keystroke
    page.close()  # the tab is closed mid-form

    page = context.new_page()
    page.goto(served_instance.url(SLUG, "/listings/new/"))
    notice = page.locator("[data-draft-notice]")
    expect(notice).to_be_visible()
    expect(notice).to_contain_text("retrouvée sur cet appareil")
    expect(page.locator("#id_title")).to_have_value("Armoire haute à rideaux")
    expect(page.locator("#id_quantity")).to_have_value("2")
    expect(page.locator("#id_description")).to_have_value("Clés fournies.")
    expect(page.locator(".photo-item[data-state=sent]")).to_have_count(1)
    assert re.fullmatch("[0-9a-f]{32}", page.locator("input[name=pending_photos]").input_value())

    # « Effacer le brouillon »: an empty form, and nothing left on the device.
    page.click("[data-draft-discard]")
    expect(notice).to_be_hidden()
    expect(page.locator("#id_title")).to_have_value("")
    expect(page.locator(".photo-item")).to_have_count(0)
    page.reload()
    expect(page.locator("[data-draft-notice]")).to_be_hidden()
    expect(page.locator("#id_title")).to_have_value("")
    context.close()


def test_installable_with_an_offline_page_when_the_network_is_cut(served_instance, browser):
    context = browser.new_context(**PHONE)
    context.set_default_timeout(15_000)
    page = context.new_page()
    sign_in(page, served_instance, SLUG, "agent@chatellerault.example")
    page.goto(served_instance.url(SLUG, "/listings/mine/"))

    # The manifest the page links, and its icons.
    href = page.locator("link[rel=manifest]").get_attribute("href")
    response = fetch(served_instance, href)
    assert response.headers["Content-Type"] == "application/manifest+json"
    manifest = json.loads(response.read())
    assert manifest["display"] == "standalone" and manifest["lang"] == "fr"
    assert manifest["start_url"] == "/" and manifest["short_name"]
    for icon in manifest["icons"]:
        image = Image.open(io.BytesIO(fetch(served_instance, icon["src"]).read()))
        assert f"{image.width}x{image.height}" == icon["sizes"]
    assert {icon["purpose"] for icon in manifest["icons"]} == {"any", "maskable"}

    # The service worker takes the whole host.
    scope = page.evaluate("navigator.serviceWorker.ready.then(r => r.scope)")
    assert scope == served_instance.url(SLUG, "/")
    page.reload()  # now controlled by the worker
    page.wait_for_function("navigator.serviceWorker.controller !== null")

    context.set_offline(True)
    page.goto(served_instance.url(SLUG, "/listings/mine/"))
    expect(page.locator("h1")).to_have_text("Connexion perdue")
    expect(page.locator("body")).not_to_contain_text("Camille")  # nobody's page, no data
    page.goto(served_instance.url(SLUG, "/listings/"))
    expect(page.locator("h1")).to_have_text("Connexion perdue")

    context.set_offline(False)
    page.goto(served_instance.url(SLUG, "/listings/mine/"))
    expect(page.locator("h1")).not_to_have_text("Connexion perdue")
    context.close()
