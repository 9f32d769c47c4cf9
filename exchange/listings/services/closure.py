"""Giving a listing's items away: transfers (several per listing until none is left),
the closing of the listing, and a moderator's confirmation of a free transfer above the
legal cap per unit. A transfer that counts is projected after commit (the statistics
fact, the catalogue)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from analytics.models import REFERENCE_FACTORS_VERSION, ReferenceItem
from exchange.listings import notifications
from exchange.listings.errors import ExchangeError
from exchange.listings.models import (
    ClosureReason,
    Listing,
    ListingStatus,
    ModerationAction,
    Transfer,
)
from exchange.listings.permissions import can_close
from exchange.listings.projections import record_transfer_fact, sync_after_commit
from exchange.listings.recipients import (
    Recipient,
    RecipientKind,
    directory_for,
    required_recipient,
)
from exchange.listings.services.audit import record_event
from exchange.listings.services.checks import require_moderator
from exchange.listings.services.plausibility import check_plausible, mark_outlier_confirmed
from tenants.background import after_commit

OUTSIDE_REASONS = {ClosureReason.EXCHANGED_OTHER_AUTHORITY, ClosureReason.GIVEN_TO_PARTNER}


def quantity_left(listing: Listing) -> int:
    given = listing.transfers.aggregate(total=Sum("quantity"))["total"] or 0
    return listing.quantity - given


def _reference_weight(listing: Listing) -> Decimal:
    code = listing.category.reference_code
    item = ReferenceItem.objects.filter(code=code).only("typical_weight_kg").first()
    return item.typical_weight_kg if item else Decimal("0")


def unit_value(listing: Listing) -> Decimal:
    return (listing.estimated_value / listing.quantity).quantize(Decimal("0.01"),
                                                                rounding=ROUND_HALF_UP)


def needs_confirmation(listing: Listing, reason: str) -> bool:
    """A free transfer outside the authority above the legal cap per unit (décret
    n° 2022-791) waits for a moderator's confirmation."""
    return (reason in OUTSIDE_REASONS
            and unit_value(listing) > settings.FREE_TRANSFER_CAP_PER_UNIT_EUR)


@transaction.atomic
def close_listing(*, listing: Listing, actor: User, reason: str, quantity: int | None = None,
                  recipient: Recipient | None = None, weight_kg: Decimal | None = None,
                  inventory_number: str = "", agreement_reference: str = "",
                  confirm_outlier: bool = False) -> Transfer:
    """Record a transfer of `quantity` items and close the listing when none are left.

    Giving reasons need their `recipient` (exchange.listings.recipients): a service for an
    internal exchange; another authority of the platform (its name is copied) or a name
    alone for another authority; a partner the authority grants access to (its name is
    copied and its grant's donation agreement referenced) or a name alone for a partner.
    Other reasons take none. Value is the listing's value pro rata; weight is the
    reference weight × quantity unless a weighed figure is given. Above the legal cap
    per unit, a transfer to another authority or a partner awaits a moderator
    (`confirm_transfer`): its items stay reserved and nothing closes or counts until then.

    A receiving authority of the platform must share with this one now; the transfer
    then counts in ITS figures only once its moderators confirm receipt
    (exchange.sharing.receipts). Implausible figures (plausibility bounds) are refused
    unless the listing's were confirmed, or a moderator confirms them (`confirm_outlier`).
    """
    listing = Listing.objects.select_for_update().select_related("category").get(pk=listing.pk)
    kind = recipient.kind if recipient is not None and recipient.fits(reason) else None
    authority_name = ""
    if kind == RecipientKind.AUTHORITY:
        authority_name = directory_for(kind).resolve(recipient).name
    if not can_close(actor, listing):
        raise ExchangeError(_("You cannot close this listing."), code="forbidden")
    if reason not in ClosureReason.values:
        raise ExchangeError(_("Choose a reason."), code="reason")
    left = quantity_left(listing)
    if quantity is None:
        quantity = left
    if quantity < 1:
        raise ExchangeError(_("The quantity must be at least 1."), code="quantity")
    if quantity > left:
        raise ExchangeError(
            _("Only %(left)s item(s) are left on this listing.") % {"left": left},
            code="quantity_left")
    confirming = check_plausible(
        quantity=listing.quantity, value=listing.estimated_value, actor=actor,
        confirm_outlier=confirm_outlier,
        already_confirmed=listing.outlier_confirmed_at is not None)
    if confirming:
        mark_outlier_confirmed(listing, actor)
    partner_name = ""
    if kind == RecipientKind.PARTNER:
        resolved = directory_for(kind).resolve(recipient)
        partner_name = resolved.name
        agreement_reference = agreement_reference or resolved.agreement_reference
    recipient = required_recipient(reason, recipient)
    if kind == RecipientKind.NAMED:
        authority_name = partner_name = recipient.name
    if weight_kg is not None and weight_kg < 0:
        raise ExchangeError(_("The weight cannot be negative."), code="weight")
    value = (listing.estimated_value * quantity / listing.quantity).quantize(
        Decimal("0.01"), rounding=ROUND_HALF_UP)
    awaiting = needs_confirmation(listing, reason)
    transfer = Transfer.objects.create(
        listing=listing, actor=actor, reason=reason, quantity=quantity,
        recipient_service=recipient.receiving_service if kind == RecipientKind.SERVICE
        else None,
        recipient_authority=authority_name
        if reason == ClosureReason.EXCHANGED_OTHER_AUTHORITY else "",
        recipient_partner=partner_name if reason == ClosureReason.GIVEN_TO_PARTNER else "",
        value=value,
        weight_kg=weight_kg if weight_kg is not None else _reference_weight(listing) * quantity,
        weight_is_estimated=weight_kg is None,
        factors_version=REFERENCE_FACTORS_VERSION,
        recipient_authority_slug=recipient.authority_slug
        if kind == RecipientKind.AUTHORITY else "",
        recipient_partner_id=recipient.partner_id if kind == RecipientKind.PARTNER else None,
        inventory_number=inventory_number.strip()[:100],
        agreement_reference=agreement_reference.strip()[:200],
        confirmation_required=awaiting,
    )
    if awaiting:
        record_event(listing, actor, ModerationAction.TRANSFERRED,
                     message=_("%(reason)s × %(quantity)s, awaiting a moderator's confirmation")
                     % {"reason": reason, "quantity": quantity})
        notifications.transfer_awaits_confirmation(transfer)  # the outbox, in this transaction
        sync_after_commit(listing)
        return transfer
    _transfer_done(listing, transfer, actor, closes=quantity == left)
    return transfer


def _transfer_done(listing: Listing, transfer: Transfer, actor: User, *, closes: bool) -> None:
    """What follows a transfer that counts: the listing closes when nothing is left; the
    statistics fact and the catalogue follow after commit."""
    if (transfer.reason == ClosureReason.EXCHANGED_OTHER_AUTHORITY
            and transfer.recipient_authority_slug):
        directory_for(RecipientKind.AUTHORITY).transfer_counted(transfer)
    if closes:
        listing.status = ListingStatus.CLOSED
        listing.closed_at = timezone.now()
        listing.reserved_for = ""
        listing.save()
        record_event(listing, actor, ModerationAction.CLOSED, message=transfer.reason)
    else:
        record_event(listing, actor, ModerationAction.TRANSFERRED,
                     message=f"{transfer.reason} × {transfer.quantity}")
    after_commit(record_transfer_fact, transfer.pk)  # the statistics fact
    if transfer.recipient_partner_id is not None:
        # Partner API: answer the partners' requests (the partner it went to: accepted),
        # BEFORE the catalogue sync, whose withdrawal declines the requests still open.
        directory_for(RecipientKind.PARTNER).transfer_counted(transfer)
    sync_after_commit(listing)


def _locked_awaiting(transfer: Transfer, actor: User) -> Transfer:
    require_moderator(actor)
    transfer = (Transfer.objects.select_for_update(of=("self",)).select_related("listing")
                .filter(pk=transfer.pk).first())
    if transfer is None or not transfer.awaits_confirmation:
        raise ExchangeError(_("This transfer does not await a confirmation."), code="state")
    return transfer


@transaction.atomic
def confirm_transfer(*, transfer: Transfer, actor: User) -> Transfer:
    """A moderator confirms a free transfer above the legal cap: it now counts (fact,
    figures), and the listing closes if no item is left."""
    transfer = _locked_awaiting(transfer, actor)
    listing = Listing.objects.select_for_update().get(pk=transfer.listing_id)
    transfer.confirmed_by, transfer.confirmed_at = actor, timezone.now()
    transfer.save(update_fields=["confirmed_by", "confirmed_at"])
    closes = listing.status == ListingStatus.PUBLISHED and quantity_left(listing) == 0
    _transfer_done(listing, transfer, actor, closes=closes)
    return transfer


@transaction.atomic
def refuse_transfer(*, transfer: Transfer, actor: User, reason: str = "") -> Listing:
    """A moderator refuses a transfer above the cap: it is deleted (the listing's history
    keeps the refusal) and its items are available again."""
    transfer = _locked_awaiting(transfer, actor)
    listing = Listing.objects.select_for_update().get(pk=transfer.listing_id)
    summary = (_("Transfer refused: %(recipient)s × %(quantity)s")
               % {"recipient": transfer.recipient_authority or transfer.recipient_partner,
                  "quantity": transfer.quantity})
    transfer.delete()
    record_event(listing, actor, ModerationAction.TRANSFERRED,
                 message=f"{summary}. {reason.strip()}" if reason.strip() else summary)
    sync_after_commit(listing)
    return listing
