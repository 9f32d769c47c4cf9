"""Who may do what with a listing. Used by web views, the API and services alike."""

from accounts.models import Role
from accounts.permissions import user_has_role

from .models import Listing, ListingStatus


def is_moderator(user) -> bool:
    return user_has_role(user, Role.MODERATOR)


def can_see_value(user, listing: Listing) -> bool:
    """The estimated € value is for the poster and the moderators only."""
    return listing.poster_id == getattr(user, "pk", None) or is_moderator(user)


def can_view(user, listing: Listing) -> bool:
    """Published, closed and expired listings are visible to every agent; the others
    only to their poster and the moderators."""
    if listing.status in (ListingStatus.PUBLISHED, ListingStatus.CLOSED):
        return True
    return listing.poster_id == getattr(user, "pk", None) or is_moderator(user)


def can_edit(user, listing: Listing) -> bool:
    if is_moderator(user):
        return listing.status not in (ListingStatus.CLOSED,)
    return listing.poster_id == getattr(user, "pk", None) and listing.status in (
        ListingStatus.DRAFT, ListingStatus.PENDING, ListingStatus.CHANGES_REQUESTED,
        ListingStatus.PUBLISHED, ListingStatus.EXPIRED)


def can_close(user, listing: Listing) -> bool:
    return listing.status == ListingStatus.PUBLISHED and (
        listing.poster_id == getattr(user, "pk", None) or is_moderator(user))


def can_submit(user, listing: Listing) -> bool:
    """Send a draft (or a listing whose changes were requested) to moderation."""
    return listing.status in (ListingStatus.DRAFT, ListingStatus.CHANGES_REQUESTED) and (
        listing.poster_id == getattr(user, "pk", None) or is_moderator(user))


def can_extend(user, listing: Listing) -> bool:
    return listing.status in (ListingStatus.PUBLISHED, ListingStatus.EXPIRED) and (
        listing.poster_id == getattr(user, "pk", None) or is_moderator(user))


def can_contact(user, listing: Listing) -> bool:
    """"Je suis intéressé·e": any other agent, on a published listing."""
    return (listing.status == ListingStatus.PUBLISHED
            and listing.poster_id != getattr(user, "pk", None)
            and user_has_role(user, Role.AGENT))


def can_confirm_outlier(user) -> bool:
    """Confirm a quantity or a value per item above the plausibility bounds (settings
    LISTING_MAX_QUANTITY / LISTING_MAX_UNIT_VALUE_EUR): moderators only."""
    return is_moderator(user)


def can_answer_receipt(user) -> bool:
    """Confirm or decline receipt of a transfer from another authority (it then counts,
    or not, in this authority's figures): its moderators only."""
    return is_moderator(user)
