""""I am interested": an agent's contact request on a listing (or one from an agent of
another authority, through sharing), stored first, then mailed by a worker."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from exchange.listings.errors import ExchangeError
from exchange.listings.models import ContactRequest, Listing, ListingStatus, Visibility
from exchange.listings.permissions import is_poster
from exchange.listings.selectors import exchange_settings
from tenants.background import after_commit, queue_by_name

# The task of exchange/listings/tasks.py that mails a stored request, by its registered
# name: tasks.py runs services, so services never import it (tenants.background).
SEND_CONTACT_REQUEST = "exchange.send_contact_request"


def queue_contact(contact: ContactRequest) -> None:
    """Hand a stored contact request to the worker. If the broker is down, the request
    stays pending and `resend_pending_contacts` queues it again later."""
    queue_by_name(SEND_CONTACT_REQUEST, contact.pk)


def _check_hourly_limit(recent: int) -> None:
    if recent >= exchange_settings().contacts_per_hour:
        raise ExchangeError(
            _("You have sent %(count)s contacts in the last hour: wait a little before "
              "sending more.") % {"count": recent}, code="rate_limited")


@transaction.atomic
def contact_poster(*, listing: Listing, sender: User, message: str = "") -> ContactRequest:
    """Store an agent's interest, then have a worker mail the poster (moderators in Cc).

    The request exists before anything is sent: a mail server or broker outage loses
    nothing, and the poster sees every request on the listing page.
    """
    listing = Listing.objects.select_for_update().get(pk=listing.pk)
    if listing.status != ListingStatus.PUBLISHED:
        raise ExchangeError(_("This listing is no longer available."), code="state")
    if is_poster(sender, listing):
        raise ExchangeError(_("This is your own listing."), code="own")
    _check_hourly_limit(ContactRequest.objects.filter(
        sender=sender, created_at__gte=timezone.now() - timedelta(hours=1)).count())
    contact = ContactRequest.objects.create(listing=listing, sender=sender,
                                            message=message.strip()[:2000])
    after_commit(queue_contact, contact)
    return contact


@transaction.atomic
def contact_poster_from_outside(*, listing: Listing, name: str, email: str, service: str,
                                authority_slug: str, authority_name: str,
                                message: str = "") -> ContactRequest:
    """Store the interest of an agent of another authority (sharing) in this schema,
    then mail the poster like any contact (moderators in Cc, Reply-To the agent).

    Call it in the owner authority's schema, after checking that the agent's authority
    shares with it (exchange.sharing.contacts does both). Same hourly limit as agents
    of the authority, counted per e-mail address.
    """
    listing = Listing.objects.select_for_update().get(pk=listing.pk)
    if listing.status != ListingStatus.PUBLISHED or listing.visibility != Visibility.SHARED:
        raise ExchangeError(_("This listing is no longer available."), code="state")
    _check_hourly_limit(ContactRequest.objects.filter(
        sender__isnull=True, external_email__iexact=email,
        created_at__gte=timezone.now() - timedelta(hours=1)).count())
    contact = ContactRequest.objects.create(
        listing=listing, sender=None, external_name=name[:200], external_email=email,
        external_service=(service or "")[:200], external_authority_slug=authority_slug,
        external_authority_name=authority_name[:200], message=message.strip()[:2000])
    after_commit(queue_contact, contact)
    return contact
