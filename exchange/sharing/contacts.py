"""An agent contacts a listing of another authority: the request is stored in the
owner's schema (exchange.listings.services.contact.contact_poster_from_outside), mailed to
its poster with its moderators in Cc, and the agent gets a confirmation from their own host."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.models import User
from core.links import authority_url
from exchange.listings import notifications
from exchange.listings.errors import ExchangeError
from exchange.listings.models import ContactRequest, Listing
from exchange.listings.permissions import can_contact_shared
from exchange.listings.services.contact import contact_poster_from_outside
from exchange.sharing.grounds import SharingAgreementGround
from exchange.sharing.selectors import shared_entry
from tenants.background import after_commit
from tenants.crossing import CrossingRefused, in_authority
from tenants.models import Authority


def contact_shared_listing(*, viewer: Authority, sender: User, owner_slug: str,
                           listing_id: int, message: str = "") -> ContactRequest:
    """Raises ExchangeError: code "not_found" when the listing is not in the viewer's
    shared feed (no agreement, internal, closed…), "forbidden" for a non-agent."""
    if not can_contact_shared(sender):
        raise ExchangeError(_("Your account cannot use the exchange."), code="forbidden")
    entry = shared_entry(viewer, owner_slug, listing_id)
    if entry is None:
        raise ExchangeError(_("This listing is no longer available."), code="not_found")
    name, email = sender.full_name, sender.email
    service = sender.service.name if sender.service_id else ""
    try:
        with in_authority(entry.authority, ground=SharingAgreementGround(viewer)):
            listing = Listing.objects.filter(pk=listing_id).first()
            if listing is None:
                raise ExchangeError(_("This listing is no longer available."),
                                    code="not_found")
            contact = contact_poster_from_outside(
                listing=listing, name=name, email=email, service=service,
                authority_slug=viewer.slug, authority_name=viewer.name, message=message)
    except CrossingRefused as refused:  # the agreement ended, or a side is not live
        raise ExchangeError(_("This listing is no longer available."),
                            code="not_found") from refused
    url = authority_url(
        reverse("exchange:shared_detail", args=[owner_slug, listing_id]))
    after_commit(notifications.shared_contact_confirmation, email, entry, url)
    return contact
