"""Photos of a listing: only real images, 10 MB and 8 photos at most, EXIF stripped,
resized with a thumbnail, served only to members who may see the listing."""

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from exchange.listings import photos
from exchange.listings.errors import ExchangeError
from exchange.listings.models import Listing, ListingPhoto, ListingStatus
from tests.accounts.factories import agent, moderator
from tests.conftest import client_for, in_authority
from tests.exchange.listings.factories import ListingFactory, image_upload, published_listing

pytestmark = pytest.mark.django_db

FOREIGN_PK = 987_654  # a listing pk no other row of these tests uses


@pytest.fixture(autouse=True)
def media_in_tmp(settings, tmp_path):
    """Photos are written under a temporary MEDIA_ROOT (still one folder per schema)."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.MULTITENANT_RELATIVE_MEDIA_ROOT = "%s"  # resets the storage's cached root


def stored_image(name: str) -> Image.Image:
    with default_storage.open(name, "rb") as file:
        image = Image.open(file)
        image.load()
    return image


def exif_with_orientation(orientation: int) -> Image.Exif:
    exif = Image.Exif()
    exif[0x010F] = "Canon"  # Make
    exif[0x0110] = "EOS 5D"  # Model
    exif[0x013B] = "Jean Dupont"  # Artist
    exif[0x0112] = orientation  # Orientation
    return exif


# --- The service -----------------------------------------------------------------------

def test_a_photo_is_resized_with_a_thumbnail_under_the_authority_folder(chatellerault):
    with in_authority(chatellerault):
        listing = ListingFactory()
        photo = photos.add_photo(listing=listing, actor=listing.poster,
                                 upload=image_upload(size=(3200, 2400)))
        full, thumb = stored_image(photo.image.name), stored_image(photo.thumbnail.name)
        path = default_storage.path(photo.image.name)
    assert (full.format, full.size) == ("JPEG", (1600, 1200))
    assert (photo.width, photo.height) == (1600, 1200)
    assert thumb.format == "JPEG" and max(thumb.size) == 400
    assert f"/{chatellerault.schema_name}/listings/{listing.pk}/" in path


def test_exif_is_removed_and_orientation_applied(chatellerault):
    upload = image_upload(size=(200, 100), exif=exif_with_orientation(6))
    assert Image.open(upload).getexif()[0x010F] == "Canon"
    upload.seek(0)
    with in_authority(chatellerault):
        listing = ListingFactory()
        photo = photos.add_photo(listing=listing, actor=listing.poster, upload=upload)
        full, thumb = stored_image(photo.image.name), stored_image(photo.thumbnail.name)
    for image in (full, thumb):
        assert dict(image.getexif()) == {}
        assert "exif" not in image.info
    assert full.size == (100, 200)  # turned upright (orientation 6: 90° clockwise)


def test_a_png_with_transparency_is_flattened_on_white_as_jpeg(chatellerault):
    upload = image_upload("logo.png", image_format="PNG", mode="RGBA", color=(0, 0, 0, 0),
                          size=(50, 50), content_type="image/png")
    with in_authority(chatellerault):
        listing = ListingFactory()
        photo = photos.add_photo(listing=listing, actor=listing.poster, upload=upload)
        full = stored_image(photo.image.name)
    assert full.format == "JPEG"
    assert all(channel > 250 for channel in full.getpixel((25, 25)))


def test_webp_is_accepted(chatellerault):
    upload = image_upload("photo.webp", image_format="WEBP", content_type="image/webp")
    with in_authority(chatellerault):
        listing = ListingFactory()
        photos.add_photo(listing=listing, actor=listing.poster, upload=upload)
        assert listing.photos.count() == 1


@pytest.mark.parametrize("upload", [
    SimpleUploadedFile("photo.jpg", b"%PDF-1.4 not an image at all", content_type="image/jpeg"),
    SimpleUploadedFile("photo.jpg", b"\xff\xd8\xff\xe0" + b"\x00" * 200,
                       content_type="image/jpeg"),
    image_upload("anim.gif", image_format="GIF", mode="P", color=1, content_type="image/gif"),
], ids=["pdf-named-jpg", "truncated-jpeg", "gif"])
def test_a_file_that_is_not_a_jpeg_png_or_webp_image_is_refused(chatellerault, upload):
    with in_authority(chatellerault):
        listing = ListingFactory()
        with pytest.raises(ExchangeError) as refused:
            photos.add_photo(listing=listing, actor=listing.poster, upload=upload)
        assert not ListingPhoto.objects.exists()
    assert refused.value.code == "not_image"


def test_an_upload_over_10_mb_is_refused(chatellerault):
    upload = SimpleUploadedFile("huge.jpg", b"\xff" * (photos.MAX_UPLOAD_BYTES + 1),
                                content_type="image/jpeg")
    with in_authority(chatellerault):
        listing = ListingFactory()
        with pytest.raises(ExchangeError) as refused:
            photos.add_photo(listing=listing, actor=listing.poster, upload=upload)
    assert refused.value.code == "too_large"


def test_the_ninth_photo_is_refused(chatellerault):
    with in_authority(chatellerault):
        listing = ListingFactory()
        for _ in range(8):
            photos.add_photo(listing=listing, actor=listing.poster,
                             upload=image_upload(size=(40, 30)))
        with pytest.raises(ExchangeError) as refused:
            photos.add_photo(listing=listing, actor=listing.poster,
                             upload=image_upload(size=(40, 30)))
        assert listing.photos.count() == 8
    assert refused.value.code == "too_many_photos"


def test_another_agent_cannot_add_or_remove_photos(chatellerault):
    with in_authority(chatellerault):
        listing = ListingFactory()
        photo = photos.add_photo(listing=listing, actor=listing.poster, upload=image_upload())
        intruder = agent()
        with pytest.raises(ExchangeError) as refused:
            photos.add_photo(listing=listing, actor=intruder, upload=image_upload())
        assert refused.value.code == "forbidden"
        with pytest.raises(ExchangeError):
            photos.delete_photo(photo=photo, actor=intruder)
        assert listing.photos.count() == 1


def test_removing_a_photo_deletes_its_files_after_commit(
        chatellerault, django_capture_on_commit_callbacks):
    with in_authority(chatellerault):
        listing = ListingFactory()
        photo = photos.add_photo(listing=listing, actor=listing.poster, upload=image_upload())
        names = [photo.image.name, photo.thumbnail.name]
        with django_capture_on_commit_callbacks(execute=True):
            photos.delete_photo(photo=photo, actor=listing.poster)
        assert not listing.photos.exists()
        assert not any(default_storage.exists(name) for name in names)


def test_a_new_photo_on_a_published_listing_goes_back_to_review(chatellerault):
    """Under pre-moderation (the default) a photo is a change like any other."""
    with in_authority(chatellerault):
        listing = published_listing()
        photos.add_photo(listing=listing, actor=listing.poster, upload=image_upload())
        listing.refresh_from_db()
    assert listing.status == ListingStatus.PENDING


# --- Upload and delete pages -------------------------------------------------------------

def test_the_poster_uploads_photos_from_the_edit_page(chatellerault):
    with in_authority(chatellerault):
        listing = ListingFactory()
    client = client_for(chatellerault, listing.poster)
    response = client.post(f"/listings/{listing.pk}/photos/",
                           {"image": [image_upload("a.jpg"), image_upload("b.png",
                                                                          image_format="PNG")]})
    assert response.status_code == 302
    assert response["Location"] == f"/listings/{listing.pk}/edit/"
    with in_authority(chatellerault):
        assert listing.photos.count() == 2
    page = client.get(f"/listings/{listing.pk}/edit/")
    assert page.content.decode().count(f"/listings/{listing.pk}/photos/") >= 2


def test_a_non_image_upload_is_refused_on_the_form(chatellerault):
    with in_authority(chatellerault):
        listing = ListingFactory()
    response = client_for(chatellerault, listing.poster).post(
        f"/listings/{listing.pk}/photos/",
        {"image": SimpleUploadedFile("cv.jpg", b"not an image", content_type="image/jpeg")})
    assert response.status_code == 200
    assert response.context["photo_form"].errors["image"]
    assert 'class="field field-invalid"' in response.content.decode()
    with in_authority(chatellerault):
        assert not listing.photos.exists()


def test_an_oversized_upload_is_refused_on_the_form(chatellerault):
    with in_authority(chatellerault):
        listing = ListingFactory()
    big = SimpleUploadedFile("big.jpg", b"\xff" * (photos.MAX_UPLOAD_BYTES + 1),
                             content_type="image/jpeg")
    response = client_for(chatellerault, listing.poster).post(
        f"/listings/{listing.pk}/photos/", {"image": big})
    assert response.status_code == 200
    assert response.context["photo_form"].errors["image"]


def test_the_ninth_upload_is_refused_on_the_form(chatellerault):
    with in_authority(chatellerault):
        listing = ListingFactory()
        for _ in range(8):
            photos.add_photo(listing=listing, actor=listing.poster,
                             upload=image_upload(size=(40, 30)))
    response = client_for(chatellerault, listing.poster).post(
        f"/listings/{listing.pk}/photos/", {"image": image_upload()})
    assert response.status_code == 200
    assert response.context["photo_form"].errors["image"]
    with in_authority(chatellerault):
        assert listing.photos.count() == 8


def test_another_agent_cannot_upload_to_someone_elses_listing(chatellerault):
    with in_authority(chatellerault):
        draft = ListingFactory()
        online = published_listing()
        intruder = agent()
    client = client_for(chatellerault, intruder)
    assert client.post(f"/listings/{draft.pk}/photos/",
                       {"image": image_upload()}).status_code == 404
    assert client.post(f"/listings/{online.pk}/photos/",
                       {"image": image_upload()}).status_code == 403
    with in_authority(chatellerault):
        assert not ListingPhoto.objects.exists()


def test_photo_delete_page(chatellerault):
    with in_authority(chatellerault):
        listing = ListingFactory()
        photo = photos.add_photo(listing=listing, actor=listing.poster, upload=image_upload())
        Listing.objects.filter(pk=listing.pk).update(status=ListingStatus.PUBLISHED)
        intruder = agent()
    path = f"/listings/{listing.pk}/photos/{photo.pk}/delete/"
    assert client_for(chatellerault, intruder).post(path).status_code == 403
    response = client_for(chatellerault, listing.poster).post(path)
    assert response.status_code == 302
    with in_authority(chatellerault):
        assert not listing.photos.exists()


# --- Serving photos -------------------------------------------------------------------------

def test_photos_are_served_only_to_members_who_may_see_the_listing(chatellerault):
    with in_authority(chatellerault):
        draft = ListingFactory()
        photo = photos.add_photo(listing=draft, actor=draft.poster, upload=image_upload())
        other, mod = agent(), moderator()
    thumb = f"/listings/{draft.pk}/photos/{photo.pk}/thumb/"
    full = f"/listings/{draft.pk}/photos/{photo.pk}/full/"

    response = client_for(chatellerault, draft.poster).get(thumb)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert "private" in response["Cache-Control"]
    assert max(Image.open(_body(response)).size) <= 400
    assert client_for(chatellerault, mod).get(full).status_code == 200
    assert client_for(chatellerault, other).get(thumb).status_code == 404
    assert client_for(chatellerault).get(thumb).status_code == 302
    assert client_for(chatellerault, draft.poster).get(
        f"/listings/{draft.pk}/photos/{photo.pk}/original/").status_code == 404

    with in_authority(chatellerault):
        Listing.objects.filter(pk=draft.pk).update(status=ListingStatus.PUBLISHED)
    assert client_for(chatellerault, other).get(full).status_code == 200


def test_a_photo_of_another_authority_is_a_404(chatellerault, grand_chatellerault):
    with in_authority(grand_chatellerault):
        listing = ListingFactory(pk=FOREIGN_PK, status=ListingStatus.PUBLISHED)
        photo = photos.add_photo(listing=listing, actor=moderator(), upload=image_upload())
    with in_authority(chatellerault):
        reader = agent()
    path = f"/listings/{FOREIGN_PK}/photos/{photo.pk}/thumb/"
    assert client_for(chatellerault, reader).get(path).status_code == 404
    client = client_for(chatellerault, reader)
    client.defaults["HTTP_HOST"] = "grand-chatellerault.localhost"
    response = client.get(path)
    assert response.status_code == 302  # a member of Châtellerault is nobody there
    assert response["Location"].startswith("/accounts/login/")


def _body(response):
    import io

    return io.BytesIO(b"".join(response.streaming_content))
