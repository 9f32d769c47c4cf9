"""Reserving a published listing for someone before its items are given."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from exchange.listings.errors import ExchangeError
from exchange.listings.models import Listing, ModerationAction
from exchange.listings.permissions import can_close
from exchange.listings.services.audit import record_event


@transaction.atomic
def set_reservation(*, listing: Listing, actor: User, reserved_for: str) -> Listing:
    """Mark a published listing reserved for someone ("" cancels the reservation)."""
    listing = Listing.objects.select_for_update().get(pk=listing.pk)
    if not can_close(actor, listing):
        raise ExchangeError(_("You cannot reserve this listing."), code="forbidden")
    listing.reserved_for = reserved_for.strip()[:200]
    listing.save(update_fields=["reserved_for", "updated_at"])
    record_event(listing, actor,
                 ModerationAction.RESERVED if listing.reserved_for
                 else ModerationAction.UNRESERVED,
                 message=listing.reserved_for)
    return listing
