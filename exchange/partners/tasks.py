"""Celery tasks of the partners: the offer cascade (per authority), the partner
requests' e-mails (in the authority's schema) and webhook deliveries (public).

This module sits above the work it runs (cascade, webhooks, notifications), which never
imports it: services and webhooks queue its tasks by name (queueing.py)."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation

from exchange.partners import cascade, webhooks
from exchange.partners.grounds import PartnerGrantGround
from exchange.partners.models import PartnerRequest, RequestStatus, Scope
from exchange.partners.notifications import request_message
from exchange.partners.queueing import DELIVER_WEBHOOK, SEND_REQUEST_MAIL
from tenants.background import (
    in_a_live_authority,
    in_an_authority,
    queue_in_every_authority,
    queue_quietly,
)
from tenants.crossing import may_cross


@shared_task(name="partners.offer_due_listings")
def offer_due_listings() -> int:
    """Offer to partners the listings of this authority nobody took in time."""
    if not in_a_live_authority("partners.offer_due_listings"):
        return 0
    return cascade.offer_due_listings()


@shared_task(name="partners.offer_due_listings_everywhere")
def offer_due_listings_everywhere() -> int:
    return queue_in_every_authority(offer_due_listings)


@shared_task(name=SEND_REQUEST_MAIL)
def send_request_mail(partner_request_id: int) -> str:
    """Mail a partner's request to the poster, moderators in Cc, Reply-To the partner.
    Queued by services.queue_request_mail. Idempotent: a request already sent is
    skipped."""
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


@shared_task(name=DELIVER_WEBHOOK)
def deliver_webhook(delivery_id: int) -> str:
    """Try one webhook delivery (public schema); failures wait for the sweep. Queued
    after commit by webhooks.enqueue, and by the sweep below."""
    return webhooks.deliver(delivery_id)


@shared_task(name="partners.retry_webhooks")
def retry_webhooks() -> int:
    """Queue the deliveries whose next try is due (exponential backoff)."""
    due = webhooks.due_deliveries()
    for delivery_id in due:
        queue_quietly(deliver_webhook, delivery_id)
    return len(due)
