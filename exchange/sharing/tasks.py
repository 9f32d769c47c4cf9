"""Celery jobs of sharing between authorities. They run in the public schema, where
the rows they touch live."""

from __future__ import annotations

from celery import shared_task

from exchange.sharing.receipts import expire_receipts


@shared_task(name="sharing.expire_transfer_receipts")
def expire_transfer_receipts() -> int:
    """Daily: receipt requests unanswered past their date expire (issue 12)."""
    return expire_receipts()
