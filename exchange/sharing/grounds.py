"""Grounds of the crossings that sharing between authorities makes (see tenants/crossing.py).

    with in_authority(owner, ground=SharingAgreementGround(viewer)):
        listing = Listing.objects.get(pk=listing_id)

Each ground is checked at the moment of crossing: an agreement ended, a network left, a
viewer or an owner suspended, closed or deleted since the page was shown refuses it.
"""

from __future__ import annotations

from dataclasses import dataclass

from analytics.models import Destination, TransferFact
from exchange.sharing.selectors import shares_with
from tenants.crossing import is_live
from tenants.models import Authority


@dataclass(frozen=True)
class SharingAgreementGround:
    """`viewer`'s agents read or contact `target`'s shared listings: both authorities
    are live and share now (an active agreement, or a network of which both are
    members: `selectors.shares_with`, the one rule of who sees whom)."""

    viewer: Authority
    reason: str = "sharing agreement"
    requires_live: bool = True

    def holds(self, target: Authority) -> bool:
        return is_live(self.viewer) and shares_with(self.viewer, target)


@dataclass(frozen=True)
class ReceivedTransferGround:
    """`receiver`'s moderators read, in the giver's schema, the record of a transfer the
    giver made to them (the statistics fact names the receiver). A legal record of a
    transfer already made: it stays readable while the giver is suspended or closed,
    not once its data are deleted (every crossing refuses that)."""

    receiver: Authority
    transfer_id: int
    reason: str = "record of a received transfer"
    requires_live: bool = False

    def holds(self, target: Authority) -> bool:
        return TransferFact.objects.filter(
            authority=target, receiver_authority=self.receiver, transfer_id=self.transfer_id,
            destination=Destination.OTHER_AUTHORITY).exists()
