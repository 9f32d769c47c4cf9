"""A listing's time online: extended by its poster or a moderator, expired when its
date passes (the daily task exchange.expire_listings)."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from core import cache as authority_cache
from exchange.listings.errors import ExchangeError
from exchange.listings.models import Listing, ListingStatus, ModerationAction
from exchange.listings.permissions import can_extend, can_manage
from exchange.listings.projections import sync_after_commit
from exchange.listings.selectors import exchange_settings
from exchange.listings.services.audit import record_event


@transaction.atomic
def extend_listing(*, listing: Listing, actor: User) -> Listing:
    """Keep a published listing online for another period, or bring back an expired one."""
    listing = Listing.objects.select_for_update().get(pk=listing.pk)
    if not can_manage(actor, listing):
        raise ExchangeError(_("You cannot extend this listing."), code="forbidden")
    if not can_extend(actor, listing):
        raise ExchangeError(_("Only a published or expired listing can be extended."),
                            code="state")
    listing.status = ListingStatus.PUBLISHED
    listing.expires_at = timezone.now() + timedelta(days=exchange_settings().expiry_days)
    listing.expiry_reminder_sent_at = None
    listing.save()
    record_event(listing, actor, ModerationAction.EXTENDED)
    sync_after_commit(listing)
    return listing


def expire_due_listings(now=None) -> int:
    """Published listings past their date become expired. Idempotent."""
    now = now or timezone.now()
    count = 0
    for listing in Listing.objects.filter(status=ListingStatus.PUBLISHED, expires_at__lte=now):
        with transaction.atomic():
            Listing.objects.filter(pk=listing.pk).update(status=ListingStatus.EXPIRED)
            # update() skips Listing.save(): the feed's cached cards are forgotten here.
            authority_cache.invalidate(authority_cache.LISTING_CARDS)
            record_event(listing, None, ModerationAction.EXPIRED)
            sync_after_commit(listing)
            count += 1
    return count
