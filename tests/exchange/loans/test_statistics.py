"""Loans in the statistics: counted apart from transfers (days lent, purchases avoided),
never in the € of reuse; analytics reads them through its registry."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from analytics import sources
from exchange.loans.models import BookingStatus
from tests.accounts.factories import moderator
from tests.conftest import client_for, in_authority
from tests.exchange.loans.factories import booking_row, lendable, lender

pytestmark = pytest.mark.django_db


def test_days_lent_and_purchases_avoided_follow_the_documented_rule(chatellerault):
    with in_authority(chatellerault):
        owner = lender()
        tables = lendable(owner, title="Tables", quantity=40, unit_value=Decimal("80"))
        barriers = lendable(owner, title="Barrières", quantity=30, unit_value=None)
        # 10 tables for 3 days (2 of them in March), 5 barriers for 1 day in March.
        booking_row(tables, owner, start=date(2026, 2, 27), end=date(2026, 3, 2),
                    quantity=10, status=BookingStatus.RETURNED)
        booking_row(barriers, owner, start=date(2026, 3, 10), end=date(2026, 3, 10),
                    quantity=5, status=BookingStatus.PICKED_UP)
        # Approved but not picked up, declined: not lent.
        booking_row(tables, owner, start=date(2026, 3, 5), end=date(2026, 3, 5),
                    quantity=3, status=BookingStatus.APPROVED)
        booking_row(tables, owner, start=date(2026, 3, 6), end=date(2026, 3, 6),
                    quantity=3, status=BookingStatus.DECLINED)
        march = sources.loan_figures(date(2026, 3, 1), date(2026, 3, 31))
    assert (march.bookings, march.unit_days, march.purchases_avoided_eur) == (
        2, 10 * 2 + 5 * 1, Decimal("800.00"))


def test_the_report_shows_loans_apart_and_the_reuse_euros_do_not_change(chatellerault):
    with in_authority(chatellerault):
        owner = lender()
        reader = moderator()
        query = "/listings/moderation/report/?period=year&year=2026"
        before = client_for(chatellerault, reader).get(query)
        tables = lendable(owner, title="Tables", quantity=40, unit_value=Decimal("80"))
        booking_row(tables, owner, start=date(2026, 5, 1), end=date(2026, 5, 2),
                    quantity=10, status=BookingStatus.RETURNED)
    after = client_for(chatellerault, reader).get(query)
    assert after.status_code == 200
    assert after.context["loans"].unit_days == 20
    assert after.context["loans"].purchases_avoided_eur == Decimal("800.00")
    assert after.context["report"] == before.context["report"]
    html = after.content.decode()
    assert 'id="loan-unit-days">20<' in html and 'data-value="800.00"' in html
