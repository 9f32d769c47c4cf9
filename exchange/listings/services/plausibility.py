"""The plausibility bounds of a listing's figures (settings LISTING_MAX_QUANTITY and
LISTING_MAX_UNIT_VALUE_EUR, per item): implausible figures are refused unless a
moderator confirms them, and the confirmation is recorded."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from exchange.listings.errors import ExchangeError
from exchange.listings.models import Listing, ModerationAction
from exchange.listings.permissions import can_confirm_outlier
from exchange.listings.services.audit import record_event


def _outlier_errors(quantity: int | None, value: Decimal | None) -> list[ExchangeError]:
    """What is implausible in a quantity and a total value (settings LISTING_MAX_QUANTITY
    and LISTING_MAX_UNIT_VALUE_EUR, per item): [] when both are plausible."""
    errors = []
    if quantity is not None and quantity > settings.LISTING_MAX_QUANTITY:
        errors.append(ExchangeError(
            _("%(quantity)s items is not a plausible quantity (at most %(max)s): check it. "
              "A moderator may confirm an unusual quantity.")
            % {"quantity": quantity, "max": settings.LISTING_MAX_QUANTITY},
            code="quantity_implausible"))
    if value is not None and quantity and quantity >= 1:
        per_item = (Decimal(str(value)) / quantity).quantize(Decimal("0.01"),
                                                             rounding=ROUND_HALF_UP)
        if per_item > settings.LISTING_MAX_UNIT_VALUE_EUR:
            errors.append(ExchangeError(
                _("%(value)s € per item is not a plausible value (at most %(max)s € per "
                  "item): check it. A moderator may confirm an unusual value.")
                % {"value": per_item, "max": settings.LISTING_MAX_UNIT_VALUE_EUR},
                code="value_implausible"))
    return errors


def needs_outlier_confirmation(listing: Listing) -> bool:
    """True when `listing`'s figures are above the plausibility bounds and no moderator
    confirmed them (a listing from before the bounds): closing it needs one."""
    return (listing.outlier_confirmed_at is None
            and bool(_outlier_errors(listing.quantity, listing.estimated_value)))


def check_plausible(*, quantity, value, actor: User, confirm_outlier: bool,
                    already_confirmed: bool = False) -> bool:
    """Refuse implausible figures unless already confirmed, or confirmed now by an actor
    who may (`confirm_outlier`, moderators only: an agent's confirmation is ignored).
    Returns True when the actor confirms the outlier now."""
    errors = _outlier_errors(quantity, value)
    if not errors or already_confirmed:
        return False
    if confirm_outlier and can_confirm_outlier(actor):
        return True
    raise errors[0]


def mark_outlier_confirmed(listing: Listing, actor: User) -> None:
    listing.outlier_confirmed_by, listing.outlier_confirmed_at = actor, timezone.now()
    Listing.objects.filter(pk=listing.pk).update(outlier_confirmed_by=actor,
                                                 outlier_confirmed_at=listing.outlier_confirmed_at)
    record_event(listing, actor, ModerationAction.EDITED,
                 message=_("Unusual quantity or value confirmed by a moderator."))
