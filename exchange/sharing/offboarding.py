"""What sharing keeps about an authority in the public schema, for offboarding
(tenants/offboarding/public_data.py; declared in apps.py): its agreements and network
memberships are closed when its data is deleted (the rows stay, as history of the other
side)."""

from __future__ import annotations

from django.db.models import Q

from exchange.sharing.models import (
    AgreementStatus,
    MembershipStatus,
    NetworkMembership,
    SharingAgreement,
)
from tenants.models import Authority
from tenants.offboarding.public_data import Withdrawal


def withdraw(authority: Authority, withdrawal: Withdrawal) -> dict[str, int]:
    """End the authority's proposed and active agreements, both ways, and leave the
    networks it was invited to or a member of."""
    agreements = SharingAgreement.objects.filter(
        Q(proposer=authority) | Q(recipient=authority),
        status__in=[AgreementStatus.PROPOSED, AgreementStatus.ACTIVE])
    return {
        "sharing_agreements": agreements.update(status=AgreementStatus.ENDED,
                                                ended_at=withdrawal.at,
                                                ended_by=withdrawal.by),
        "network_memberships": NetworkMembership.objects.filter(
            authority=authority, status__in=[MembershipStatus.INVITED, MembershipStatus.MEMBER])
        .update(status=MembershipStatus.LEFT, decided_at=withdrawal.at,
                decided_by=withdrawal.by),
    }
