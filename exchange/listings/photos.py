"""Photos of a listing: only real images, metadata stripped, resized, with a thumbnail.

Every upload is opened and verified with Pillow, turned upright from its EXIF
orientation, then re-encoded as JPEG: re-encoding drops EXIF (GPS position, camera,
owner…) and any other metadata. Images with transparency (PNG, WebP) are flattened on
white, so every stored photo and thumbnail is a JPEG. Files go through Django's default
storage, which puts them under the authority's schema (filesystem or S3).

The posting form on a phone sends its photos ahead, one request each
(`upload_pending_photo`), already shrunk by the browser; the same checks and cleaning
apply, and the form then names them by token (`attach_pending_photos`). Photos never
attached are deleted after PENDING_PHOTO_HOURS (`delete_expired_pending_photos`).
"""

from __future__ import annotations

import contextlib
import io
import re
import time
import uuid
import warnings
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from accounts.models import User
from core.unavailable import is_store_unavailable
from exchange.listings.errors import ExchangeError
from exchange.listings.models import Listing, ListingPhoto
from exchange.listings.permissions import can_edit
from exchange.listings.services.posting import record_edit

MAX_PHOTOS = 8
MAX_UPLOAD_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 50_000_000  # beyond this an upload is refused, whatever its size in bytes
ACCEPTED_FORMATS = {"JPEG": "JPEG", "PNG": "PNG", "WEBP": "WebP"}
FULL_SIDE = 1600
THUMBNAIL_SIDE = 400
JPEG_QUALITY = 85


class PhotoStoreUnavailable(Exception):
    """The file store did not take a photo (unreachable, or answering 5xx): nothing of
    the photo is kept. Raised from the store's error, so core.unavailable still sees an
    outage (a clean 503) wherever nobody catches it; the listing forms catch it to show
    the form again with what was typed (exchange.listings.views)."""


def _not_an_image() -> ExchangeError:
    return ExchangeError(_("This file is not a JPEG, PNG or WebP image."), code="not_image")


def _open_image(upload) -> Image.Image:
    """Open an upload as an image, or raise ExchangeError. Checks the real content,
    never the file name or the announced content type."""
    if upload.size is not None and upload.size > MAX_UPLOAD_BYTES:
        raise ExchangeError(
            _("This photo is too large: %(max)s MB at most.")
            % {"max": MAX_UPLOAD_BYTES // (1024 * 1024)}, code="too_large")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            upload.seek(0)
            with Image.open(upload) as probe:
                image_format = probe.format
                too_many_pixels = probe.width * probe.height > MAX_PIXELS
                probe.verify()
            if image_format not in ACCEPTED_FORMATS:
                raise _not_an_image()
            if too_many_pixels:
                raise ExchangeError(_("This photo has too many pixels."), code="too_large")
            upload.seek(0)
            image = Image.open(upload)
            image.load()  # decode now: a truncated or corrupt file fails here
    except ExchangeError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise ExchangeError(_("This photo has too many pixels."), code="too_large") from error
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as error:
        raise _not_an_image() from error
    return image


def _upright_rgb(image: Image.Image) -> Image.Image:
    """Apply the EXIF orientation, then flatten any transparency on white."""
    image = ImageOps.exif_transpose(image)
    if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image.convert("RGB")


def _jpeg(image: Image.Image, side: int) -> tuple[bytes, tuple[int, int]]:
    """Re-encode within side × side pixels, as JPEG, without any metadata.
    Returns the bytes and the (width, height) written."""
    copy = image.copy()
    copy.thumbnail((side, side), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    copy.save(buffer, format="JPEG", quality=JPEG_QUALITY, optimize=True)
    return buffer.getvalue(), copy.size


@transaction.atomic
def add_photo(*, listing: Listing, actor: User, upload) -> ListingPhoto:
    """Add an uploaded photo to a listing (8 at most), cleaned and resized.

    Raises ExchangeError when the actor may not edit the listing, when it already has
    its photos, or when the upload is not a real JPEG/PNG/WebP image of 10 MB at most;
    PhotoStoreUnavailable when the file store does not take the files (none is kept).
    """
    listing = Listing.objects.select_for_update().get(pk=listing.pk)
    if not can_edit(actor, listing):
        raise ExchangeError(_("You cannot add photos to this listing."), code="forbidden")
    count = listing.photos.count()
    if count >= MAX_PHOTOS:
        raise ExchangeError(_("A listing has %(max)s photos at most.") % {"max": MAX_PHOTOS},
                            code="too_many_photos")
    full, (width, height), thumbnail = cleaned_jpegs(upload)
    return _store_photo(listing=listing, actor=actor, count=count, full=full,
                        size=(width, height), thumbnail=thumbnail)


def _store_photo(*, listing: Listing, actor: User, count: int, full: bytes,
                 size: tuple[int, int], thumbnail: bytes) -> ListingPhoto:
    """Write cleaned JPEGs as the listing's next photo (inside the caller's atomic
    block, the listing locked and its `count` photos counted)."""
    width, height = size
    position = (listing.photos.aggregate(last=Max("position"))["last"] or 0) + 1
    photo = ListingPhoto(listing=listing, position=position)
    name = uuid.uuid4().hex
    try:
        photo.image.save(f"{name}.jpg", ContentFile(full), save=False)
        photo.thumbnail.save(f"{name}-thumb.jpg", ContentFile(thumbnail), save=False)
    except Exception as error:
        with contextlib.suppress(Exception):  # the store may be down for this too
            _delete_files([photo.image.name, photo.thumbnail.name])
        if is_store_unavailable(error):
            raise PhotoStoreUnavailable from error
        raise
    photo.width, photo.height = width, height  # known: no need to read the file back
    try:
        photo.save()
        record_edit(listing=listing, actor=actor,
                    changes={"photos": [str(count), str(count + 1)]})
    except Exception:
        _delete_files([photo.image.name, photo.thumbnail.name])
        raise
    return photo


@transaction.atomic
def delete_photo(*, photo: ListingPhoto, actor: User) -> None:
    """Remove a photo; its files leave the storage once the deletion is committed."""
    listing = Listing.objects.select_for_update().get(pk=photo.listing_id)
    if not can_edit(actor, listing):
        raise ExchangeError(_("You cannot remove photos from this listing."),
                            code="forbidden")
    count = listing.photos.count()
    names = [photo.image.name, photo.thumbnail.name]
    photo.delete()
    record_edit(listing=listing, actor=actor,
                changes={"photos": [str(count), str(count - 1)]})
    transaction.on_commit(lambda: _delete_files(names))


def discard_files(photos: list[ListingPhoto]) -> None:
    """Remove from the store the files of `photos` whose rows were rolled back (a listing
    posted with several photos, the store failing on a later one). Best effort: the
    store may not answer for this either."""
    with contextlib.suppress(Exception):
        _delete_files([name for photo in photos
                       for name in (photo.image.name, photo.thumbnail.name)])


def _delete_files(names: list[str]) -> None:
    for name in names:
        if name:
            default_storage.delete(name)


def cleaned_jpegs(upload) -> tuple[bytes, tuple[int, int], bytes]:
    """The checks and cleaning of `add_photo` for another owner of photos (the loans'
    lendable items, issue 18): the upload verified as a real JPEG/PNG/WebP image of
    10 MB at most (ExchangeError otherwise), upright, metadata dropped; returns the full
    JPEG, its (width, height) and the thumbnail JPEG."""
    image = _upright_rgb(_open_image(upload))
    full, size = _jpeg(image, FULL_SIDE)
    thumbnail, _size = _jpeg(image, THUMBNAIL_SIDE)
    return full, size, thumbnail


# --- Photos sent ahead of their listing (the posting form on a phone) -----------------
#
# Files only, no table: a photo sent ahead is its cleaned JPEG and thumbnail under
# listings/pending/<user id>/<token>.jpg in the authority's storage. Whose it is is its
# folder; its age is the file's. The token (32 hex digits) is what the form posts.

PENDING_DIR = "listings/pending"
PENDING_TOKEN = re.compile(r"[0-9a-f]{32}")


@dataclass(frozen=True)
class PendingPhoto:
    token: str
    width: int
    height: int


def _pending_names(uploader_id: int, token: str) -> tuple[str, str]:
    base = f"{PENDING_DIR}/{uploader_id}/{token}"
    return f"{base}.jpg", f"{base}-thumb.jpg"


def _current_hour() -> int:
    return int(time.time() // 3600)


def _count_upload(uploader: User) -> None:
    """Count one upload of the agent in the current clock hour (per authority: cache
    keys carry the schema); ExchangeError "rate_limited" beyond PHOTO_UPLOADS_PER_HOUR.
    Refused uploads count too."""
    key = f"pending-photo-uploads:{uploader.pk}:{_current_hour()}"
    cache.add(key, 0, timeout=3600)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=3600)
        count = 1
    if count > settings.PHOTO_UPLOADS_PER_HOUR:
        raise ExchangeError(
            _("You have sent too many photos in the last hour (%(max)s at most). Wait a "
              "little before sending more.") % {"max": settings.PHOTO_UPLOADS_PER_HOUR},
            code="rate_limited")


def upload_pending_photo(*, uploader: User, upload) -> PendingPhoto:
    """Check, clean and keep a photo the posting form sends ahead of its listing.

    The same checks as `add_photo` (a real JPEG/PNG/WebP image, 10 MB and
    MAX_PIXELS at most, re-encoded without metadata, upright). Raises ExchangeError
    (code "rate_limited") beyond PHOTO_UPLOADS_PER_HOUR uploads of the agent in the
    current hour."""
    _count_upload(uploader)
    full, (width, height), thumbnail = cleaned_jpegs(upload)
    token = uuid.uuid4().hex
    full_name, thumbnail_name = _pending_names(uploader.pk, token)
    try:
        default_storage.save(full_name, ContentFile(full))
        default_storage.save(thumbnail_name, ContentFile(thumbnail))
    except Exception:
        _delete_files([full_name, thumbnail_name])
        raise
    return PendingPhoto(token=token, width=width, height=height)


def _is_waiting(name: str, since) -> bool:
    try:
        return default_storage.exists(name) and default_storage.get_modified_time(name) >= since
    except FileNotFoundError:  # deleted by the hourly clean-up in between
        return False


@transaction.atomic
def attach_pending_photos(*, listing: Listing, actor: User, tokens: list[str],
                          stored: list[ListingPhoto] | None = None) -> int:
    """Make the actor's waiting photos `tokens` photos of the listing, in that order.

    Only the actor's own photos still waiting count (a token of someone else's photo,
    of one already attached or expired names no file of the actor's): they are skipped,
    and their number returned so that the page can ask for them again. Raises
    ExchangeError like `add_photo` (not allowed to edit the listing, more than
    MAX_PHOTOS), PhotoStoreUnavailable when the file store does not answer. Each photo
    written is appended to `stored`, for the caller to discard its files if the
    transaction rolls back. The pending files leave the storage after commit."""
    listing = Listing.objects.select_for_update().get(pk=listing.pk)
    if not can_edit(actor, listing):
        raise ExchangeError(_("You cannot add photos to this listing."), code="forbidden")
    tokens = [t for t in dict.fromkeys(tokens) if PENDING_TOKEN.fullmatch(t)]
    since = timezone.now() - timedelta(hours=settings.PENDING_PHOTO_HOURS)
    waiting = [(t, *_pending_names(actor.pk, t)) for t in tokens]
    waiting = [w for w in waiting if _is_waiting(w[1], since) and _is_waiting(w[2], since)]
    count = listing.photos.count()
    if count + len(waiting) > MAX_PHOTOS:
        raise ExchangeError(_("A listing has %(max)s photos at most.") % {"max": MAX_PHOTOS},
                            code="too_many_photos")
    spent: list[str] = []
    for _token, full_name, thumbnail_name in waiting:
        try:
            with default_storage.open(full_name, "rb") as file:
                full = file.read()
            with default_storage.open(thumbnail_name, "rb") as file:
                thumbnail = file.read()
        except Exception as error:
            if is_store_unavailable(error):
                raise PhotoStoreUnavailable from error
            raise
        with Image.open(io.BytesIO(full)) as image:  # our own JPEG: its size only
            size = image.size
        photo = _store_photo(listing=listing, actor=actor, count=count, full=full, size=size,
                             thumbnail=thumbnail)
        if stored is not None:
            stored.append(photo)
        count += 1
        spent += [full_name, thumbnail_name]
    transaction.on_commit(lambda: _delete_files(spent))
    return len(tokens) - len(waiting)


def delete_expired_pending_photos() -> int:
    """Delete the photos left waiting past PENDING_PHOTO_HOURS in the current
    authority's storage. Idempotent. Returns how many files were deleted."""
    cutoff = timezone.now() - timedelta(hours=settings.PENDING_PHOTO_HOURS)
    deleted = 0
    try:
        folders, _files = default_storage.listdir(PENDING_DIR)
    except FileNotFoundError:
        return 0
    for folder in folders:
        _subfolders, files = default_storage.listdir(f"{PENDING_DIR}/{folder}")
        for file in files:
            name = f"{PENDING_DIR}/{folder}/{file}"
            if default_storage.get_modified_time(name) < cutoff:
                default_storage.delete(name)
                deleted += 1
    return deleted
