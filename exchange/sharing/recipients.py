"""Sharing's part in recording a transfer: another authority of the platform as the
recipient (exchange.listings.recipients' directory for the `authority` kind), and its
receipt shown beside the transfer on the giver's listing page."""

from __future__ import annotations

from django.utils.translation import gettext as _

from exchange.listings.errors import ExchangeError
from exchange.listings.recipients import Recipient, ResolvedRecipient
from exchange.sharing.receipt_selectors import receipts_of_transfers
from exchange.sharing.receipts import request_receipt
from exchange.sharing.selectors import shares_with, sharing_partners_of
from tenants.models import Authority
from tenants.selectors import current_authority


def receiving_authority(slug: str) -> Authority:
    """The platform authority named by `slug`, provided the current authority shares
    with it NOW (an active agreement or a common network, both serving data), else
    ExchangeError: nobody records a transfer into the figures of an authority that
    never agreed to exchange with theirs (issue 12)."""
    here = current_authority()
    authority = (Authority.objects.exclude(schema_name="public").filter(slug=slug).first()
                 if slug else None)
    if authority is None or here is None or authority.pk == here.pk:
        raise ExchangeError(_("Choose the receiving authority."), code="recipient")
    if not shares_with(here, authority):
        raise ExchangeError(
            _("Your authority has no active sharing agreement with %(name)s: a transfer to "
              "it cannot be recorded. Ask your administrator to propose sharing first.")
            % {"name": authority.name}, code="recipient")
    return authority


class AuthorityDirectory:
    """Authorities sharing with the current one."""

    def choices(self, authority: Authority):
        """The authorities sharing with `authority` now, by name."""
        return sharing_partners_of(authority).order_by("name")

    def resolve(self, recipient: Recipient) -> ResolvedRecipient:
        return ResolvedRecipient(name=receiving_authority(recipient.authority_slug).name)

    def transfer_counted(self, transfer) -> None:
        """The receiver confirms receipt before the transfer counts in its figures."""
        request_receipt(transfer=transfer, giver=current_authority(),
                        receiver=receiving_authority(transfer.recipient_authority_slug))


def receipts_of_sent(giver: Authority, transfers) -> dict:
    """The receiver's receipt of each of `giver`'s transfers to another platform
    authority, by transfer id (exchange.listings.recipients' receipt reader)."""
    return receipts_of_transfers(giver, [t.pk for t in transfers
                                         if t.recipient_authority_slug])

    def record_lines(self, recipient: Recipient) -> list[str]:
        """Nothing beyond the transfer itself: the record prints the receiving
        authority's name, copied on the transfer when it was recorded."""
        return []
