"""Who may do what with a listing or a wanted request: object rules built on the role
rules of accounts.permissions. Used by web views, the API, forms, templates (as flags)
and services alike: a service refuses with these, never with its own copy of a rule."""

from django.utils import timezone

from accounts.permissions import can_moderate, is_agent
from exchange.listings.models import Listing, ListingStatus, SavedSearch, WantedRequest


def is_poster(user, listing: Listing) -> bool:
    """`user` posted `listing` (nobody contacts their own listing)."""
    return listing.poster_id is not None and listing.poster_id == getattr(user, "pk", None)


def can_manage(user, listing: Listing) -> bool:
    """The poster and the moderators: whoever may act on the listing at all (submit,
    extend, close, partner offer), whatever its status."""
    return is_poster(user, listing) or can_moderate(user)


def can_see_value(user, listing: Listing) -> bool:
    """The estimated € value is for the poster and the moderators only."""
    return can_manage(user, listing)


def can_view(user, listing: Listing) -> bool:
    """Published, closed and expired listings are visible to every agent; the others
    only to their poster and the moderators."""
    if listing.status in (ListingStatus.PUBLISHED, ListingStatus.CLOSED):
        return True
    return can_manage(user, listing)


def can_edit(user, listing: Listing) -> bool:
    if can_moderate(user):
        return listing.status not in (ListingStatus.CLOSED,)
    return is_poster(user, listing) and listing.status in (
        ListingStatus.DRAFT, ListingStatus.PENDING, ListingStatus.CHANGES_REQUESTED,
        ListingStatus.PUBLISHED, ListingStatus.EXPIRED)


def can_close(user, listing: Listing) -> bool:
    return listing.status == ListingStatus.PUBLISHED and can_manage(user, listing)


def can_submit(user, listing: Listing) -> bool:
    """Send a draft (or a listing whose changes were requested) to moderation."""
    return listing.status in (ListingStatus.DRAFT, ListingStatus.CHANGES_REQUESTED) and (
        can_manage(user, listing))


def can_extend(user, listing: Listing) -> bool:
    return listing.status in (ListingStatus.PUBLISHED, ListingStatus.EXPIRED) and (
        can_manage(user, listing))


def can_contact(user, listing: Listing) -> bool:
    """"Je suis intéressé·e": any other agent, on a published listing."""
    return (listing.status == ListingStatus.PUBLISHED
            and not is_poster(user, listing)
            and is_agent(user))


def can_contact_shared(user) -> bool:
    """"Je suis intéressé·e" on a listing another authority shares: an agent."""
    return is_agent(user)


def can_moderate_as_other(user, listing: Listing) -> bool:
    """The change is a moderator's decision on someone else's listing (mailed to the
    poster, never sent back to review)."""
    return can_moderate(user) and not is_poster(user, listing)


def can_see_every_status(user) -> bool:
    """Lists show this member listings of every status, not only published and own."""
    return can_moderate(user)


def can_close_wanted(user, wanted: WantedRequest) -> bool:
    """A "Je recherche…" request is closed by its author or a moderator."""
    return wanted.author_id == getattr(user, "pk", None) or can_moderate(user)


def can_confirm_outlier(user) -> bool:
    """Confirm a quantity or a value per item above the plausibility bounds (settings
    LISTING_MAX_QUANTITY / LISTING_MAX_UNIT_VALUE_EUR): moderators only."""
    return can_moderate(user)


def can_answer_receipt(user) -> bool:
    """Confirm or decline receipt of a transfer from another authority (it then counts,
    or not, in this authority's figures): its moderators only."""
    return can_moderate(user)


def is_held_by_someone_else(user, listing: Listing) -> bool:
    """Another moderator opened `listing` for review and the hold still runs: nobody
    else decides on it meanwhile (exchange.listings.services.moderation.hold_listing)."""
    return bool(listing.held_by_id and listing.held_by_id != getattr(user, "pk", None)
                and listing.held_until and listing.held_until > timezone.now())


def can_delete_saved_search(user, saved_search: SavedSearch) -> bool:
    """A saved search is its owner's alone."""
    return saved_search.user_id == getattr(user, "pk", None)
