"""Actions other apps offer on a listing's page (a registry: the apps above listings fill
it from their AppConfig.ready(), so listings never imports them).

    register_listing_action(transport_link)   # exchange.logistics.apps

An action is a function `(user, listing) -> (label, url) | None`: None when it does not
apply to that user and listing (the owning app asks accounts.permissions). The page shows
the links in registration order."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

ListingAction = Callable[[Any, Any], "tuple[str, str] | None"]

_ACTIONS: list[ListingAction] = []


def register_listing_action(action: ListingAction) -> None:
    if action not in _ACTIONS:
        _ACTIONS.append(action)


def listing_actions(user, listing) -> list[tuple[str, str]]:
    """The (label, url) of each registered action that applies to `user` on `listing`."""
    return [link for action in _ACTIONS if (link := action(user, listing)) is not None]
