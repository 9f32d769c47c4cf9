"""Saved searches: an agent is alerted when a newly published listing matches one
(exchange.listings.notifications.alerts_for_new_listing)."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from exchange.listings.errors import ExchangeError
from exchange.listings.models import Category, SavedSearch
from exchange.listings.permissions import can_delete_saved_search

MAX_SAVED_SEARCHES = 20


@transaction.atomic
def save_search(*, user: User, query: str = "", category: Category | None = None) -> SavedSearch:
    """Alert `user` when a newly published listing matches `query` and/or `category`.
    Saving the same search twice keeps one."""
    query = " ".join(query.split())[:200]
    if not query and category is None:
        raise ExchangeError(_("Type words or choose a category before saving a search."),
                            code="empty")
    existing = SavedSearch.objects.filter(user=user, query=query, category=category).first()
    if existing:
        return existing
    if SavedSearch.objects.filter(user=user).count() >= MAX_SAVED_SEARCHES:
        raise ExchangeError(
            _("You already have %(max)s saved searches: delete one first.")
            % {"max": MAX_SAVED_SEARCHES}, code="too_many")
    return SavedSearch.objects.create(user=user, query=query, category=category)


@transaction.atomic
def delete_saved_search(*, saved_search: SavedSearch, actor: User) -> None:
    if not can_delete_saved_search(actor, saved_search):
        raise ExchangeError(_("This search is not yours."), code="forbidden")
    saved_search.delete()
