"""Writes on listings. Views, the API, tasks, commands and one-click links all call
these functions; none of them repeats a check. Mail leaves after commit."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.contrib.postgres.search import SearchVector
from django.db import transaction
from django.db.models import Sum, Value
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.permissions import can_moderate
from analytics.models import REFERENCE_FACTORS_VERSION, ReferenceItem
from analytics.reference_data import APPLIANCE_FAMILIES, IT_FAMILIES, read_reference_rows
from exchange.listings import notifications
from exchange.listings.errors import ExchangeError
from exchange.listings.models import (
    SEARCH_CONFIG,
    Category,
    CategoryKind,
    ClosureReason,
    ContactRequest,
    ExchangeSettings,
    Listing,
    ListingStatus,
    ModerationAction,
    ModerationEvent,
    ModerationMode,
    SavedSearch,
    Transfer,
    Visibility,
    WantedRequest,
)
from exchange.listings.permissions import (
    can_close,
    can_close_wanted,
    can_confirm_outlier,
    can_edit,
    can_extend,
    can_manage,
    can_moderate_as_other,
    can_submit,
)
from exchange.listings.projections import record_transfer_fact, sync_after_commit
from exchange.listings.recipients import (
    Recipient,
    RecipientKind,
    directory_for,
    required_recipient,
)
from tenants.background import after_commit

HOLD_DURATION = timedelta(minutes=15)
EDITABLE_FIELDS = ("title", "description", "category", "quantity", "condition",
                   "estimated_value", "dimensions", "service", "site", "available_from",
                   "available_until")


# --- Set-up ----------------------------------------------------------------------

def exchange_settings() -> ExchangeSettings:
    """The authority's settings row (a read: never writes).

    The row is created when the authority is provisioned (`ensure_exchange_settings`,
    called by `seed_categories`; a data migration for older authorities). Should it be
    missing all the same, the defaults are returned unsaved (pk 1, so that saving the
    settings form creates the row)."""
    return ExchangeSettings.objects.filter(pk=1).first() or ExchangeSettings(pk=1)


def ensure_exchange_settings() -> ExchangeSettings:
    """Create the authority's settings row with its defaults when missing (a write,
    for provisioning only)."""
    settings_row, _ = ExchangeSettings.objects.get_or_create(pk=1)
    return settings_row


def _category_kind(family_name: str) -> str:
    if family_name in IT_FAMILIES:
        return CategoryKind.IT
    if family_name in APPLIANCE_FAMILIES:
        return CategoryKind.APPLIANCE
    return CategoryKind.GENERAL


def _bulk_seed_categories(rows: list[dict]) -> int:
    """A new schema's tree in two INSERTs (same rows as the get_or_create path)."""
    families: dict[str, Category] = {}
    for position, row in enumerate(rows):
        families.setdefault(row["family_fr"], Category(
            parent=None, name=row["family_fr"], kind=_category_kind(row["family_fr"]),
            position=position))
    Category.objects.bulk_create(families.values())
    items: dict[tuple[str, str], Category] = {}
    for position, row in enumerate(rows):
        family = families[row["family_fr"]]
        items.setdefault((row["family_fr"], row["label_fr"]), Category(
            parent=family, name=row["label_fr"], reference_code=row["code"],
            kind=family.kind, position=position))
    Category.objects.bulk_create(items.values())
    return len(families) + len(items)


def seed_categories() -> int:
    """Create the family/item-type tree from the reference items. Idempotent."""
    rows = read_reference_rows()
    if not Category.objects.exists():  # a new authority: no per-row round trips
        created = _bulk_seed_categories(rows)
        ensure_exchange_settings()
        return created
    created = 0
    families: dict[str, Category] = {}
    for position, row in enumerate(rows):
        family_name = row["family_fr"]
        kind = _category_kind(family_name)
        if family_name not in families:
            families[family_name], new = Category.objects.get_or_create(
                parent=None, name=family_name, defaults={"kind": kind, "position": position})
            created += new
        _, new = Category.objects.get_or_create(
            parent=families[family_name], name=row["label_fr"],
            defaults={"reference_code": row["code"], "kind": kind, "position": position})
        created += new
    ensure_exchange_settings()
    return created


# --- Listing life cycle ----------------------------------------------------------------

def _record(listing: Listing, actor: User | None, action: str, message: str = "",
            changes: dict | None = None) -> ModerationEvent:
    return ModerationEvent.objects.create(listing=listing, actor=actor, action=action,
                                          message=message, changes=changes or {})


def _refresh_search_vector(listing: Listing) -> None:
    Listing.objects.filter(pk=listing.pk).update(
        search_vector=SearchVector(Value(listing.title), weight="A", config=SEARCH_CONFIG)
        + SearchVector(Value(listing.description), weight="B", config=SEARCH_CONFIG)
    )


def _check_category(category: Category) -> None:
    rules = exchange_settings()
    if category.is_hidden or (category.parent_id and category.parent.is_hidden):
        raise ExchangeError(_("This category is not available."), code="category_hidden")
    if category.kind == CategoryKind.IT and not rules.it_enabled:
        raise ExchangeError(_("IT equipment cannot be listed in this authority."),
                            code="category_disabled")
    if category.kind == CategoryKind.APPLIANCE and not rules.appliances_enabled:
        raise ExchangeError(_("Appliances cannot be listed in this authority."),
                            code="category_disabled")


def _check_values(data: dict) -> None:
    if data.get("quantity") is not None and data["quantity"] < 1:
        raise ExchangeError(_("The quantity must be at least 1."), code="quantity")
    if data.get("estimated_value") is not None and data["estimated_value"] < 0:
        raise ExchangeError(_("The estimated value cannot be negative."), code="value")
    start, end = data.get("available_from"), data.get("available_until")
    if start and end and end < start:
        raise ExchangeError(_("The end of availability is before its start."),
                            code="availability")


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


def _check_plausible(*, quantity, value, actor: User, confirm_outlier: bool,
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


def _mark_outlier_confirmed(listing: Listing, actor: User) -> None:
    listing.outlier_confirmed_by, listing.outlier_confirmed_at = actor, timezone.now()
    Listing.objects.filter(pk=listing.pk).update(outlier_confirmed_by=actor,
                                                 outlier_confirmed_at=listing.outlier_confirmed_at)
    _record(listing, actor, ModerationAction.EDITED,
            message=_("Unusual quantity or value confirmed by a moderator."))


@transaction.atomic
def create_listing(*, poster: User, submit: bool = False, confirm_outlier: bool = False,
                   **data) -> Listing:
    """Create a listing as a draft (or submit it straight away). A quantity or a value
    per item above the plausibility bounds is refused unless a moderator confirms it
    (`confirm_outlier`)."""
    data.setdefault("service", poster.service)
    if data.get("service") is None:
        raise ExchangeError(_("Choose the service that gives the items."), code="service")
    _check_values(data)
    confirming = _check_plausible(quantity=data.get("quantity"),
                                  value=data.get("estimated_value"), actor=poster,
                                  confirm_outlier=confirm_outlier)
    _check_category(data["category"])
    visibility = data.get("visibility") or exchange_settings().default_visibility
    if visibility not in Visibility.values:
        raise ExchangeError(_("Choose who may see the listing."), code="visibility")
    listing = Listing.objects.create(poster=poster, status=ListingStatus.DRAFT,
                                     visibility=visibility,
                                     **{k: v for k, v in data.items() if k in EDITABLE_FIELDS})
    _refresh_search_vector(listing)
    if confirming:
        _mark_outlier_confirmed(listing, poster)
    if submit:
        listing = submit_listing(listing=listing, actor=poster)
    return listing


def _diff(listing: Listing, data: dict) -> dict:
    changes = {}
    for field in EDITABLE_FIELDS:
        if field not in data:
            continue
        old, new = getattr(listing, field), data[field]
        if old != new:
            changes[field] = [str(old) if old is not None else None,
                              str(new) if new is not None else None]
    return changes


@transaction.atomic
def update_listing(*, listing: Listing, actor: User, confirm_outlier: bool = False,
                   **data) -> Listing:
    """Edit a listing. A poster's edit of a published listing under pre-moderation
    sends it back to review; a moderator's edit is recorded in the audit trail.
    Implausible figures need a moderator's confirmation; changing the quantity or the
    value drops an earlier one."""
    listing = Listing.objects.select_for_update().get(pk=listing.pk)
    if not can_edit(actor, listing):
        raise ExchangeError(_("You cannot edit this listing."), code="forbidden")
    _check_values(data)
    quantity = data.get("quantity", listing.quantity)
    value = data.get("estimated_value", listing.estimated_value)
    figures_change = (quantity, value) != (listing.quantity, listing.estimated_value)
    confirming = _check_plausible(
        quantity=quantity, value=value, actor=actor, confirm_outlier=confirm_outlier,
        already_confirmed=listing.outlier_confirmed_at is not None and not figures_change)
    if "category" in data and data["category"] != listing.category:
        _check_category(data["category"])
    changes = _diff(listing, data)
    if figures_change and listing.outlier_confirmed_at is not None:
        listing.outlier_confirmed_by, listing.outlier_confirmed_at = None, None
    if not changes:
        if confirming:
            _mark_outlier_confirmed(listing, actor)
        return listing
    for field in changes:
        setattr(listing, field, data[field])
    listing.save()
    _refresh_search_vector(listing)
    if confirming:
        _mark_outlier_confirmed(listing, actor)
    return record_edit(listing=listing, actor=actor, changes=changes)


def record_edit(*, listing: Listing, actor: User, changes: dict) -> Listing:
    """What follows any change to a listing (its fields or its photos, see
    exchange.listings.photos): an audit-trail entry; a poster's change to a published listing
    under pre-moderation sends it back to review; a moderator's change is mailed to
    the poster. Call it inside the transaction that holds the listing's row lock."""
    moderating = can_moderate_as_other(actor, listing)
    _record(listing, actor, ModerationAction.EDITED, changes=changes)
    sync_after_commit(listing)
    if (not moderating and listing.status == ListingStatus.PUBLISHED
            and exchange_settings().moderation_mode == ModerationMode.PRE):
        listing.status = ListingStatus.PENDING
        listing.submitted_at = timezone.now()
        listing.save(update_fields=["status", "submitted_at", "updated_at"])
        _record(listing, actor, ModerationAction.SUBMITTED)
    if moderating:
        after_commit(notifications.decision_to_poster, listing,
                                   ModerationAction.EDITED, "")
    return listing


def _review_words_found(listing: Listing) -> list[str]:
    text = f"{listing.title} {listing.description}".lower()
    return [w for w in exchange_settings().review_words
            if re.search(rf"\b{re.escape(w.lower())}", text)]


def _publish(listing: Listing) -> None:
    now = timezone.now()
    listing.status = ListingStatus.PUBLISHED
    listing.published_at = listing.published_at or now
    listing.expires_at = now + timedelta(days=exchange_settings().expiry_days)
    listing.expiry_reminder_sent_at = None
    listing.held_by = None
    listing.held_until = None
    listing.save()
    sync_after_commit(listing)
    after_commit(notifications.alerts_for_new_listing, listing)


@transaction.atomic
def submit_listing(*, listing: Listing, actor: User) -> Listing:
    """Draft or changes requested → awaiting moderation, or published straight away
    under post-moderation unless a review word appears."""
    listing = Listing.objects.select_for_update().get(pk=listing.pk)
    if not can_manage(actor, listing):
        raise ExchangeError(_("You cannot submit this listing."), code="forbidden")
    if not can_submit(actor, listing):
        raise ExchangeError(_("This listing has already been submitted."), code="state")
    listing.submitted_at = timezone.now()
    words = _review_words_found(listing)
    if exchange_settings().moderation_mode == ModerationMode.POST and not words:
        _publish(listing)
        _record(listing, actor, ModerationAction.PUBLISHED)
    else:
        listing.status = ListingStatus.PENDING
        listing.save(update_fields=["status", "submitted_at", "updated_at"])
        _record(listing, actor, ModerationAction.SUBMITTED,
                message=(_("Contains: %(words)s") % {"words": ", ".join(words)}) if words else "")
    return listing


def _require_moderator(actor: User) -> None:
    if not can_moderate(actor):
        raise ExchangeError(_("Only moderators can do this."), code="forbidden")


def _lock_for_decision(listing: Listing, actor: User) -> Listing:
    listing = Listing.objects.select_for_update().get(pk=listing.pk)
    if (listing.held_by_id and listing.held_by_id != actor.pk and listing.held_until
            and listing.held_until > timezone.now()):
        raise ExchangeError(
            _("%(name)s is moderating this listing right now.") % {"name": listing.held_by},
            code="held")
    return listing


@transaction.atomic
def hold_listing(*, listing: Listing, actor: User) -> Listing:
    """A moderator opens a listing: nobody else acts on it for a quarter of an hour."""
    _require_moderator(actor)
    listing = _lock_for_decision(listing, actor)
    listing.held_by = actor
    listing.held_until = timezone.now() + HOLD_DURATION
    listing.save(update_fields=["held_by", "held_until"])
    return listing


@transaction.atomic
def approve_listing(*, listing: Listing, actor: User) -> Listing:
    _require_moderator(actor)
    listing = _lock_for_decision(listing, actor)
    if listing.status != ListingStatus.PENDING:
        raise ExchangeError(_("Only a listing awaiting moderation can be approved."),
                            code="state")
    _publish(listing)
    _record(listing, actor, ModerationAction.APPROVED)
    after_commit(notifications.decision_to_poster, listing,
                               ModerationAction.APPROVED, "")
    return listing


def bulk_approve(*, listings, actor: User) -> tuple[list[Listing], list[tuple[Listing, str]]]:
    """Approve several listings; each one stands alone. Returns (approved, refused)."""
    approved, refused = [], []
    for listing in listings:
        try:
            approved.append(approve_listing(listing=listing, actor=actor))
        except ExchangeError as error:
            refused.append((listing, error.messages[0]))
    return approved, refused


@transaction.atomic
def reject_listing(*, listing: Listing, actor: User, reason: str) -> Listing:
    _require_moderator(actor)
    if not reason.strip():
        raise ExchangeError(_("Say why the listing is rejected."), code="reason")
    listing = _lock_for_decision(listing, actor)
    if listing.status not in (ListingStatus.PENDING, ListingStatus.PUBLISHED):
        raise ExchangeError(_("This listing cannot be rejected now."), code="state")
    listing.status = ListingStatus.REJECTED
    listing.held_by = None
    listing.save()
    sync_after_commit(listing)
    _record(listing, actor, ModerationAction.REJECTED, message=reason.strip())
    after_commit(notifications.decision_to_poster, listing,
                               ModerationAction.REJECTED, reason.strip())
    return listing


@transaction.atomic
def request_changes(*, listing: Listing, actor: User, message: str) -> Listing:
    _require_moderator(actor)
    if not message.strip():
        raise ExchangeError(_("Say what should change."), code="message")
    listing = _lock_for_decision(listing, actor)
    if listing.status not in (ListingStatus.PENDING, ListingStatus.PUBLISHED):
        raise ExchangeError(_("Changes cannot be requested on this listing now."),
                            code="state")
    listing.status = ListingStatus.CHANGES_REQUESTED
    listing.held_by = None
    listing.save()
    sync_after_commit(listing)
    _record(listing, actor, ModerationAction.CHANGES_REQUESTED, message=message.strip())
    after_commit(notifications.decision_to_poster, listing,
                               ModerationAction.CHANGES_REQUESTED, message.strip())
    return listing


@transaction.atomic
def extend_listing(*, listing: Listing, actor: User) -> Listing:
    """Keep a published listing online for another period, or bring back an expired one."""
    listing = Listing.objects.select_for_update().get(pk=listing.pk)
    if not can_manage(actor, listing):
        raise ExchangeError(_("You cannot extend this listing."), code="forbidden")
    if not can_extend(actor, listing):
        raise ExchangeError(_("Only a published or expired listing can be extended."),
                            code="state")
    listing.status = ListingStatus.PUBLISHED
    listing.expires_at = timezone.now() + timedelta(days=exchange_settings().expiry_days)
    listing.expiry_reminder_sent_at = None
    listing.save()
    _record(listing, actor, ModerationAction.EXTENDED)
    sync_after_commit(listing)
    return listing


def expire_due_listings(now=None) -> int:
    """Published listings past their date become expired. Idempotent."""
    now = now or timezone.now()
    count = 0
    for listing in Listing.objects.filter(status=ListingStatus.PUBLISHED, expires_at__lte=now):
        with transaction.atomic():
            Listing.objects.filter(pk=listing.pk).update(status=ListingStatus.EXPIRED)
            _record(listing, None, ModerationAction.EXPIRED)
            sync_after_commit(listing)
            count += 1
    return count


@transaction.atomic
def set_reservation(*, listing: Listing, actor: User, reserved_for: str) -> Listing:
    """Mark a published listing reserved for someone ("" cancels the reservation)."""
    listing = Listing.objects.select_for_update().get(pk=listing.pk)
    if not can_close(actor, listing):
        raise ExchangeError(_("You cannot reserve this listing."), code="forbidden")
    listing.reserved_for = reserved_for.strip()[:200]
    listing.save(update_fields=["reserved_for", "updated_at"])
    _record(listing, actor,
            ModerationAction.RESERVED if listing.reserved_for else ModerationAction.UNRESERVED,
            message=listing.reserved_for)
    return listing


@transaction.atomic
def set_partner_offer_opt_out(*, listing: Listing, actor: User, opt_out: bool) -> Listing:
    """The poster or a moderator keeps a listing away from partners (or lets it go):
    the offer cascade (exchange.partners) and the catalogue projection read the flag."""
    listing = Listing.objects.select_for_update().get(pk=listing.pk)
    if not can_manage(actor, listing):
        raise ExchangeError(_("Only the poster or a moderator can change this."),
                            code="forbidden")
    if listing.partner_offer_opt_out != opt_out:
        listing.partner_offer_opt_out = opt_out
        listing.save(update_fields=["partner_offer_opt_out", "updated_at"])
        ModerationEvent.objects.create(listing=listing, actor=actor,
                                       action=ModerationAction.EDITED,
                                       changes={"partner_offer_opt_out": opt_out})
        sync_after_commit(listing)
    return listing


# --- Contact -------------------------------------------------------------------------

@transaction.atomic
def contact_poster(*, listing: Listing, sender: User, message: str = "") -> ContactRequest:
    """Store an agent's interest, then have a worker mail the poster (moderators in Cc).

    The request exists before anything is sent: a mail server or broker outage loses
    nothing, and the poster sees every request on the listing page.
    """
    listing = Listing.objects.select_for_update().get(pk=listing.pk)
    if listing.status != ListingStatus.PUBLISHED:
        raise ExchangeError(_("This listing is no longer available."), code="state")
    if listing.poster_id == sender.pk:
        raise ExchangeError(_("This is your own listing."), code="own")
    limit = exchange_settings().contacts_per_hour
    recent = ContactRequest.objects.filter(
        sender=sender, created_at__gte=timezone.now() - timedelta(hours=1)).count()
    if recent >= limit:
        raise ExchangeError(
            _("You have sent %(count)s contacts in the last hour: wait a little before "
              "sending more.") % {"count": recent}, code="rate_limited")
    contact = ContactRequest.objects.create(listing=listing, sender=sender,
                                            message=message.strip()[:2000])
    after_commit(notifications.queue_contact, contact)
    return contact


@transaction.atomic
def contact_poster_from_outside(*, listing: Listing, name: str, email: str, service: str,
                                authority_slug: str, authority_name: str,
                                message: str = "") -> ContactRequest:
    """Store the interest of an agent of another authority (sharing) in this schema,
    then mail the poster like any contact (moderators in Cc, Reply-To the agent).

    Call it in the owner authority's schema, after checking that the agent's authority
    shares with it (exchange.sharing.contacts does both). Same hourly limit as agents
    of the authority, counted per e-mail address.
    """
    listing = Listing.objects.select_for_update().get(pk=listing.pk)
    if listing.status != ListingStatus.PUBLISHED or listing.visibility != Visibility.SHARED:
        raise ExchangeError(_("This listing is no longer available."), code="state")
    limit = exchange_settings().contacts_per_hour
    recent = ContactRequest.objects.filter(
        sender__isnull=True, external_email__iexact=email,
        created_at__gte=timezone.now() - timedelta(hours=1)).count()
    if recent >= limit:
        raise ExchangeError(
            _("You have sent %(count)s contacts in the last hour: wait a little before "
              "sending more.") % {"count": recent}, code="rate_limited")
    contact = ContactRequest.objects.create(
        listing=listing, sender=None, external_name=name[:200], external_email=email,
        external_service=(service or "")[:200], external_authority_slug=authority_slug,
        external_authority_name=authority_name[:200], message=message.strip()[:2000])
    after_commit(notifications.queue_contact, contact)
    return contact


# --- Closure ----------------------------------------------------------------------------

def quantity_left(listing: Listing) -> int:
    given = listing.transfers.aggregate(total=Sum("quantity"))["total"] or 0
    return listing.quantity - given


def _reference_weight(listing: Listing) -> Decimal:
    code = listing.category.reference_code
    item = ReferenceItem.objects.filter(code=code).only("typical_weight_kg").first()
    return item.typical_weight_kg if item else Decimal("0")


OUTSIDE_REASONS = {ClosureReason.EXCHANGED_OTHER_AUTHORITY, ClosureReason.GIVEN_TO_PARTNER}


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
    confirming = _check_plausible(
        quantity=listing.quantity, value=listing.estimated_value, actor=actor,
        confirm_outlier=confirm_outlier,
        already_confirmed=listing.outlier_confirmed_at is not None)
    if confirming:
        _mark_outlier_confirmed(listing, actor)
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
        _record(listing, actor, ModerationAction.TRANSFERRED,
                message=_("%(reason)s × %(quantity)s, awaiting a moderator's confirmation")
                % {"reason": reason, "quantity": quantity})
        after_commit(notifications.transfer_awaits_confirmation, transfer)
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
        _record(listing, actor, ModerationAction.CLOSED, message=transfer.reason)
    else:
        _record(listing, actor, ModerationAction.TRANSFERRED,
                message=f"{transfer.reason} × {transfer.quantity}")
    after_commit(record_transfer_fact, transfer.pk)  # the statistics fact
    if transfer.recipient_partner_id is not None:
        # Partner API: answer the partners' requests (the partner it went to: accepted),
        # BEFORE the catalogue sync, whose withdrawal declines the requests still open.
        directory_for(RecipientKind.PARTNER).transfer_counted(transfer)
    sync_after_commit(listing)


def _locked_awaiting(transfer: Transfer, actor: User) -> Transfer:
    _require_moderator(actor)
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
    _record(listing, actor, ModerationAction.TRANSFERRED,
            message=f"{summary}. {reason.strip()}" if reason.strip() else summary)
    sync_after_commit(listing)
    return listing


# --- Visibility and sharing -----------------------------------------------------------

@transaction.atomic
def set_visibility(*, listing: Listing, actor: User, visibility: str) -> Listing:
    """The poster or a moderator shows a listing to the authorities sharing with theirs
    (`shared`) or keeps it home (`internal`). Moderation is unchanged: only published
    listings are ever seen outside."""
    listing = Listing.objects.select_for_update().get(pk=listing.pk)
    if not can_edit(actor, listing):
        raise ExchangeError(_("You cannot change who sees this listing."), code="forbidden")
    if visibility not in Visibility.values:
        raise ExchangeError(_("Choose who may see the listing."), code="visibility")
    if listing.visibility == visibility:
        return listing
    old = listing.visibility
    listing.visibility = visibility
    listing.shared_at = timezone.now() if visibility == Visibility.SHARED else None
    listing.save(update_fields=["visibility", "shared_at", "updated_at"])
    _record(listing, actor, ModerationAction.EDITED, changes={"visibility": [old, visibility]})
    sync_after_commit(listing)
    return listing


def share_waiting_listings(now=None) -> int:
    """The cascade: internal listings published more than `share_after_days` ago that
    no one took (no item given) become shared. Idempotent; returns how many."""
    days = exchange_settings().share_after_days
    if days is None:
        return 0
    now = now or timezone.now()
    waiting = (Listing.objects.filter(status=ListingStatus.PUBLISHED,
                                      visibility=Visibility.INTERNAL,
                                      published_at__lte=now - timedelta(days=days),
                                      reserved_for="")
               .exclude(transfers__isnull=False).values_list("pk", flat=True))
    count = 0
    for pk in list(waiting):
        with transaction.atomic():
            listing = Listing.objects.select_for_update().get(pk=pk)
            if listing.visibility != Visibility.INTERNAL:
                continue
            listing.visibility, listing.shared_at = Visibility.SHARED, now
            listing.save(update_fields=["visibility", "shared_at", "updated_at"])
            _record(listing, None, ModerationAction.EDITED,
                    message=_("Shared automatically: no taker after %(days)s days.")
                    % {"days": days},
                    changes={"visibility": [Visibility.INTERNAL, Visibility.SHARED]})
            sync_after_commit(listing)
            count += 1
    return count


# --- Wanted requests and saved searches (alerts) ----------------------------------------

MAX_ACTIVE_WANTED = 20
MAX_SAVED_SEARCHES = 20


@transaction.atomic
def create_wanted_request(*, author: User, title: str, description: str = "",
                          category: Category | None = None) -> WantedRequest:
    """"Je recherche…": shown to every agent; matched against listings as they publish."""
    title = title.strip()
    if not title:
        raise ExchangeError(_("Say what you are looking for."), code="title")
    if category is not None:
        _check_category(category)
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
    if saved_search.user_id != actor.pk:
        raise ExchangeError(_("This search is not yours."), code="forbidden")
    saved_search.delete()
