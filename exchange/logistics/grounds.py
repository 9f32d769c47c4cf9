"""The ground of the crossing that hands a transport over between authorities (see
tenants/crossing.py): the giver's logistics team writes a copy of its request in the
receiver's schema, and the receiver's team sends the copy's status back to the giver's.

Checked at the moment of crossing, both ways: both authorities live and sharing now (an
agreement or a network: `exchange.sharing.selectors.shares_with`), the target one of the
two, and — when the crossing starts from the giver's schema, where the transfer lives —
the transfer given to that very receiver."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection

from exchange.listings.models import ClosureReason, Transfer
from exchange.sharing.selectors import shares_with
from tenants.crossing import is_live
from tenants.models import Authority


@dataclass(frozen=True)
class TransportHandOverGround:
    giver: Authority
    receiver: Authority
    transfer_id: int
    reason: str = "transport handed over under a sharing agreement"
    requires_live: bool = True

    def holds(self, target: Authority) -> bool:
        if target.pk not in (self.giver.pk, self.receiver.pk):
            return False
        if not (is_live(self.giver) and is_live(self.receiver)
                and shares_with(self.giver, self.receiver)):
            return False
        if connection.schema_name == self.giver.schema_name:
            return Transfer.objects.filter(
                pk=self.transfer_id, reason=ClosureReason.EXCHANGED_OTHER_AUTHORITY,
                recipient_authority_slug=self.receiver.slug).exists()
        return True
