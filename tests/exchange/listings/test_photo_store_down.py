"""The file store down while an agent posts a listing with photos, or adds photos to one:
the form again with what was typed and a clear French error, 503 with Retry-After;
nothing half-made (no listing without its photos, no file left behind)."""

from __future__ import annotations

import os
from unittest import mock

import pytest
from boto3.exceptions import S3UploadFailedError
from botocore.exceptions import ClientError, EndpointConnectionError
from django.core.files.storage import default_storage

from collectivrecup.storage import TenantFileSystemStorage
from core.unavailable import RETRY_AFTER_SECONDS
from exchange.listings import photos
from exchange.listings.models import Listing, ListingPhoto
from tests.accounts.factories import SiteFactory, agent
from tests.conftest import client_for, in_authority
from tests.exchange.listings.factories import ListingFactory, image_upload
from tests.exchange.listings.test_listing_pages import listing_data

pytestmark = pytest.mark.django_db

STORE_DOWN = ("Vos photos n&#x27;ont pas pu être enregistrées pour le moment\u00a0: le stockage "
              "des fichiers ne répond pas.")


@pytest.fixture(autouse=True)
def media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.MULTITENANT_RELATIVE_MEDIA_ROOT = "%s"


def _client_error(status: int) -> ClientError:
    return ClientError({"Error": {"Code": "InternalError" if status >= 500 else "AccessDenied"},
                        "ResponseMetadata": {"HTTPStatusCode": status}}, "PutObject")


def _upload_failed() -> S3UploadFailedError:
    """What boto3's upload raises when the store answers 500: raised while handling the
    ClientError, as boto3 does."""
    try:
        try:
            raise _client_error(500)
        except ClientError as error:
            raise S3UploadFailedError(f"Failed to upload: {error}") from error
    except S3UploadFailedError as failed:
        return failed


OUTAGES = [
    pytest.param(lambda: _client_error(500), id="InternalError 500"),
    pytest.param(lambda: EndpointConnectionError(endpoint_url="http://127.0.0.1:9000"),
                 id="endpoint unreachable"),
    pytest.param(_upload_failed, id="upload failed from a 500"),
]


def _failing_store(after_saves: int, error):
    """The store's save: the first `after_saves` files are written, then `error()`."""
    real = TenantFileSystemStorage._save
    calls = {"n": 0}

    def save(self, name, content):
        calls["n"] += 1
        if calls["n"] > after_saves:
            raise error()
        return real(self, name, content)

    return mock.patch.object(TenantFileSystemStorage, "_save", save)


def _stored_files(root: str) -> list[str]:
    return [os.path.join(folder, name) for folder, _dirs, names in os.walk(root)
            for name in names]


@pytest.mark.parametrize("error", OUTAGES)
def test_posting_with_the_store_down_shows_the_form_again_with_what_was_typed(
        chatellerault, settings, error):
    with in_authority(chatellerault):
        poster, site = agent(), SiteFactory()
    data = listing_data(site, poster.service, submit="",
                        photos=[image_upload("a.jpg"), image_upload("b.jpg")])
    # The first photo's two files are written; the second photo's fail.
    with _failing_store(2, error):
        response = client_for(chatellerault, poster).post("/listings/new/", data)

    assert response.status_code == 503
    assert response["Retry-After"] == str(RETRY_AFTER_SECONDS)
    assert "no-store" in response["Cache-Control"]
    html = response.content.decode()
    assert '<form method="post" enctype="multipart/form-data"' in html  # the form, not a bare page
    assert 'value="Chaises empilables en hêtre"' in html
    assert 'value="45 × 50 × 80 cm"' in html
    assert "Lot de 10 chaises." in html
    assert STORE_DOWN in html
    assert list(response.context["form"].errors) == ["photos"]
    assert "Service momentanément indisponible" not in html
    with in_authority(chatellerault):
        assert not Listing.objects.exists()  # all or nothing: no listing without its photos
        assert not ListingPhoto.objects.exists()
    # The first photo's files, written before the failure, are gone with the listing.
    assert _stored_files(settings.MEDIA_ROOT) == []


def test_posting_again_once_the_store_is_back_makes_one_listing(chatellerault):
    with in_authority(chatellerault):
        poster, site = agent(), SiteFactory()
    client = client_for(chatellerault, poster)
    with _failing_store(0, lambda: _client_error(503)):
        refused = client.post("/listings/new/", listing_data(
            site, poster.service, submit="", photos=[image_upload("a.jpg")]))
    assert refused.status_code == 503
    again = client.post("/listings/new/", listing_data(
        site, poster.service, submit="", photos=[image_upload("a.jpg")]))
    assert again.status_code == 302
    with in_authority(chatellerault):
        listing = Listing.objects.get()
        assert listing.photos.count() == 1
        assert default_storage.exists(listing.photos.get().thumbnail.name)


def test_adding_photos_on_the_edit_page_with_the_store_down_keeps_those_stored(chatellerault):
    with in_authority(chatellerault):
        listing = ListingFactory()
    client = client_for(chatellerault, listing.poster)
    with _failing_store(2, lambda: _client_error(500)):
        response = client.post(f"/listings/{listing.pk}/photos/",
                               {"image": [image_upload("a.jpg"), image_upload("b.jpg")]})
    assert response.status_code == 503
    assert response["Retry-After"] == str(RETRY_AFTER_SECONDS)
    html = response.content.decode()
    assert STORE_DOWN in html
    assert response.context["photo_form"].errors["image"]
    assert f'value="{listing.title}"' in html  # the edit form, with the listing's values
    assert "Photos ajoutées\u00a0: 1." in html  # the first was stored before the failure
    with in_authority(chatellerault):
        assert listing.photos.count() == 1


def test_a_refusal_of_the_store_is_not_an_outage(chatellerault):
    """403 (a key refused) is a configuration bug: the usual error, not « try again »."""
    with in_authority(chatellerault):
        listing = ListingFactory()
        with _failing_store(0, lambda: _client_error(403)), pytest.raises(ClientError):
            photos.add_photo(listing=listing, actor=listing.poster, upload=image_upload())
        assert not listing.photos.exists()


def test_the_store_down_is_still_an_outage_where_nobody_catches_it(chatellerault):
    from core.unavailable import is_unavailable

    with in_authority(chatellerault):
        listing = ListingFactory()
        with _failing_store(0, lambda: _client_error(500)), \
                pytest.raises(photos.PhotoStoreUnavailable) as raised:
            photos.add_photo(listing=listing, actor=listing.poster, upload=image_upload())
    assert is_unavailable(raised.value)  # the API's handler answers its problem+json 503
