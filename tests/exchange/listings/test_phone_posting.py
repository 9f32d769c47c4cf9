"""Posting from a phone (issue 20): photos sent ahead one by one and attached by id, the
category suggested from the title, the form's first fields, and what makes the app
installable (manifest, service worker, offline page)."""

import io
import json
import os
import time

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from exchange.listings import photos, selectors
from exchange.listings.errors import ExchangeError
from exchange.listings.models import Listing, ListingStatus
from exchange.listings.selectors import exchange_settings
from tests.accounts.factories import SiteFactory, agent
from tests.conftest import client_for, host_of, in_authority
from tests.exchange.listings.factories import ListingFactory, image_upload, item_type
from tests.exchange.listings.test_listing_pages import listing_data
from tests.exchange.listings.test_photos import exif_with_orientation, stored_image

pytestmark = pytest.mark.django_db

UPLOAD_URL = "/listings/new/photos/"


@pytest.fixture(autouse=True)
def media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.MULTITENANT_RELATIVE_MEDIA_ROOT = "%s"


def banded_jpeg(*, exif=None, size=(300, 200)) -> SimpleUploadedFile:
    """A photo whose top band is red and the rest blue, stored with `exif`."""
    image = Image.new("RGB", size, (0, 0, 255))
    image.paste((255, 0, 0), (0, 0, size[0], size[1] // 4))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", **({"exif": exif} if exif is not None else {}))
    return SimpleUploadedFile("photo.jpg", buffer.getvalue(), content_type="image/jpeg")


def pending_files(authority, user=None) -> list[str]:
    """The names of the photos waiting in the authority's storage (of `user` only)."""
    with in_authority(authority):
        root = os.path.join(default_storage.location, photos.PENDING_DIR)
        if user is not None:
            root = os.path.join(root, str(user.pk))
        return sorted(name for _root, _dirs, names in os.walk(root) for name in names)


def age(authority, name: str, hours: float) -> None:
    """Make a stored file `hours` old."""
    with in_authority(authority):
        path = default_storage.path(name)
    then = time.time() - hours * 3600
    os.utime(path, (then, then))


def send(client, upload) -> tuple[int, dict]:
    response = client.post(UPLOAD_URL, {"image": upload})
    return response.status_code, json.loads(response.content)


# --- Photos sent ahead --------------------------------------------------------------------

def test_a_photo_sent_ahead_is_cleaned_upright_and_kept_under_the_schema(chatellerault):
    # Orientation 6: the camera held upright stored its picture turned; the band that is
    # on the left of the stored pixels is the top of the scene.
    stored = Image.new("RGB", (400, 300), (0, 0, 255))
    stored.paste((255, 0, 0), (0, 0, 100, 300))  # the left quarter
    buffer = io.BytesIO()
    stored.save(buffer, "JPEG", exif=exif_with_orientation(6))
    with in_authority(chatellerault):
        poster = agent()
    status, answer = send(client_for(chatellerault, poster),
                          SimpleUploadedFile("p.jpg", buffer.getvalue(), "image/jpeg"))
    assert status == 201
    name = f"{photos.PENDING_DIR}/{poster.pk}/{answer['id']}.jpg"
    with in_authority(chatellerault):
        full = stored_image(name)
        path = default_storage.path(name)
    assert (answer["width"], answer["height"]) == (300, 400)
    assert full.size == (300, 400) and dict(full.getexif()) == {}
    red, green, blue = full.getpixel((150, 20))  # upright: the band is on top
    assert red > 200 and blue < 60
    red, green, blue = full.getpixel((150, 380))
    assert blue > 200 and red < 60
    assert f"/{chatellerault.schema_name}/listings/pending/{poster.pk}/" in path


@pytest.mark.parametrize("upload, code", [
    (SimpleUploadedFile("cv.jpg", b"%PDF-1.4 not an image", content_type="image/jpeg"),
     "n'est pas une image"),
    (SimpleUploadedFile("huge.jpg", b"\xff" * (photos.MAX_UPLOAD_BYTES + 1),
                        content_type="image/jpeg"), "trop lourde"),
], ids=["not-an-image", "over-10-mb"])
def test_a_bad_photo_is_refused_with_its_reason(chatellerault, upload, code):
    with in_authority(chatellerault):
        poster = agent()
    status, answer = send(client_for(chatellerault, poster), upload)
    assert status == 400
    assert code in answer["error"]
    assert pending_files(chatellerault) == []


def test_a_photo_with_too_many_pixels_is_refused(chatellerault, settings, monkeypatch):
    monkeypatch.setattr(photos, "MAX_PIXELS", 100 * 100)
    with in_authority(chatellerault):
        poster = agent()
    status, answer = send(client_for(chatellerault, poster), image_upload(size=(200, 200)))
    assert status == 400
    assert "trop de pixels" in answer["error"]


def test_no_file_is_a_400(chatellerault):
    with in_authority(chatellerault):
        poster = agent()
    response = client_for(chatellerault, poster).post(UPLOAD_URL, {})
    assert response.status_code == 400


def test_uploads_are_limited_per_agent_and_hour(chatellerault, settings, monkeypatch):
    settings.PHOTO_UPLOADS_PER_HOUR = 2
    with in_authority(chatellerault):
        poster, other = agent(), agent()
    client = client_for(chatellerault, poster)
    assert send(client, image_upload())[0] == 201
    assert send(client, image_upload())[0] == 201
    status, answer = send(client, image_upload())
    assert status == 429 and "trop de photos" in answer["error"]
    assert send(client_for(chatellerault, other), image_upload())[0] == 201
    assert len(pending_files(chatellerault, poster)) == 4  # two photos and thumbnails
    next_hour = photos._current_hour() + 1
    monkeypatch.setattr(photos, "_current_hour", lambda: next_hour)
    assert send(client, image_upload())[0] == 201


def test_the_upload_endpoint_needs_the_csrf_token(chatellerault):
    with in_authority(chatellerault):
        poster = agent()
        client = Client(HTTP_HOST=host_of(chatellerault), enforce_csrf_checks=True)
        client.force_login(poster, backend="django.contrib.auth.backends.ModelBackend")
    assert client.post(UPLOAD_URL, {"image": image_upload()}).status_code == 403
    assert pending_files(chatellerault) == []


def test_posting_attaches_the_photos_sent_ahead_in_order(
        chatellerault, django_capture_on_commit_callbacks):
    with in_authority(chatellerault):
        poster, site = agent(), SiteFactory()
    client = client_for(chatellerault, poster)
    first = send(client, banded_jpeg(size=(300, 200)))[1]["id"]
    second = send(client, banded_jpeg(size=(200, 300)))[1]["id"]
    assert len(pending_files(chatellerault, poster)) == 4
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/listings/new/", listing_data(
            site, poster.service, submit="", pending_photos=f"{second},{first}",
            draft_token="abc-123"))
    assert response.status_code == 302
    with in_authority(chatellerault):
        listing = Listing.objects.get()
        assert response["Location"] == f"/listings/{listing.pk}/?posted=abc-123"
        assert listing.status == ListingStatus.PENDING
        sizes = [(p.width, p.height) for p in listing.photos.all()]
        names = [p.image.name for p in listing.photos.all()]
        assert all(default_storage.exists(name) for name in names)
    assert pending_files(chatellerault) == []  # moved to the listing
    assert sizes == [(200, 300), (300, 200)]
    assert all(name.startswith(f"listings/{listing.pk}/") for name in names)


def test_someone_elses_or_an_expired_photo_is_not_attached(chatellerault, settings):
    with in_authority(chatellerault):
        poster, intruder, site = agent(), agent(), SiteFactory()
    mine = send(client_for(chatellerault, poster), image_upload())[1]["id"]
    old = send(client_for(chatellerault, poster), image_upload())[1]["id"]
    theirs = send(client_for(chatellerault, intruder), image_upload())[1]["id"]
    age(chatellerault, f"{photos.PENDING_DIR}/{poster.pk}/{old}.jpg",
        settings.PENDING_PHOTO_HOURS + 1)
    response = client_for(chatellerault, poster).post("/listings/new/", listing_data(
        site, poster.service, draft="", pending_photos=f"{mine},{old},{theirs}"), follow=True)
    assert "2 photo(s)" in response.content.decode()
    with in_authority(chatellerault):
        listing = Listing.objects.get()
        assert listing.photos.count() == 1
    assert pending_files(chatellerault, intruder) == [f"{theirs}-thumb.jpg", f"{theirs}.jpg"]


def test_nine_photos_are_refused_on_the_form(chatellerault, monkeypatch):
    monkeypatch.setattr(photos, "MAX_PHOTOS", 2)
    with in_authority(chatellerault):
        poster, site = agent(), SiteFactory()
    client = client_for(chatellerault, poster)
    tokens = [send(client, image_upload(size=(40, 30)))[1]["id"] for _ in range(3)]
    response = client.post("/listings/new/", listing_data(
        site, poster.service, draft="", pending_photos=",".join(tokens)))
    assert response.status_code == 200
    assert response.context["form"].errors["photos"]
    with in_authority(chatellerault):
        assert not Listing.objects.exists()


def test_garbage_tokens_are_refused(chatellerault):
    with in_authority(chatellerault):
        poster, site = agent(), SiteFactory()
    response = client_for(chatellerault, poster).post("/listings/new/", listing_data(
        site, poster.service, draft="", pending_photos="../../secret,drop table"))
    assert response.status_code == 200
    assert response.context["form"].errors["pending_photos"]


def test_photos_left_waiting_expire_with_their_files(chatellerault, settings):
    with in_authority(chatellerault):
        poster = agent()
        kept = photos.upload_pending_photo(uploader=poster, upload=image_upload())
        left = photos.upload_pending_photo(uploader=poster, upload=image_upload())
    for name in (f"{left.token}.jpg", f"{left.token}-thumb.jpg"):
        age(chatellerault, f"{photos.PENDING_DIR}/{poster.pk}/{name}",
            settings.PENDING_PHOTO_HOURS + 1)
    with in_authority(chatellerault):
        assert photos.delete_expired_pending_photos() == 2
        assert photos.delete_expired_pending_photos() == 0  # idempotent
    assert pending_files(chatellerault, poster) == [f"{kept.token}-thumb.jpg",
                                                    f"{kept.token}.jpg"]


def test_no_pending_folder_yet_is_nothing_to_delete(chatellerault):
    with in_authority(chatellerault):
        assert photos.delete_expired_pending_photos() == 0


def test_attaching_to_someone_elses_listing_is_refused(chatellerault):
    with in_authority(chatellerault):
        poster, intruder = agent(), agent()
        listing = ListingFactory(poster=poster)
        pending = photos.upload_pending_photo(uploader=intruder, upload=image_upload())
        with pytest.raises(ExchangeError) as refused:
            photos.attach_pending_photos(listing=listing, actor=intruder,
                                         tokens=[pending.token])
    assert refused.value.code == "forbidden"


# --- The form -----------------------------------------------------------------------------

def test_the_form_shows_the_phone_fields_first_and_the_rest_folded(chatellerault):
    with in_authority(chatellerault):
        poster = agent()
    html = client_for(chatellerault, poster).get("/listings/new/").content.decode()
    folded = html.index('<details class="more-details"')
    for name in ("photos", "title", "category", "quantity", "condition", "site",
                 "estimated_value"):
        assert html.index(f'name="{name}"') < folded, name
    for name in ("description", "dimensions", "service", "available_from", "visibility"):
        assert html.index(f'name="{name}"') > folded, name
    assert 'capture="environment"' in html and "Plus de détails" in html
    assert f'data-draft-key="{chatellerault.schema_name}:{poster.pk}"' in html
    assert "<script>" not in html  # scripts are static files (CSP)


def test_an_error_in_a_folded_field_unfolds_it(chatellerault):
    with in_authority(chatellerault):
        poster, site = agent(), SiteFactory()
    response = client_for(chatellerault, poster).post("/listings/new/", listing_data(
        site, poster.service, draft="", available_from="not a date"))
    assert response.status_code == 200
    assert '<details class="more-details" open>' in response.content.decode()


def test_the_page_after_posting_names_the_draft_to_forget_to_its_poster_only(chatellerault):
    with in_authority(chatellerault):
        listing = ListingFactory()
        other = agent()
    mine = client_for(chatellerault, listing.poster).get(
        f"/listings/{listing.pk}/?posted=abc-123").content.decode()
    assert 'name="listing-draft-posted" content="abc-123"' in mine
    theirs = client_for(chatellerault, other).get(f"/listings/{listing.pk}/?posted=abc-123")
    assert "listing-draft-posted" not in theirs.content.decode()
    bad = client_for(chatellerault, listing.poster).get(
        f"/listings/{listing.pk}/?posted=%3Cscript%3E").content.decode()
    assert "listing-draft-posted" not in bad


# --- The category suggested from the title -------------------------------------------------

@pytest.mark.parametrize("title, expected", [
    ("Chaises empilables", "Chaise visiteur / empilable"),
    ("ECRANS 24 pouces", "Écran"),
    ("lot de tables pliantes", "Table pliante / de collectivité"),
    ("Armoires hautes métalliques", "Armoire haute"),
])
def test_the_category_is_suggested_from_the_title(chatellerault, title, expected):
    with in_authority(chatellerault):
        rules = exchange_settings()
        rules.it_enabled = True
        rules.save()
        poster = agent()
        target = item_type(expected)
    answer = client_for(chatellerault, poster).get(
        "/listings/new/category/", {"title": title}).json()
    assert (answer["id"], answer["name"]) == (target.pk, expected)


def test_no_suggestion_when_no_word_matches(chatellerault, django_assert_max_num_queries):
    with in_authority(chatellerault):
        poster = agent()
    client = client_for(chatellerault, poster)
    assert client.get("/listings/new/category/", {"title": "zzz qwerty"}).json() == {"id": None}
    assert client.get("/listings/new/category/", {"title": ""}).json() == {"id": None}
    with in_authority(chatellerault), django_assert_max_num_queries(5):
        selectors.suggest_category("Chaises empilables")


def test_a_hidden_category_is_never_suggested(chatellerault):
    with in_authority(chatellerault):
        chair = item_type()
        chair.is_hidden = True
        chair.save()
        suggestion = selectors.suggest_category("Chaises visiteur empilables")
    assert getattr(suggestion, "pk", None) != chair.pk


# --- Installable ---------------------------------------------------------------------------

def test_the_manifest_names_the_authority_and_its_icons(chatellerault):
    response = client_for(chatellerault).get("/manifest.webmanifest")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/manifest+json"
    manifest = json.loads(response.content)
    assert manifest["name"].endswith(chatellerault.name)
    assert (manifest["lang"], manifest["display"], manifest["start_url"]) == (
        "fr", "standalone", "/")
    sizes = {(icon["sizes"], icon["purpose"]) for icon in manifest["icons"]}
    assert sizes == {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")}


def test_the_service_worker_is_served_at_the_root_with_its_scope(chatellerault):
    response = client_for(chatellerault).get("/service-worker.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert response["Service-Worker-Allowed"] == "/"
    assert "no-cache" in response["Cache-Control"]
    script = response.content.decode()
    assert 'const OFFLINE_URL = "/offline/";' in script
    assert 'request.mode === "navigate"' in script


def test_the_offline_page_shows_no_one(chatellerault):
    with in_authority(chatellerault):
        poster = agent()
    html = client_for(chatellerault, poster).get("/offline/").content.decode()
    assert "Connexion perdue" in html
    assert poster.full_name not in html and poster.email not in html


def test_every_page_links_the_manifest_and_the_csp_allows_the_worker(chatellerault):
    with in_authority(chatellerault):
        poster = agent()
    response = client_for(chatellerault, poster).get("/listings/")
    assert '<link rel="manifest" href="/manifest.webmanifest">' in response.content.decode()
    policy = response["Content-Security-Policy"]
    assert "worker-src 'self'" in policy and "manifest-src 'self'" in policy
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy


def test_posting_photos_sent_ahead_with_the_store_down_keeps_them_and_the_text(
        chatellerault, settings):
    """The store fails while the photos sent ahead become the listing's: the form again
    with what was typed (503), no listing, no copy left, the photos still waiting for
    the next try."""
    from tests.exchange.listings.test_photo_store_down import (
        STORE_DOWN,
        _client_error,
        _failing_store,
    )
    with in_authority(chatellerault):
        poster, site = agent(), SiteFactory()
    client = client_for(chatellerault, poster)
    first = send(client, banded_jpeg())[1]["id"]
    second = send(client, banded_jpeg())[1]["id"]
    waiting = sorted(pending_files(chatellerault, poster))
    # The first photo's two copies are written, the second's fail.
    with _failing_store(2, lambda: _client_error(500)):
        response = client.post("/listings/new/", listing_data(
            site, poster.service, submit="", pending_photos=f"{first},{second}"))
    assert response.status_code == 503
    html = response.content.decode()
    assert STORE_DOWN in html
    assert 'value="Chaises empilables en hêtre"' in html
    with in_authority(chatellerault):
        assert not Listing.objects.exists()
    assert sorted(pending_files(chatellerault, poster)) == waiting
    assert not [name for name in _all_files(settings.MEDIA_ROOT) if "/listings/" in name
                and "/pending/" not in name]


def _all_files(root: str) -> list[str]:
    return [os.path.join(folder, name) for folder, _dirs, names in os.walk(root)
            for name in names]
