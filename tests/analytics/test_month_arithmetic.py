"""Month arithmetic (python-dateutil's relativedelta) across year ends and short months."""

from datetime import date

from analytics.api.views import _year_before
from analytics.periods import month_bounds, month_end, months_back, semester_bounds
from analytics.selectors import months_between


def test_months_between_crosses_the_year_end():
    assert months_between(date(2025, 11, 15), date(2026, 2, 1)) == [
        date(2025, 11, 1), date(2025, 12, 1), date(2026, 1, 1), date(2026, 2, 1)]
    assert months_between(date(2026, 3, 31), date(2026, 3, 1)) == [date(2026, 3, 1)]


def test_month_end_of_short_long_and_leap_months():
    assert month_end(date(2026, 2, 3)) == date(2026, 2, 28)
    assert month_end(date(2028, 2, 29)) == date(2028, 2, 29)
    assert month_end(date(2026, 12, 31)) == date(2026, 12, 31)
    assert month_end(date(2026, 4, 1)) == date(2026, 4, 30)


def test_months_back_and_year_before_start_on_the_first():
    assert months_back(date(2026, 1, 31), 1) == date(2025, 12, 1)
    assert months_back(date(2026, 3, 31), 2) == date(2026, 1, 1)
    assert months_back(date(2026, 5, 17), 0) == date(2026, 5, 1)
    assert _year_before(date(2026, 12, 31)) == date(2026, 1, 1)
    assert _year_before(date(2026, 1, 10)) == date(2025, 2, 1)


def test_month_and_semester_bounds():
    assert month_bounds(2028, 2) == (date(2028, 2, 1), date(2028, 2, 29))
    assert month_bounds(2026, 12) == (date(2026, 12, 1), date(2026, 12, 31))
    assert semester_bounds(2026, 1) == (date(2026, 1, 1), date(2026, 6, 30))
    assert semester_bounds(2026, 2) == (date(2026, 7, 1), date(2026, 12, 31))
