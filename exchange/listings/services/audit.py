"""The audit trail of a listing: one ModerationEvent per decision or change, written
by the service that makes it (never by a view)."""

from __future__ import annotations

from accounts.models import User
from exchange.listings.models import Listing, ModerationEvent


def record_event(listing: Listing, actor: User | None, action: str, message: str = "",
                 changes: dict | None = None) -> ModerationEvent:
    return ModerationEvent.objects.create(listing=listing, actor=actor, action=action,
                                          message=message, changes=changes or {})
