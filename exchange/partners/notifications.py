"""E-mails about partners, sent in the authority's schema and language."""

from __future__ import annotations

from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.urls import reverse

from core.links import authority_url
from exchange.listings.models import Listing
from exchange.listings.notifications import listing_url, moderator_addresses
from exchange.partners.models import PartnerRequest


def request_message(partner_request: PartnerRequest) -> EmailMessage | None:
    """A partner's request: to the poster, moderators in Cc, Reply-To the partner's
    contact. None when the listing no longer exists."""
    listing = (Listing.objects.select_related("poster").filter(pk=partner_request.listing_id)
               .first())
    if listing is None:
        return None
    partner = partner_request.partner
    cc = [address for address in moderator_addresses()
          if address.lower() != listing.poster.email.lower()]
    context = {"listing": listing, "partner": partner, "request": partner_request,
               "url": listing_url(listing), "authority": partner_request.authority,
               "close_url": authority_url(reverse("exchange:listing_close", args=[listing.pk])
                                         + f"?reason=given_to_partner&partner={partner.pk}")}
    return EmailMessage(
        subject=render_to_string("partners/email/request_subject.txt", context).strip(),
        body=render_to_string("partners/email/request_body.txt", context),
        to=[listing.poster.email], cc=cc, reply_to=[partner.contact_email])
