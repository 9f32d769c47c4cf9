"""Checks shared by the services: a category a listing (or a wanted request) may take,
a listing's figures and dates, a moderator's action."""

from __future__ import annotations

from django.utils.translation import gettext as _

from accounts.models import User
from accounts.permissions import can_moderate
from exchange.listings.errors import ExchangeError
from exchange.listings.models import Category, CategoryKind
from exchange.listings.selectors import exchange_settings


def check_category(category: Category) -> None:
    rules = exchange_settings()
    if category.is_hidden or (category.parent_id and category.parent.is_hidden):
        raise ExchangeError(_("This category is not available."), code="category_hidden")
    if category.kind == CategoryKind.IT and not rules.it_enabled:
        raise ExchangeError(_("IT equipment cannot be listed in this authority."),
                            code="category_disabled")
    if category.kind == CategoryKind.APPLIANCE and not rules.appliances_enabled:
        raise ExchangeError(_("Appliances cannot be listed in this authority."),
                            code="category_disabled")


def check_values(data: dict) -> None:
    if data.get("quantity") is not None and data["quantity"] < 1:
        raise ExchangeError(_("The quantity must be at least 1."), code="quantity")
    if data.get("estimated_value") is not None and data["estimated_value"] < 0:
        raise ExchangeError(_("The estimated value cannot be negative."), code="value")
    start, end = data.get("available_from"), data.get("available_until")
    if start and end and end < start:
        raise ExchangeError(_("The end of availability is before its start."),
                            code="availability")


def require_moderator(actor: User) -> None:
    if not can_moderate(actor):
        raise ExchangeError(_("Only moderators can do this."), code="forbidden")
