"""Receipt of transfers between authorities (issue 12): reads. Writes are in
`receipts`; the rule of what counts for the receiver is analytics.facts."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils import timezone

from analytics.models import Destination, TransferFact
from exchange.sharing.models import ReceiptStatus, TransferReceipt
from tenants.models import Authority


def receipts_awaiting(receiver: Authority) -> QuerySet[TransferReceipt]:
    """Requests `receiver`'s moderators may still answer, oldest first, with the giver."""
    return (TransferReceipt.objects.filter(receiver=receiver, status=ReceiptStatus.PENDING,
                                           expires_at__gt=timezone.now())
            .select_related("giver").order_by("requested_at", "id"))


def receipts_answered(receiver: Authority, limit: int = 20) -> QuerySet[TransferReceipt]:
    """`receiver`'s latest answered or expired requests, newest first."""
    return (TransferReceipt.objects.filter(receiver=receiver)
            .exclude(status=ReceiptStatus.PENDING).select_related("giver")
            .order_by("-decided_at", "-id")[:limit])


def received_transfers(receiver: Authority) -> QuerySet[TransferFact]:
    """Transfers other authorities made to `receiver` (the statistics facts, public
    schema), newest first, with their giver."""
    return (TransferFact.objects.filter(receiver_authority=receiver,
                                        destination=Destination.OTHER_AUTHORITY)
            .select_related("authority").order_by("-date", "-id"))


def received_transfer(receiver: Authority, giver_slug: str,
                      transfer_id: int) -> TransferFact | None:
    """The fact saying `receiver` received transfer `transfer_id` of authority
    `giver_slug`, with its giver; None when it did not."""
    return (TransferFact.objects.filter(receiver_authority=receiver,
                                        authority__slug=giver_slug, transfer_id=transfer_id)
            .select_related("authority").first())


def receipts_of_transfers(giver: Authority, transfer_ids) -> dict[int, TransferReceipt]:
    """The giver's view: receipt of each of `transfer_ids` (one query), by transfer id.
    A pending request past its date reads as expired even before the daily job runs."""
    receipts = {r.transfer_id: r for r in TransferReceipt.objects.filter(
        giver=giver, transfer_id__in=list(transfer_ids)).select_related("receiver")}
    now = timezone.now()
    for receipt in receipts.values():
        if receipt.status == ReceiptStatus.PENDING and receipt.expires_at <= now:
            receipt.status = ReceiptStatus.EXPIRED
    return receipts


def confirmed_receivers(giver: Authority, transfer_ids=None) -> dict[int, int]:
    """transfer id → receiving authority id, for the giver's transfers (all, or those of
    `transfer_ids`) whose receipt was confirmed: one query. analytics.facts writes the
    receiver side of the facts from it."""
    receipts = TransferReceipt.objects.filter(giver=giver, status=ReceiptStatus.CONFIRMED)
    if transfer_ids is not None:
        receipts = receipts.filter(transfer_id__in=list(transfer_ids))
    return dict(receipts.values_list("transfer_id", "receiver_id"))
