"""Who sees a listing beyond its authority's agents: the authorities sharing with it
(`shared`, set by hand or by the sharing cascade) and the partners (unless kept away)."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from exchange.listings.errors import ExchangeError
from exchange.listings.models import Listing, ListingStatus, ModerationAction, Visibility
from exchange.listings.permissions import can_edit, can_manage
from exchange.listings.projections import sync_after_commit
from exchange.listings.selectors import exchange_settings
from exchange.listings.services.audit import record_event


@transaction.atomic
def set_visibility(*, listing: Listing, actor: User, visibility: str) -> Listing:
    """The poster or a moderator shows a listing to the authorities sharing with theirs
    (`shared`) or keeps it home (`internal`). Moderation is unchanged: only published
    listings are ever seen outside."""
    listing = Listing.objects.select_for_update().get(pk=listing.pk)
    if not can_edit(actor, listing):
        raise ExchangeError(_("You cannot change who sees this listing."), code="forbidden")
    if visibility not in Visibility.values:
        raise ExchangeError(_("Choose who may see the listing."), code="visibility")
    if listing.visibility == visibility:
        return listing
    old = listing.visibility
    listing.visibility = visibility
    listing.shared_at = timezone.now() if visibility == Visibility.SHARED else None
    listing.save(update_fields=["visibility", "shared_at", "updated_at"])
    record_event(listing, actor, ModerationAction.EDITED,
                 changes={"visibility": [old, visibility]})
    sync_after_commit(listing)
    return listing


def share_waiting_listings(now=None) -> int:
    """The cascade: internal listings published more than `share_after_days` ago that
    no one took (no item given) become shared. Idempotent; returns how many."""
    days = exchange_settings().share_after_days
    if days is None:
        return 0
    now = now or timezone.now()
    waiting = (Listing.objects.filter(status=ListingStatus.PUBLISHED,
                                      visibility=Visibility.INTERNAL,
                                      published_at__lte=now - timedelta(days=days),
                                      reserved_for="")
               .exclude(transfers__isnull=False).values_list("pk", flat=True))
    count = 0
    for pk in list(waiting):
        with transaction.atomic():
            listing = Listing.objects.select_for_update().get(pk=pk)
            if listing.visibility != Visibility.INTERNAL:
                continue
            listing.visibility, listing.shared_at = Visibility.SHARED, now
            listing.save(update_fields=["visibility", "shared_at", "updated_at"])
            record_event(listing, None, ModerationAction.EDITED,
                         message=_("Shared automatically: no taker after %(days)s days.")
                         % {"days": days},
                         changes={"visibility": [Visibility.INTERNAL, Visibility.SHARED]})
            sync_after_commit(listing)
            count += 1
    return count


@transaction.atomic
def set_partner_offer_opt_out(*, listing: Listing, actor: User, opt_out: bool) -> Listing:
    """The poster or a moderator keeps a listing away from partners (or lets it go):
    the offer cascade (exchange.partners) and the catalogue projection read the flag."""
    listing = Listing.objects.select_for_update().get(pk=listing.pk)
    if not can_manage(actor, listing):
        raise ExchangeError(_("Only the poster or a moderator can change this."),
                            code="forbidden")
    if listing.partner_offer_opt_out != opt_out:
        listing.partner_offer_opt_out = opt_out
        listing.save(update_fields=["partner_offer_opt_out", "updated_at"])
        record_event(listing, actor, ModerationAction.EDITED,
                     changes={"partner_offer_opt_out": opt_out})
        sync_after_commit(listing)
    return listing
