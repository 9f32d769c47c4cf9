"""Receipt of transfers between authorities (issue 12): writes.

A transfer to another authority (closure reason `exchanged_other_authority`, receiver
named by its slug) needs a live sharing agreement when it is recorded
(exchange.listings.services.closure.close_listing). Once it counts on the giver's side, a
`TransferReceipt` (public schema) asks the receiving authority to confirm it; its
moderators are e-mailed through the receiver's outbox (core.outbox), in the same
transaction. Only a confirmed receipt puts the transfer in the receiver's figures
(analytics.facts sets the fact's `receiver_authority` then); a declined or expired
request never does. Reads are in `receipt_selectors`.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Role
from accounts.selectors import addresses_of_role
from analytics.facts import set_fact_receiver
from core import outbox
from core.links import authority_url
from exchange.listings.errors import ExchangeError
from exchange.listings.permissions import can_answer_receipt
from exchange.sharing.models import ReceiptStatus, TransferReceipt
from tenants.crossing import CrossingRefused, OwnWork, in_authority
from tenants.models import Authority

log = logging.getLogger(__name__)


def request_receipt(*, transfer, giver: Authority, receiver: Authority) -> TransferReceipt:
    """Ask `receiver` to confirm receipt of `transfer` (a transfer of `giver`'s schema,
    loaded with its listing and category). Call it in the transaction that makes the
    transfer count: the mail to the receiver's moderators is stored in the receiver's
    outbox in it (core.outbox: sent after commit, again until the mail server takes it,
    once). Idempotent."""
    listing = transfer.listing
    now = timezone.now()
    receipt, created = TransferReceipt.objects.get_or_create(
        giver=giver, transfer_id=transfer.pk, defaults={
            "receiver": receiver, "listing_title": listing.title[:120],
            "category": listing.category.name[:200], "quantity": transfer.quantity,
            "value_eur": transfer.value,
            "transferred_on": timezone.localdate(transfer.created_at),
            "requested_at": now,
            "expires_at": now + timedelta(days=settings.TRANSFER_RECEIPT_EXPIRY_DAYS)})
    if created:
        record_receiver_mail(receipt)
    return receipt


def record_receiver_mail(receipt: TransferReceipt) -> int:
    """Store, in the receiving authority's outbox and the current transaction, the mail
    telling its moderators (moderators only, never the contact copies) that a receipt
    awaits them, with a link on their own host. Returns how many addresses it goes to:
    none when the receiver has no moderator or is no longer live (the page lists the
    request anyway)."""
    try:
        with in_authority(receipt.receiver, ground=OwnWork("receipt request to moderators")):
            to = addresses_of_role(Role.MODERATOR)
            if not to:
                return 0
            context = {"receipt": receipt, "authority": receipt.receiver,
                       "days": settings.TRANSFER_RECEIPT_EXPIRY_DAYS,
                       "url": authority_url(reverse("exchange:transfer_receipts"))}
            outbox.record(EmailMessage(
                subject=render_to_string("exchange/email/receipt_request_subject.txt",
                                         context).strip(),
                body=render_to_string("exchange/email/receipt_request_body.txt", context),
                to=to), kind="sharing.receipt_request")
            return len(to)
    except CrossingRefused:
        log.warning("receipt request %s: receiving authority not live", receipt.pk)
    return 0


def _pending_of(receipt_id: int, authority: Authority, actor) -> TransferReceipt:
    if not can_answer_receipt(actor):
        raise ExchangeError(_("Only moderators can do this."), code="forbidden")
    receipt = (TransferReceipt.objects.select_for_update().select_related("giver")
               .filter(pk=receipt_id, receiver=authority).first())
    if receipt is None:
        raise ExchangeError(_("No such transfer to confirm."), code="not_found")
    if receipt.status != ReceiptStatus.PENDING or receipt.expires_at <= timezone.now():
        raise ExchangeError(_("This transfer no longer awaits your answer."), code="state")
    return receipt


def _decided(receipt: TransferReceipt, actor, status: str, reason: str = "") -> None:
    receipt.status = status
    receipt.decided_at = timezone.now()
    receipt.decided_by = (actor.full_name or "")[:200]
    receipt.decline_reason = reason[:500]
    receipt.save(update_fields=["status", "decided_at", "decided_by", "decline_reason"])
    set_fact_receiver(receipt.giver_id, receipt.transfer_id,
                      receipt.receiver_id if status == ReceiptStatus.CONFIRMED else None)


@transaction.atomic
def confirm_receipt(*, receipt_id: int, authority: Authority, actor) -> TransferReceipt:
    """A moderator of the receiving `authority` confirms the items arrived: the transfer
    now counts in its "received" figures (once: one receipt per transfer)."""
    receipt = _pending_of(receipt_id, authority, actor)
    _decided(receipt, actor, ReceiptStatus.CONFIRMED)
    return receipt


@transaction.atomic
def decline_receipt(*, receipt_id: int, authority: Authority, actor,
                    reason: str) -> TransferReceipt:
    """A moderator of the receiving `authority` says the items did not arrive (or were
    not for it): the transfer never counts in its figures; the giver sees why."""
    reason = " ".join((reason or "").split())
    if not reason:
        raise ExchangeError(_("Say why you decline this transfer."), code="reason")
    receipt = _pending_of(receipt_id, authority, actor)
    _decided(receipt, actor, ReceiptStatus.DECLINED, reason)
    return receipt


def expire_receipts(now=None) -> int:
    """Requests left unanswered past their date expire: never counted by the receiver,
    and the giver sees it. Idempotent; returns how many expired."""
    now = now or timezone.now()
    return TransferReceipt.objects.filter(status=ReceiptStatus.PENDING,
                                          expires_at__lte=now).update(
        status=ReceiptStatus.EXPIRED, decided_at=now)
