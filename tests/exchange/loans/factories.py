"""Helpers of the loans' tests: build inside `in_authority(...)`."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from exchange.loans import services
from exchange.loans.models import Booking, BookingStatus
from tests.accounts.factories import ServiceFactory, SiteFactory, agent


def lender(name: str = "Direction des sports", **kwargs):
    """An agent of the service that lends."""
    return agent(service=ServiceFactory(name=name), **kwargs)


def lendable(owner=None, *, quantity: int = 30, title: str = "Barrières de foule",
             unit_value: Decimal | None = Decimal("60.00"), **data):
    owner = owner or lender()
    return services.create_item(actor=owner, title=title, quantity=quantity,
                                site=data.pop("site", None) or SiteFactory(),
                                unit_value=unit_value, **data)


def day(offset: int):
    """A day counted from today (Europe/Paris)."""
    return timezone.localdate() + timedelta(days=offset)


def booking_row(item, borrower, *, start, end, quantity, status=BookingStatus.APPROVED):
    """A booking written directly (past dates, states the services reach over days)."""
    return Booking.objects.create(item=item, borrower=borrower,
                                  borrower_service=borrower.service, start=start, end=end,
                                  quantity=quantity, status=status)
