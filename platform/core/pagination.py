"""A paginator whose page query carries the total: one query a page instead of two."""

from __future__ import annotations

from django.core.paginator import Page, Paginator
from django.db.models import Count, QuerySet, Window


class CountingPaginator(Paginator):
    """Paginator.get_page() for a QuerySet, with the total read by the page's own query
    (`COUNT(*) OVER ()`, counted before LIMIT) rather than by a `SELECT COUNT(*)` first.

    A page number that is not a whole number ≥ 1, or a page past the last one (the query
    returns no row), is answered by Paginator's own get_page (a count, then the first or
    the last page): the same answers as Paginator, one query more in those cases only."""

    def __init__(self, object_list: QuerySet, per_page: int, **kwargs):
        if kwargs.get("orphans"):
            raise ValueError("CountingPaginator does not merge orphans into the last page.")
        super().__init__(object_list, per_page, **kwargs)

    def get_page(self, number) -> Page:
        wanted = _whole_number(number)
        if wanted is None:
            return super().get_page(number)
        bottom = (wanted - 1) * self.per_page
        rows = list(self.object_list.annotate(paginator_total=Window(Count("*")))
                    [bottom:bottom + self.per_page])
        if not rows:
            return super().get_page(number)
        self.__dict__["count"] = rows[0].paginator_total  # Paginator.count is cached
        return self._get_page(rows, wanted, self)


def _whole_number(number) -> int | None:
    """`number` as a page number ≥ 1 (none given: 1), or None if it is not one."""
    if number is None or number == "":
        return 1
    try:
        if isinstance(number, float) and not number.is_integer():
            return None
        number = int(number)
    except (TypeError, ValueError):
        return None
    return number if number >= 1 else None
