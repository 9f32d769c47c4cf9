"""Photos of shared listings, served on the viewer's own host: the viewer's authority
must see the listing in its shared feed (the one rule, selectors.shared_entry), and the
file is read from the owner's storage (media paths carry the owner's schema)."""

from __future__ import annotations

from django.core.files.storage import default_storage

from exchange.listings.models import ListingPhoto
from exchange.sharing.grounds import SharingAgreementGround
from exchange.sharing.selectors import shared_entry
from tenants.crossing import CrossingRefused, in_authority
from tenants.models import Authority

SIZES = {"full": "image", "thumb": "thumbnail"}


def open_shared_photo(viewer: Authority, owner_slug: str, listing_id: int, photo_id: int,
                      size: str):
    """An open file of the photo, or None when the viewer may not see it (or it is gone)."""
    if size not in SIZES:
        return None
    entry = shared_entry(viewer, owner_slug, listing_id)
    if entry is None or photo_id not in entry.photo_ids:
        return None
    try:
        with in_authority(entry.authority, ground=SharingAgreementGround(viewer)):
            photo = ListingPhoto.objects.filter(pk=photo_id, listing_id=listing_id).first()
            if photo is None:
                return None
            return default_storage.open(getattr(photo, SIZES[size]).name, "rb")
    except (CrossingRefused, OSError):  # agreement ended or a side not live; file gone
        return None
