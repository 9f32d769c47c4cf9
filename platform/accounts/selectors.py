"""Reads on accounts."""

from __future__ import annotations

from django.db.models import QuerySet

from .models import AccessChange

JOURNAL_PAGE_SIZE = 50


def access_journal() -> QuerySet[AccessChange]:
    """The journal of role and access changes of the current authority, latest first.
    Every line carries its people as text: no join, whatever the page size."""
    return AccessChange.objects.order_by("-created_at", "-pk")
