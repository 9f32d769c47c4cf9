"""Who received the items of a transfer: one `Recipient` value instead of five
overlapping arguments of `services.closure.close_listing`.

A recipient is one of four kinds: a service of the authority, another authority of the
platform (by slug), a partner the authority grants access to (by id), or a name alone
for anyone not on the platform (an outside authority or partner). Which kinds a closing
reason accepts, and how the web form's or the API's fields become a recipient, live
here and nowhere else.

Two kinds name something another app owns: an authority of the platform (sharing) and a
partner (partners). Those apps sit above listings, so listings never imports them: each
registers a `RecipientDirectory` for its kind when Django starts (its AppConfig.ready),
which offers the recipients an authority may choose, checks the recipient when a
transfer is recorded and does what follows once the transfer counts (a receipt to
confirm, the partners' requests to answer).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Protocol

from django.utils.translation import gettext as _

from exchange.listings.errors import ExchangeError
from exchange.listings.models import ClosureReason

if TYPE_CHECKING:
    from collections.abc import Iterable

    from accounts.models import Service
    from exchange.listings.models import Transfer
    from tenants.models import Authority


class RecipientKind(StrEnum):
    SERVICE = "service"
    AUTHORITY = "authority"
    PARTNER = "partner"
    NAMED = "named"


# The kinds of recipient each giving reason accepts; other reasons take none.
KINDS_BY_REASON = {
    ClosureReason.EXCHANGED_INTERNAL: {RecipientKind.SERVICE},
    ClosureReason.EXCHANGED_OTHER_AUTHORITY: {RecipientKind.AUTHORITY, RecipientKind.NAMED},
    ClosureReason.GIVEN_TO_PARTNER: {RecipientKind.PARTNER, RecipientKind.NAMED},
}


@dataclass(frozen=True)
class Recipient:
    """Who received a transfer's items; build it with one of the constructors."""

    kind: RecipientKind
    receiving_service: Service | None = None
    authority_slug: str = ""
    partner_id: int | None = None
    name: str = ""

    @classmethod
    def service(cls, service: Service) -> Recipient:
        """A service of the current authority (reason `exchanged_internal`)."""
        if service is None:
            raise ValueError("A service recipient needs a service.")
        return cls(RecipientKind.SERVICE, receiving_service=service)

    @classmethod
    def authority(cls, authority) -> Recipient:
        """Another authority of the platform, given as an Authority or its slug
        (reason `exchanged_other_authority`); its name is copied when recording."""
        slug = getattr(authority, "slug", authority)
        if not slug:
            raise ValueError("An authority recipient needs a slug.")
        return cls(RecipientKind.AUTHORITY, authority_slug=slug)

    @classmethod
    def partner(cls, partner) -> Recipient:
        """A partner the authority grants access to, given as a Partner or its id
        (reason `given_to_partner`); its name and donation agreement are copied."""
        partner_id = getattr(partner, "pk", partner)
        if not isinstance(partner_id, int):
            raise ValueError("A partner recipient needs a partner id.")
        return cls(RecipientKind.PARTNER, partner_id=partner_id)

    @classmethod
    def named(cls, text: str) -> Recipient:
        """Anyone not on the platform, by name alone: an outside authority or partner."""
        if not (text or "").strip():
            raise ValueError("A named recipient needs a name.")
        return cls(RecipientKind.NAMED, name=text.strip())

    def fits(self, reason: str) -> bool:
        """Whether a transfer for `reason` may name this recipient."""
        return self.kind in KINDS_BY_REASON.get(reason, ())


def required_recipient(reason: str, recipient: Recipient | None) -> Recipient | None:
    """The recipient a transfer for `reason` records, or ExchangeError: giving reasons
    need one of their kinds, other reasons take none."""
    if reason not in KINDS_BY_REASON:
        if recipient is not None:
            raise ExchangeError(_("This outcome has no recipient."), code="recipient")
        return None
    if recipient is None or not recipient.fits(reason):
        raise ExchangeError(_("Say who received the items."), code="recipient")
    return recipient


def recipient_from_fields(reason: str, *, service: Service | None = None,
                          authority_slug: str = "", authority_name: str = "",
                          partner_id: int | None = None,
                          partner_name: str = "") -> Recipient | None:
    """The recipient the web form's or the API's fields name for `reason` (None when
    they name none): only the fields of that reason count; a platform authority's slug
    wins over a typed name, and so does a granted partner's id."""
    if reason == ClosureReason.EXCHANGED_INTERNAL:
        return Recipient.service(service) if service is not None else None
    if reason == ClosureReason.EXCHANGED_OTHER_AUTHORITY:
        if authority_slug:
            return Recipient.authority(authority_slug)
        return Recipient.named(authority_name) if (authority_name or "").strip() else None
    if reason == ClosureReason.GIVEN_TO_PARTNER:
        if partner_id is not None:
            return Recipient.partner(partner_id)
        return Recipient.named(partner_name) if (partner_name or "").strip() else None
    return None


# --- Directories: the apps that own the authority and partner kinds -----------------

@dataclass(frozen=True)
class ResolvedRecipient:
    """What a directory says of a recipient: the name the transfer copies and, for a
    donation, the agreement the transfer record cites."""

    name: str
    agreement_reference: str = ""


class RecipientDirectory(Protocol):
    """How an app above listings takes part in recording a transfer to its kind."""

    def choices(self, authority: Authority) -> Iterable:
        """The recipients of this kind `authority` may record a transfer to now, for the
        close form to offer (the owning app's objects, a queryset for a model)."""

    def resolve(self, recipient: Recipient) -> ResolvedRecipient:
        """The recipient's name (and agreement), or ExchangeError when the current
        authority may not give to it now. Runs in the closing transaction."""

    def transfer_counted(self, transfer: Transfer) -> None:
        """What follows once a transfer to this kind counts; runs in the transaction
        that makes it count (after-commit work is queued from here)."""

    def record_lines(self, recipient: Recipient) -> list[str]:
        """How the transfer record (exchange.listings.transfer_records) names the
        recipient: its legal identifiers, one per line; [] for the name the transfer
        copied. Asked for the partner kind (an authority's record reads the Authority)."""


_DIRECTORIES: dict[RecipientKind, RecipientDirectory] = {}


def register_directory(kind: RecipientKind, directory: RecipientDirectory) -> None:
    """Called once per kind, by the app that owns it, from its AppConfig.ready()."""
    _DIRECTORIES[kind] = directory


def recipient_choices(kind: RecipientKind, authority: Authority) -> Iterable:
    """What the directory of `kind` offers `authority` to choose from; nothing when no
    installed app provides one (the form then offers no choice of that kind)."""
    directory = _DIRECTORIES.get(kind)
    return directory.choices(authority) if directory is not None else ()


def directory_for(kind: RecipientKind) -> RecipientDirectory:
    """The directory of `kind`; ExchangeError when no installed app provides one."""
    directory = _DIRECTORIES.get(kind)
    if directory is None:
        raise ExchangeError(_("Say who received the items."), code="recipient")
    return directory


# --- Receipts: the recipient's answer, shown beside the transfer --------------------

class ReceiptReader(Protocol):
    def __call__(self, giver: Authority, transfers: list[Transfer]) -> dict[int, Any]:
        """The receipt of each of `giver`'s `transfers` to this kind that asked for one,
        by transfer id (one read): an object with `status`, `get_status_display()` and
        `decline_reason`, which the listing's page shows."""


_RECEIPT_READERS: dict[RecipientKind, ReceiptReader] = {}


def register_receipt_reader(kind: RecipientKind, read: ReceiptReader) -> None:
    """Called by the app that owns `kind` when its recipients confirm receipt of a
    transfer (sharing: the receiving authority), from its AppConfig.ready()."""
    _RECEIPT_READERS[kind] = read


def receipts_of(giver: Authority, transfers: list[Transfer]) -> dict[int, Any]:
    """The receipt of each of `giver`'s `transfers` that has one, by transfer id; none
    when no installed app asks its recipients to confirm receipt."""
    receipts: dict[int, Any] = {}
    for read in _RECEIPT_READERS.values():
        receipts.update(read(giver, transfers))
    return receipts
