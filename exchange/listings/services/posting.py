"""Posting a listing: create it, edit it, submit it to moderation, publish it; and what
follows any change to a listing (`record_edit`, also called by exchange.listings.photos)."""

from __future__ import annotations

import re
from datetime import timedelta

from django.contrib.postgres.search import SearchVector
from django.db import transaction
from django.db.models import Value
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from exchange.listings import notifications
from exchange.listings.errors import ExchangeError
from exchange.listings.models import (
    SEARCH_CONFIG,
    Listing,
    ListingStatus,
    ModerationAction,
    ModerationMode,
    Visibility,
)
from exchange.listings.permissions import can_edit, can_manage, can_moderate_as_other, can_submit
from exchange.listings.projections import sync_after_commit
from exchange.listings.selectors import exchange_settings
from exchange.listings.services.audit import record_event
from exchange.listings.services.checks import check_category, check_values
from exchange.listings.services.plausibility import check_plausible, mark_outlier_confirmed
from tenants.background import after_commit

EDITABLE_FIELDS = ("title", "description", "category", "quantity", "condition",
                   "estimated_value", "dimensions", "service", "site", "available_from",
                   "available_until")


def _refresh_search_vector(listing: Listing) -> None:
    Listing.objects.filter(pk=listing.pk).update(
        search_vector=SearchVector(Value(listing.title), weight="A", config=SEARCH_CONFIG)
        + SearchVector(Value(listing.description), weight="B", config=SEARCH_CONFIG)
    )


@transaction.atomic
def create_listing(*, poster: User, submit: bool = False, confirm_outlier: bool = False,
                   **data) -> Listing:
    """Create a listing as a draft (or submit it straight away). A quantity or a value
    per item above the plausibility bounds is refused unless a moderator confirms it
    (`confirm_outlier`)."""
    data.setdefault("service", poster.service)
    if data.get("service") is None:
        raise ExchangeError(_("Choose the service that gives the items."), code="service")
    check_values(data)
    confirming = check_plausible(quantity=data.get("quantity"),
                                 value=data.get("estimated_value"), actor=poster,
                                 confirm_outlier=confirm_outlier)
    check_category(data["category"])
    visibility = data.get("visibility") or exchange_settings().default_visibility
    if visibility not in Visibility.values:
        raise ExchangeError(_("Choose who may see the listing."), code="visibility")
    listing = Listing.objects.create(poster=poster, status=ListingStatus.DRAFT,
                                     visibility=visibility,
                                     **{k: v for k, v in data.items() if k in EDITABLE_FIELDS})
    _refresh_search_vector(listing)
    if confirming:
        mark_outlier_confirmed(listing, poster)
    if submit:
        listing = submit_listing(listing=listing, actor=poster)
    return listing


def _diff(listing: Listing, data: dict) -> dict:
    changes = {}
    for field in EDITABLE_FIELDS:
        if field not in data:
            continue
        old, new = getattr(listing, field), data[field]
        if old != new:
            changes[field] = [str(old) if old is not None else None,
                              str(new) if new is not None else None]
    return changes


@transaction.atomic
def update_listing(*, listing: Listing, actor: User, confirm_outlier: bool = False,
                   **data) -> Listing:
    """Edit a listing. A poster's edit of a published listing under pre-moderation
    sends it back to review; a moderator's edit is recorded in the audit trail.
    Implausible figures need a moderator's confirmation; changing the quantity or the
    value drops an earlier one."""
    listing = Listing.objects.select_for_update().get(pk=listing.pk)
    if not can_edit(actor, listing):
        raise ExchangeError(_("You cannot edit this listing."), code="forbidden")
    check_values(data)
    quantity = data.get("quantity", listing.quantity)
    value = data.get("estimated_value", listing.estimated_value)
    figures_change = (quantity, value) != (listing.quantity, listing.estimated_value)
    confirming = check_plausible(
        quantity=quantity, value=value, actor=actor, confirm_outlier=confirm_outlier,
        already_confirmed=listing.outlier_confirmed_at is not None and not figures_change)
    if "category" in data and data["category"] != listing.category:
        check_category(data["category"])
    changes = _diff(listing, data)
    if figures_change and listing.outlier_confirmed_at is not None:
        listing.outlier_confirmed_by, listing.outlier_confirmed_at = None, None
    if not changes:
        if confirming:
            mark_outlier_confirmed(listing, actor)
        return listing
    for field in changes:
        setattr(listing, field, data[field])
    listing.save()
    _refresh_search_vector(listing)
    if confirming:
        mark_outlier_confirmed(listing, actor)
    return record_edit(listing=listing, actor=actor, changes=changes)


def record_edit(*, listing: Listing, actor: User, changes: dict) -> Listing:
    """What follows any change to a listing (its fields or its photos, see
    exchange.listings.photos): an audit-trail entry; a poster's change to a published listing
    under pre-moderation sends it back to review; a moderator's change is mailed to
    the poster. Call it inside the transaction that holds the listing's row lock."""
    moderating = can_moderate_as_other(actor, listing)
    record_event(listing, actor, ModerationAction.EDITED, changes=changes)
    sync_after_commit(listing)
    if (not moderating and listing.status == ListingStatus.PUBLISHED
            and exchange_settings().moderation_mode == ModerationMode.PRE):
        listing.status = ListingStatus.PENDING
        listing.submitted_at = timezone.now()
        listing.save(update_fields=["status", "submitted_at", "updated_at"])
        record_event(listing, actor, ModerationAction.SUBMITTED)
    if moderating:
        notifications.decision_to_poster(listing, ModerationAction.EDITED, "")  # outbox
    return listing


def _review_words_found(listing: Listing) -> list[str]:
    text = f"{listing.title} {listing.description}".lower()
    return [w for w in exchange_settings().review_words
            if re.search(rf"\b{re.escape(w.lower())}", text)]


def publish(listing: Listing) -> None:
    """Put `listing` online for the authority's expiry period, free of any hold; the
    catalogue follows and the alerts leave after commit. The caller records the event
    (published straight away, or approved by a moderator)."""
    now = timezone.now()
    listing.status = ListingStatus.PUBLISHED
    listing.published_at = listing.published_at or now
    listing.expires_at = now + timedelta(days=exchange_settings().expiry_days)
    listing.expiry_reminder_sent_at = None
    listing.held_by = None
    listing.held_until = None
    listing.save()
    sync_after_commit(listing)
    after_commit(notifications.alerts_for_new_listing, listing)


@transaction.atomic
def submit_listing(*, listing: Listing, actor: User) -> Listing:
    """Draft or changes requested → awaiting moderation, or published straight away
    under post-moderation unless a review word appears."""
    listing = Listing.objects.select_for_update().get(pk=listing.pk)
    if not can_manage(actor, listing):
        raise ExchangeError(_("You cannot submit this listing."), code="forbidden")
    if not can_submit(actor, listing):
        raise ExchangeError(_("This listing has already been submitted."), code="state")
    listing.submitted_at = timezone.now()
    words = _review_words_found(listing)
    if exchange_settings().moderation_mode == ModerationMode.POST and not words:
        publish(listing)
        record_event(listing, actor, ModerationAction.PUBLISHED)
    else:
        listing.status = ListingStatus.PENDING
        listing.save(update_fields=["status", "submitted_at", "updated_at"])
        record_event(listing, actor, ModerationAction.SUBMITTED,
                     message=(_("Contains: %(words)s") % {"words": ", ".join(words)})
                     if words else "")
    return listing
