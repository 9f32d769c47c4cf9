"""E-mails of the exchange, in the authority's language and with links on the
authority's host. Decisions and transfers are stored in the outbox (core.outbox) inside
the service's transaction and sent by a worker after commit; the rest runs after commit.

Below the services (which queue these e-mails) and the tasks (which send contact
requests): this module reads (selectors, models) and mails, nothing else."""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib.postgres.search import SearchQuery
from django.core.mail import EmailMessage
from django.db import connection
from django.template.loader import render_to_string
from django.urls import reverse

from accounts.models import Role
from accounts.selectors import addresses_of_role
from core import outbox
from core.links import authority_url
from exchange.listings.models import Listing, SavedSearch, WantedRequest
from exchange.listings.selectors import exchange_settings

log = logging.getLogger(__name__)


def listing_url(listing) -> str:
    return authority_url(reverse("exchange:listing_detail", args=[listing.pk]))


def moderator_accounts_addresses() -> list[str]:
    """The addresses of the authority's active moderator accounts, and nothing else."""
    return addresses_of_role(Role.MODERATOR)


def moderator_addresses() -> list[str]:
    """Who is copied on contact requests: the authority's `contact_cc` addresses when
    set (any address, e.g. a shared mailbox), else its moderators."""
    configured = exchange_settings().contact_cc
    if configured:
        return list(configured)
    return moderator_accounts_addresses()


def _message(template: str, context: dict, to: list[str], **headers) -> EmailMessage:
    context = {**context, "authority": getattr(connection, "tenant", None)}
    return EmailMessage(
        subject=render_to_string(f"exchange/email/{template}_subject.txt", context).strip(),
        body=render_to_string(f"exchange/email/{template}_body.txt", context),
        to=to, **headers)


def _send(template: str, context: dict, to: list[str], **headers) -> None:
    """Send now (the saved-search alerts and the shared-contact confirmation, after commit)."""
    _message(template, context, to, **headers).send()


def _record(template: str, context: dict, to: list[str], **headers) -> None:
    """Store the mail in the outbox of this schema (core.outbox), in the caller's
    transaction: it exists exactly when the write does, and a worker sends it after
    commit, again until the mail server takes it, once."""
    outbox.record(_message(template, context, to, **headers), kind=f"exchange.{template}")


def decision_to_poster(listing, action: str, message: str) -> None:
    """Tell the poster what a moderator decided (approved, rejected, changes, edited)."""
    _record("decision", {"listing": listing, "action": action, "message": message,
                       "url": listing_url(listing)}, [listing.poster.email])


def transfer_awaits_confirmation(transfer) -> None:
    """Tell the moderators that a free transfer above the legal cap waits for them.

    The e-mail reveals the listing's value: it goes to the moderator accounts only,
    never to the `contact_cc` addresses (which may be anyone's)."""
    to = moderator_accounts_addresses()
    if not to:
        return
    listing = transfer.listing
    _record("transfer_confirmation", {
        "listing": listing, "transfer": transfer,
        "recipient": transfer.recipient_authority or transfer.recipient_partner,
        "cap": settings.FREE_TRANSFER_CAP_PER_UNIT_EUR,
        "url": authority_url(reverse("exchange:transfer_confirmations")),
    }, to)


def contact_message(contact) -> EmailMessage:
    """The e-mail of a contact request: to the poster, moderators in Cc, Reply-To the
    interested agent."""
    listing = contact.listing
    cc = [address for address in moderator_addresses()
          if address.lower() != listing.poster.email.lower()]
    context = {"listing": listing, "contact": contact,
               "url": listing_url(listing), "authority": getattr(connection, "tenant", None)}
    return EmailMessage(
        subject=render_to_string("exchange/email/contact_subject.txt", context).strip(),
        body=render_to_string("exchange/email/contact_body.txt", context),
        to=[listing.poster.email], cc=cc, reply_to=[contact.sender_email],
        # The same on every attempt: a receiver (and `make faults`) recognises a copy.
        headers={"Message-ID": contact_message_id(contact)},
    )


def contact_message_id(contact) -> str:
    return f"<contact-{connection.schema_name}-{contact.pk}@collectivrecup>"


def shared_contact_confirmation(email: str, entry, url: str) -> None:
    """Tell an agent that their interest in another authority's listing was sent (in
    the agent's own authority: runs there, after commit)."""
    _send("shared_contact_confirmation", {"entry": entry, "url": url}, [email])


def alerts_for_new_listing(listing) -> None:
    """Mail agents whose wanted request or saved search matches a newly published listing."""
    recipients: dict[str, str] = {}
    candidates = Listing.objects.filter(pk=listing.pk)
    for wanted in WantedRequest.objects.filter(is_active=True).exclude(
            author=listing.poster).select_related("author"):
        if wanted.category_id and wanted.category_id not in (
                listing.category_id, listing.category.parent_id):
            continue
        query = SearchQuery(wanted.title, config="public.french_unaccent",
                            search_type="websearch")
        if candidates.filter(search_vector=query).exists():
            recipients.setdefault(wanted.author.email, wanted.title)
    for saved in SavedSearch.objects.exclude(user=listing.poster).select_related("user"):
        if saved.category_id and saved.category_id not in (
                listing.category_id, listing.category.parent_id):
            continue
        matches = candidates
        if saved.query:
            matches = matches.filter(search_vector=SearchQuery(
                saved.query, config="public.french_unaccent", search_type="websearch"))
        if matches.exists():
            recipients.setdefault(saved.user.email, saved.query or str(saved.category))
    for email, what in recipients.items():
        try:
            _send("alert", {"listing": listing, "what": what, "url": listing_url(listing)},
                  [email])
        except Exception:
            log.warning("alert for listing %s not sent", listing.pk, exc_info=True)

