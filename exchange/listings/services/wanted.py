""""Je recherche…": an agent's wanted request, shown to every agent and matched
against listings as they publish (exchange.listings.notifications)."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from exchange.listings.errors import ExchangeError
from exchange.listings.models import Category, WantedRequest
from exchange.listings.permissions import can_close_wanted
from exchange.listings.services.checks import check_category

MAX_ACTIVE_WANTED = 20


@transaction.atomic
def create_wanted_request(*, author: User, title: str, description: str = "",
                          category: Category | None = None) -> WantedRequest:
    """"Je recherche…": shown to every agent; matched against listings as they publish."""
    title = title.strip()
    if not title:
        raise ExchangeError(_("Say what you are looking for."), code="title")
    if category is not None:
        check_category(category)
    if WantedRequest.objects.filter(author=author, is_active=True).count() >= MAX_ACTIVE_WANTED:
        raise ExchangeError(
            _("You already have %(max)s active requests: close one first.")
            % {"max": MAX_ACTIVE_WANTED}, code="too_many")
    return WantedRequest.objects.create(author=author, title=title[:120],
                                        description=description.strip(), category=category)


@transaction.atomic
def close_wanted_request(*, wanted: WantedRequest, actor: User) -> WantedRequest:
    """The author (or a moderator) closes a request: found, or no longer needed."""
    if not can_close_wanted(actor, wanted):
        raise ExchangeError(_("You cannot close this request."), code="forbidden")
    if wanted.is_active:
        wanted.is_active = False
        wanted.save(update_fields=["is_active"])
    return wanted
