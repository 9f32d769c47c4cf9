"""Calendar periods of the statistics: months, semesters, rolling windows. Every page,
form, API view and model that needs a period's first or last day asks here."""

from __future__ import annotations

from datetime import date

from dateutil.relativedelta import relativedelta


def month_end(day: date) -> date:
    """Last day of `day`'s month."""
    return day + relativedelta(day=31)  # day=31 is clamped to the month's last day


def months_back(day: date, months: int) -> date:
    """First day of the month `months` before `day`'s month (0: its own month)."""
    return day - relativedelta(months=months, day=1)


def month_bounds(year: int, month: int) -> tuple[date, date]:
    """First and last day of a month."""
    first = date(year, month, 1)
    return first, month_end(first)


def semester_bounds(year: int, semester: int) -> tuple[date, date]:
    """First and last day of semester 1 (January–June) or 2 (July–December)."""
    if semester == 1:
        return date(year, 1, 1), date(year, 6, 30)
    return date(year, 7, 1), date(year, 12, 31)
