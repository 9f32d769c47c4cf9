"""Reminders to posters, and the signed one-click links of the outcome reminder.

- **Expiry reminder**: a week before a published listing expires, its poster is mailed
  once (`Listing.expiry_reminder_sent_at`; extending or republishing clears it) with a
  link to the listing page, where the "extend" button is.
- **Outcome reminder**: a published listing whose first contact is a week old is still
  open, so its poster probably forgot to record what happened. The poster gets one
  e-mail with one-click links: "given to <agent> (<service>)" for each agent who asked,
  "still available" and "withdrawn". `Listing.outcome_reminder_sent_at` is the reminder
  clock: a reminder is due a week after the first contact, then a week after the last
  reminder or the last "still available" answer, so at most one a week while the
  listing stays open (it expires after the authority's delay anyway).

The links carry a signed token (`django.core.signing`, salted, valid 30 days) naming the
authority's schema, the listing, the action, the contact (for "given") and the poster.
A link only ever leads to a confirmation page: mail scanners follow links, so nothing
is done on GET. Used-once semantics come from the listing itself: once closed, every
link of the e-mail shows "already done".
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.core import signing
from django.db import connection, models, transaction
from django.db.models import Min, Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.links import authority_url
from exchange.listings import notifications
from exchange.listings.errors import ExchangeError
from exchange.listings.models import ClosureReason, ContactRequest, Listing, ListingStatus, Transfer
from exchange.listings.permissions import is_poster
from exchange.listings.recipients import Recipient
from exchange.listings.services import closure

log = logging.getLogger(__name__)

EXPIRY_NOTICE = timedelta(days=7)
OUTCOME_DELAY = timedelta(days=7)
OUTCOME_LINK_SALT = "exchange.listings.reminders.outcome-link"
OUTCOME_LINK_MAX_AGE = timedelta(days=30)


class OutcomeAction(models.TextChoices):
    GIVEN = "given", gettext_lazy("Given to an agent who asked")
    AVAILABLE = "available", gettext_lazy("Still available")
    WITHDRAWN = "withdrawn", gettext_lazy("Withdrawn")


# --- Expiry reminder ------------------------------------------------------------------

def listings_due_for_expiry_reminder(now=None) -> QuerySet[Listing]:
    """Published listings expiring within a week whose poster has not been told yet."""
    now = now or timezone.now()
    return Listing.objects.filter(status=ListingStatus.PUBLISHED, expires_at__gt=now,
                                  expires_at__lte=now + EXPIRY_NOTICE,
                                  expiry_reminder_sent_at__isnull=True)


def send_expiry_reminders(now=None) -> int:
    """Remind the poster of every listing due for an expiry reminder, once: the mail is
    recorded in the outbox with the listing's mark, and sent after commit (the outbox
    retries while the mail server refuses it). Returns how many were recorded."""
    now = now or timezone.now()

    def remind(listing: Listing) -> bool:
        if not listings_due_for_expiry_reminder(now).filter(pk=listing.pk).exists():
            return False  # extended, closed or reminded since the list was read
        notifications._record("expiry_reminder", {
            "listing": listing, "url": notifications.listing_url(listing),
        }, [listing.poster.email])
        Listing.objects.filter(pk=listing.pk).update(expiry_reminder_sent_at=now)
        return True

    return _remind_each(listings_due_for_expiry_reminder(now), remind, "expiry")


# --- Outcome reminder -----------------------------------------------------------------

def listings_due_for_outcome_reminder(now=None) -> QuerySet[Listing]:
    """Published listings contacted at least a week ago whose reminder clock (the last
    reminder or "still available" answer) is at least a week old or was never set."""
    now = now or timezone.now()
    return (Listing.objects.filter(status=ListingStatus.PUBLISHED)
            .annotate(first_contact=Min("contacts__created_at"))
            .filter(first_contact__lte=now - OUTCOME_DELAY)
            .filter(Q(outcome_reminder_sent_at__isnull=True)
                    | Q(outcome_reminder_sent_at__lte=now - OUTCOME_DELAY)))


def interested_contacts(listing: Listing) -> list[ContactRequest]:
    """The first request of each agent who contacted the poster, oldest first."""
    first_by_sender: dict[int, ContactRequest] = {}
    # Agents of this authority only: one of another authority (sharing) has no service
    # here, and the poster closes as "exchanged with another authority" from the page.
    for contact in (ContactRequest.objects.filter(listing=listing, sender__isnull=False)
                    .select_related("sender__service").order_by("created_at", "id")):
        first_by_sender.setdefault(contact.sender_id, contact)
    return list(first_by_sender.values())


def send_outcome_reminders(now=None) -> int:
    """Remind the poster of every listing due for an outcome reminder, with one-click
    links, through the outbox as the expiry reminder. Returns how many were recorded."""
    now = now or timezone.now()

    def remind(listing: Listing) -> bool:
        if not listings_due_for_outcome_reminder(now).filter(pk=listing.pk).exists():
            return False  # answered or closed since the list was read
        # An agent without a service cannot be recorded as a receiving service: listed
        # without a link (the poster closes from the listing page).
        takers = [{"contact": contact,
                   "url": outcome_url(listing, OutcomeAction.GIVEN, contact)
                   if contact.sender.service_id is not None else ""}
                  for contact in interested_contacts(listing)]
        notifications._record("outcome_reminder", {
            "listing": listing,
            "takers": takers,
            "available_url": outcome_url(listing, OutcomeAction.AVAILABLE),
            "withdrawn_url": outcome_url(listing, OutcomeAction.WITHDRAWN),
            "url": notifications.listing_url(listing),
            "link_days": OUTCOME_LINK_MAX_AGE.days,
        }, [listing.poster.email])
        Listing.objects.filter(pk=listing.pk).update(outcome_reminder_sent_at=now)
        return True

    return _remind_each(listings_due_for_outcome_reminder(now), remind, "outcome")


def _remind_each(due: QuerySet[Listing], remind, kind: str) -> int:
    """Run `remind(listing)` (True when it recorded a reminder) for each due listing,
    each in its own transaction with the listing's row locked, so two runs at once never
    remind twice. The mail goes to the outbox (core.outbox) in that same transaction with
    the listing's mark: sent after commit, again until the mail server takes it, once.
    Other failures are logged and leave the listing due for the next run."""
    sent = 0
    for listing_id in list(due.values_list("pk", flat=True)):
        try:
            with transaction.atomic():
                listing = (Listing.objects.select_for_update(skip_locked=True, of=("self",))
                           .select_related("poster").filter(pk=listing_id).first())
                if listing is None:
                    continue
                sent += remind(listing)
        except Exception:
            log.warning("%s reminder for listing %s not recorded; next run retries", kind,
                        listing_id, exc_info=True)
    return sent


# --- One-click outcome links -------------------------------------------------------------

@dataclass(frozen=True)
class OutcomeLink:
    """What a signed outcome link says."""

    schema: str
    listing_id: int
    action: str
    poster_id: int
    contact_id: int | None = None


class InvalidOutcomeLink(Exception):
    """The token was tampered with, is malformed, or is older than 30 days."""

    def __init__(self, expired: bool = False):
        super().__init__("expired" if expired else "invalid")
        self.expired = expired


def outcome_token(listing: Listing, action: str, contact: ContactRequest | None = None) -> str:
    """Sign an outcome link for the current authority's schema."""
    payload = {"s": connection.schema_name, "l": listing.pk, "a": str(action),
               "p": listing.poster_id}
    if contact is not None:
        payload["c"] = contact.pk
    return signing.dumps(payload, salt=OUTCOME_LINK_SALT, compress=True)


def outcome_url(listing: Listing, action: str, contact: ContactRequest | None = None) -> str:
    token = outcome_token(listing, action, contact)
    return authority_url(reverse("exchange:outcome_confirm", args=[token]))


def read_outcome_token(token: str) -> OutcomeLink:
    """Check the signature and age of a token and return what it says.

    Raises InvalidOutcomeLink. The caller still compares `schema` with the current one.
    """
    try:
        payload = signing.loads(token, salt=OUTCOME_LINK_SALT,
                                max_age=OUTCOME_LINK_MAX_AGE)
    except signing.SignatureExpired as error:
        raise InvalidOutcomeLink(expired=True) from error
    except signing.BadSignature as error:
        raise InvalidOutcomeLink() from error
    try:
        link = OutcomeLink(schema=str(payload["s"]), listing_id=int(payload["l"]),
                           action=str(payload["a"]), poster_id=int(payload["p"]),
                           contact_id=int(payload["c"]) if payload.get("c") else None)
    except (KeyError, TypeError, ValueError) as error:
        raise InvalidOutcomeLink() from error
    if link.action not in OutcomeAction.values or (
            (link.action == OutcomeAction.GIVEN) != (link.contact_id is not None)):
        raise InvalidOutcomeLink()
    return link


@dataclass
class OutcomePlan:
    """What confirming a link will do, for the confirmation page and for `apply_outcome`."""

    link: OutcomeLink
    listing: Listing
    quantity_left: int
    contact: ContactRequest | None = None

    @property
    def is_open(self) -> bool:
        return self.listing.status == ListingStatus.PUBLISHED

    @property
    def action(self) -> str:
        return self.link.action


def plan_outcome(link: OutcomeLink, listing: Listing) -> OutcomePlan:
    """Check that the link still fits its listing and say what confirming it will do.

    Raises ExchangeError when it no longer fits (other poster, agent's request gone,
    agent without a service, poster's account closed).
    """
    if listing.pk != link.listing_id or listing.poster_id != link.poster_id:
        raise ExchangeError(_("This link does not match the listing."), code="mismatch")
    if not listing.poster.is_active:
        raise ExchangeError(_("The poster's account is closed: this link no longer works."),
                            code="poster_inactive")
    contact = None
    if link.action == OutcomeAction.GIVEN:
        contact = (ContactRequest.objects.filter(pk=link.contact_id, listing=listing)
                   .select_related("sender__service").first())
        if contact is None:
            raise ExchangeError(_("This agent's request no longer exists."),
                                code="contact_missing")
        if contact.sender.service_id is None:
            raise ExchangeError(
                _("This agent has no service: close the listing from its page instead."),
                code="no_service")
    return OutcomePlan(link=link, listing=listing, contact=contact,
                       quantity_left=closure.quantity_left(listing))


def apply_outcome(plan: OutcomePlan) -> Transfer | None:
    """Do what the confirmed link says, acting as the listing's poster.

    "Given" closes the listing as exchanged with the asking agent's service and
    "withdrawn" closes it as withdrawn, both for every item left, through
    `closure.close_listing` (which checks everything again). "Still available"
    only resets the reminder clock. Raises ExchangeError.
    """
    poster = plan.listing.poster
    if plan.action == OutcomeAction.AVAILABLE:
        keep_available(listing=plan.listing, actor=poster)
        return None
    if plan.action == OutcomeAction.GIVEN:
        return closure.close_listing(
            listing=plan.listing, actor=poster, reason=ClosureReason.EXCHANGED_INTERNAL,
            recipient=Recipient.service(plan.contact.sender.service))
    return closure.close_listing(listing=plan.listing, actor=poster,
                                 reason=ClosureReason.WITHDRAWN)


@transaction.atomic
def keep_available(*, listing: Listing, actor) -> Listing:
    """The poster says the listing is still available: restart the reminder clock, and
    nothing else (no event, no change to the listing)."""
    listing = Listing.objects.select_for_update().get(pk=listing.pk)
    if not is_poster(actor, listing):
        raise ExchangeError(_("Only the poster can say this."), code="forbidden")
    if listing.status != ListingStatus.PUBLISHED:
        raise ExchangeError(_("This listing is no longer available."), code="state")
    now = timezone.now()
    Listing.objects.filter(pk=listing.pk).update(outcome_reminder_sent_at=now)
    listing.outcome_reminder_sent_at = now
    return listing
