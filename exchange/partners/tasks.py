"""Celery tasks of the partners: the offer cascade (per authority), the partner
requests' e-mails (in the authority's schema) and webhook deliveries (public)."""

from __future__ import annotations

import logging

from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation

from exchange.partners import webhooks
from exchange.partners.grounds import PartnerGrantGround
from exchange.partners.models import PartnerRequest, RequestStatus, Scope
from tenants.background import (
    in_a_live_authority,
    in_an_authority,
    queue_in_every_authority,
    queue_quietly,
)
from tenants.crossing import CrossingRefused, in_authority, may_cross

log = logging.getLogger(__name__)


@shared_task(name="partners.offer_due_listings")
def offer_due_listings() -> int:
    """Offer to partners the listings of this authority nobody took in time."""
    from exchange.partners.cascade import offer_due_listings as offer

    return offer() if in_a_live_authority("partners.offer_due_listings") else 0


@shared_task(name="partners.offer_due_listings_everywhere")
def offer_due_listings_everywhere() -> int:
    return queue_in_every_authority(offer_due_listings)


def queue_request_mail(partner_request_id: int) -> None:
    """Queue the e-mail of a partner request inside its authority's schema, while the
    partner's grant (`listings:request`) still holds there."""
    partner_request = (PartnerRequest.objects.select_related("authority", "partner")
                       .filter(pk=partner_request_id).first())
    if partner_request is None:
        return
    ground = PartnerGrantGround(partner_request.partner, Scope.LISTINGS_REQUEST)
    try:
        with in_authority(partner_request.authority, ground=ground):
            queue_quietly(send_request_mail, partner_request_id)
    except CrossingRefused:
        log.info("partner request %s not mailed: access ended", partner_request_id)


@shared_task(name="partners.send_request_mail")
def send_request_mail(partner_request_id: int) -> str:
    """Mail a partner's request to the poster, moderators in Cc, Reply-To the partner.
    Idempotent: a request already sent is skipped."""
    from exchange.partners.notifications import request_message

    if not in_an_authority("partners.send_request_mail"):
        return "wrong schema"
    with transaction.atomic(), translation.override(settings.LANGUAGE_CODE):
        partner_request = (PartnerRequest.objects.select_for_update(of=("self",))
                           .select_related("partner", "authority")
                           .filter(pk=partner_request_id).first())
        if partner_request is None or partner_request.status != RequestStatus.PENDING:
            return "nothing to do"
        ground = PartnerGrantGround(partner_request.partner, Scope.LISTINGS_REQUEST)
        if not may_cross(partner_request.authority, ground):
            return "access ended"
        message = request_message(partner_request)
        if message is None:
            return "listing gone"
        message.send()
        partner_request.status = RequestStatus.SENT
        partner_request.sent_at = timezone.now()
        partner_request.save(update_fields=["status", "sent_at"])
        return "sent"


@shared_task(name="partners.deliver_webhook")
def deliver_webhook(delivery_id: int) -> str:
    """Try one webhook delivery (public schema); failures wait for the sweep."""
    return webhooks.deliver(delivery_id)


@shared_task(name="partners.retry_webhooks")
def retry_webhooks() -> int:
    """Queue the deliveries whose next try is due (exponential backoff)."""
    due = webhooks.due_deliveries()
    for delivery_id in due:
        queue_quietly(deliver_webhook, delivery_id)
    return len(due)
