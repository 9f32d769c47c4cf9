"""A moderator's work on a listing awaiting review: hold it while reading it, then
approve it (one or several), reject it or ask for changes. The poster hears of each
decision by mail, stored in the outbox with the decision (core.outbox)."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from exchange.listings import notifications
from exchange.listings.errors import ExchangeError
from exchange.listings.models import Listing, ListingStatus, ModerationAction
from exchange.listings.permissions import is_held_by_someone_else
from exchange.listings.projections import sync_after_commit
from exchange.listings.services.audit import record_event
from exchange.listings.services.checks import require_moderator
from exchange.listings.services.posting import publish

HOLD_DURATION = timedelta(minutes=15)


def _lock_for_decision(listing: Listing, actor: User) -> Listing:
    listing = Listing.objects.select_for_update().get(pk=listing.pk)
    if is_held_by_someone_else(actor, listing):
        raise ExchangeError(
            _("%(name)s is moderating this listing right now.") % {"name": listing.held_by},
            code="held")
    return listing


@transaction.atomic
def hold_listing(*, listing: Listing, actor: User) -> Listing:
    """A moderator opens a listing: nobody else acts on it for a quarter of an hour."""
    require_moderator(actor)
    listing = _lock_for_decision(listing, actor)
    listing.held_by = actor
    listing.held_until = timezone.now() + HOLD_DURATION
    listing.save(update_fields=["held_by", "held_until"])
    return listing


@transaction.atomic
def approve_listing(*, listing: Listing, actor: User) -> Listing:
    require_moderator(actor)
    listing = _lock_for_decision(listing, actor)
    if listing.status != ListingStatus.PENDING:
        raise ExchangeError(_("Only a listing awaiting moderation can be approved."),
                            code="state")
    publish(listing)
    record_event(listing, actor, ModerationAction.APPROVED)
    notifications.decision_to_poster(listing, ModerationAction.APPROVED, "")
    return listing


def bulk_approve(*, listings, actor: User) -> tuple[list[Listing], list[tuple[Listing, str]]]:
    """Approve several listings; each one stands alone. Returns (approved, refused)."""
    approved, refused = [], []
    for listing in listings:
        try:
            approved.append(approve_listing(listing=listing, actor=actor))
        except ExchangeError as error:
            refused.append((listing, error.messages[0]))
    return approved, refused


@transaction.atomic
def reject_listing(*, listing: Listing, actor: User, reason: str) -> Listing:
    require_moderator(actor)
    if not reason.strip():
        raise ExchangeError(_("Say why the listing is rejected."), code="reason")
    listing = _lock_for_decision(listing, actor)
    if listing.status not in (ListingStatus.PENDING, ListingStatus.PUBLISHED):
        raise ExchangeError(_("This listing cannot be rejected now."), code="state")
    listing.status = ListingStatus.REJECTED
    listing.held_by = None
    listing.save()
    sync_after_commit(listing)
    record_event(listing, actor, ModerationAction.REJECTED, message=reason.strip())
    notifications.decision_to_poster(listing, ModerationAction.REJECTED, reason.strip())
    return listing


@transaction.atomic
def request_changes(*, listing: Listing, actor: User, message: str) -> Listing:
    require_moderator(actor)
    if not message.strip():
        raise ExchangeError(_("Say what should change."), code="message")
    listing = _lock_for_decision(listing, actor)
    if listing.status not in (ListingStatus.PENDING, ListingStatus.PUBLISHED):
        raise ExchangeError(_("Changes cannot be requested on this listing now."),
                            code="state")
    listing.status = ListingStatus.CHANGES_REQUESTED
    listing.held_by = None
    listing.save()
    sync_after_commit(listing)
    record_event(listing, actor, ModerationAction.CHANGES_REQUESTED, message=message.strip())
    notifications.decision_to_poster(listing, ModerationAction.CHANGES_REQUESTED,
                                     message.strip())
    return listing
