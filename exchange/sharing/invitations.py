"""Reads on network invitations: whose approval an invitation still waits for, and
what the sharing page shows each member about the newcomers its admins must approve."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Prefetch, QuerySet

from exchange.sharing.models import MembershipStatus, NetworkApproval, NetworkMembership
from tenants.models import Authority

OPEN = (MembershipStatus.PENDING, MembershipStatus.INVITED)


def missing_approvals(invitation: NetworkMembership) -> list[Authority]:
    """The current member authorities of the invitation's network that have not
    approved it yet (read now: a member who joined since must approve too)."""
    approved = invitation.approvals.values("authority")
    return list(Authority.objects.filter(
        network_memberships__network_id=invitation.network_id,
        network_memberships__status=MembershipStatus.MEMBER)
        .exclude(pk__in=approved).order_by("name"))


@dataclass
class Invitation:
    """One open invitation of a network, as a member's admin sees it."""

    membership: NetworkMembership
    approved_by: list[NetworkApproval]
    waiting_for: list[Authority]
    may_approve: bool


@dataclass
class NetworkView:
    """The viewer's membership of one network, with the network's members and, for a
    member, the open invitations."""

    membership: NetworkMembership
    members: list[Authority]
    invitations: list[Invitation] = field(default_factory=list)
    waiting_for: list[Authority] = field(default_factory=list)  # the viewer's own invitation

    @property
    def awaiting_my_approval(self) -> int:
        return sum(1 for invitation in self.invitations if invitation.may_approve)


def memberships_with_invitations(authority: Authority) -> QuerySet[NetworkMembership]:
    """The authority's memberships, each network with all its memberships, their
    authorities and approvals: a fixed number of queries whatever the networks."""
    memberships = (NetworkMembership.objects.select_related("authority")
                   .prefetch_related(Prefetch("approvals", queryset=NetworkApproval.objects
                                              .select_related("authority"))))
    return (NetworkMembership.objects.filter(authority=authority)
            .select_related("network")
            .prefetch_related(Prefetch("network__memberships", queryset=memberships))
            .order_by("network__name"))


def networks_page(authority: Authority) -> list[NetworkView]:
    """What the sharing page shows about networks, for `authority`'s admins."""
    views = []
    for membership in memberships_with_invitations(authority):
        everyone = list(membership.network.memberships.all())
        members = [m.authority for m in everyone if m.status == MembershipStatus.MEMBER]
        view = NetworkView(membership=membership, members=members)
        if membership.status == MembershipStatus.MEMBER:
            for other in everyone:
                if other.status not in OPEN:
                    continue
                approvals = list(other.approvals.all())
                approved = {approval.authority_id for approval in approvals}
                view.invitations.append(Invitation(
                    membership=other, approved_by=approvals,
                    waiting_for=[a for a in members if a.pk not in approved],
                    may_approve=(other.status == MembershipStatus.PENDING
                                 and authority.pk not in approved)))
        elif membership.status in OPEN:
            own = next(m for m in everyone if m.pk == membership.pk)
            approved = {approval.authority_id for approval in own.approvals.all()}
            view.waiting_for = [a for a in members if a.pk not in approved]
        views.append(view)
    return views
