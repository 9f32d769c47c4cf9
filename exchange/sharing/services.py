"""Writes on sharing: propose, accept, decline and end agreements; create networks,
invite, approve or refuse a newcomer, join, decline, leave. Only an authority admin of
the acting authority may do any of it; every step is audited (SharingEvent). Ending
hides at once: the shared feed reads active agreements and memberships at every request.

A network grows only by agreement of all its members: an invitation stays pending
until the admins of every current member authority approved it (the inviting member
approves by inviting), any member may refuse it, and only then may the invitee join."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.permissions import can_administer
from exchange.listings.errors import ExchangeError
from exchange.sharing.invitations import missing_approvals
from exchange.sharing.models import (
    AgreementStatus,
    MembershipStatus,
    NetworkApproval,
    NetworkMembership,
    SharingAction,
    SharingAgreement,
    SharingEvent,
    SharingNetwork,
)
from tenants.crossing import is_live
from tenants.models import Authority


def _require_admin(actor: User) -> None:
    if not can_administer(actor):
        raise ExchangeError(_("Only the authority's administrators can do this."),
                            code="forbidden")


def _who(actor: User) -> str:
    """How an admin is named on rows the other authorities read: the name, never the
    e-mail address (an agent's address stays within its authority)."""
    return (actor.full_name or "")[:200]


def _audit(authority: Authority, actor: User, action: str, *, other=None, agreement=None,
           network=None) -> SharingEvent:
    return SharingEvent.objects.create(
        authority=authority, other_authority=other, agreement=agreement, network=network,
        action=action, actor_name=actor.full_name[:200], actor_email=actor.email)


def _locked(agreement: SharingAgreement) -> SharingAgreement:
    return (SharingAgreement.objects.select_for_update().select_related("proposer", "recipient")
            .get(pk=agreement.pk))


@transaction.atomic
def propose_agreement(*, authority: Authority, actor: User,
                      other: Authority) -> SharingAgreement:
    """`authority` proposes to share its shared listings with `other` (and see its)."""
    _require_admin(actor)
    if other.pk == authority.pk or not is_live(other):
        raise ExchangeError(_("Choose another authority that uses the platform."),
                            code="other")
    try:
        with transaction.atomic():
            agreement = SharingAgreement.objects.create(
                proposer=authority, recipient=other, proposed_by=_who(actor))
    except IntegrityError as error:
        raise ExchangeError(_("These authorities already have an agreement."),
                            code="exists") from error
    _audit(authority, actor, SharingAction.PROPOSED, other=other, agreement=agreement)
    return agreement


def _answer_proposal(agreement: SharingAgreement, authority: Authority, actor: User, *,
            status: str, action: str) -> SharingAgreement:
    """The invited authority accepts or declines a proposal (audited)."""
    _require_admin(actor)
    agreement = _locked(agreement)
    if agreement.recipient_id != authority.pk:
        raise ExchangeError(_("Only the invited authority can answer this proposal."),
                            code="forbidden")
    if agreement.status != AgreementStatus.PROPOSED:
        raise ExchangeError(_("This proposal was already answered."), code="state")
    agreement.status = status
    agreement.decided_by, agreement.decided_at = _who(actor), timezone.now()
    agreement.save()
    _audit(authority, actor, action, other=agreement.proposer, agreement=agreement)
    return agreement


@transaction.atomic
def accept_agreement(*, agreement: SharingAgreement, authority: Authority,
                     actor: User) -> SharingAgreement:
    return _answer_proposal(agreement, authority, actor, status=AgreementStatus.ACTIVE,
                   action=SharingAction.ACCEPTED)


@transaction.atomic
def decline_agreement(*, agreement: SharingAgreement, authority: Authority,
                      actor: User) -> SharingAgreement:
    return _answer_proposal(agreement, authority, actor, status=AgreementStatus.DECLINED,
                   action=SharingAction.DECLINED)


@transaction.atomic
def end_agreement(*, agreement: SharingAgreement, authority: Authority,
                  actor: User) -> SharingAgreement:
    """Either side ends an active agreement (or withdraws a proposal), at once."""
    _require_admin(actor)
    agreement = _locked(agreement)
    if authority.pk not in (agreement.proposer_id, agreement.recipient_id):
        raise ExchangeError(_("This agreement is not your authority's."), code="forbidden")
    if agreement.status not in (AgreementStatus.PROPOSED, AgreementStatus.ACTIVE):
        raise ExchangeError(_("This agreement has already ended."), code="state")
    agreement.status = AgreementStatus.ENDED
    agreement.ended_by, agreement.ended_at = _who(actor), timezone.now()
    agreement.ended_by_authority = authority
    agreement.save()
    _audit(authority, actor, SharingAction.ENDED, other=agreement.other_than(authority),
           agreement=agreement)
    return agreement


# --- Networks ------------------------------------------------------------------------

@transaction.atomic
def create_network(*, authority: Authority, actor: User, name: str) -> SharingNetwork:
    _require_admin(actor)
    name = " ".join(name.split())[:200]
    if not name:
        raise ExchangeError(_("Give the network a name."), code="name")
    network = SharingNetwork.objects.create(name=name, created_by_authority=authority)
    NetworkMembership.objects.create(network=network, authority=authority,
                                     status=MembershipStatus.MEMBER, invited_by=_who(actor),
                                     decided_by=_who(actor), decided_at=timezone.now())
    _audit(authority, actor, SharingAction.NETWORK_CREATED, network=network)
    return network


def _membership(network: SharingNetwork, authority: Authority) -> NetworkMembership | None:
    return (NetworkMembership.objects.select_for_update()
            .filter(network=network, authority=authority).first())


OPEN_INVITATION = (MembershipStatus.PENDING, MembershipStatus.INVITED)


def _require_member(network: SharingNetwork, authority: Authority, message: str) -> None:
    mine = _membership(network, authority)
    if mine is None or mine.status != MembershipStatus.MEMBER:
        raise ExchangeError(message, code="forbidden")


def _invite_if_approved(invitation: NetworkMembership) -> None:
    """A pending invitation every current member approved becomes an invitation the
    invitee may answer (checked after each approval and after a member leaves)."""
    if invitation.status != MembershipStatus.PENDING:
        return
    members = NetworkMembership.objects.filter(network_id=invitation.network_id,
                                               status=MembershipStatus.MEMBER)
    if members.exists() and not missing_approvals(invitation):
        invitation.status = MembershipStatus.INVITED
        invitation.save(update_fields=["status"])


def _locked_invitation(invitation: NetworkMembership) -> NetworkMembership:
    return (NetworkMembership.objects.select_for_update()
            .select_related("network", "authority").get(pk=invitation.pk))


@transaction.atomic
def invite_to_network(*, network: SharingNetwork, authority: Authority, actor: User,
                      other: Authority) -> NetworkMembership:
    """A member proposes a newcomer. The invitation waits for the approval of every
    other member (the inviter's is recorded now); the newcomer joins only after that,
    when its admin accepts."""
    _require_admin(actor)
    _require_member(network, authority, _("Only a member of the network can invite."))
    if other.pk == authority.pk or not is_live(other):
        raise ExchangeError(_("Choose another authority that uses the platform."),
                            code="other")
    theirs = _membership(network, other)
    if theirs is not None and theirs.status in (*OPEN_INVITATION, MembershipStatus.MEMBER):
        raise ExchangeError(_("This authority is already invited or a member."),
                            code="exists")
    if theirs is None:
        theirs = NetworkMembership(network=network, authority=other)
    theirs.status, theirs.invited_by = MembershipStatus.PENDING, _who(actor)
    theirs.invited_at, theirs.decided_by, theirs.decided_at = timezone.now(), "", None
    theirs.save()
    theirs.approvals.all().delete()  # a new invitation: earlier approvals do not count
    NetworkApproval.objects.create(membership=theirs, authority=authority,
                                   approved_by=_who(actor))
    _audit(authority, actor, SharingAction.NETWORK_INVITED, other=other, network=network)
    _invite_if_approved(theirs)
    return theirs


@transaction.atomic
def approve_newcomer(*, invitation: NetworkMembership, authority: Authority,
                     actor: User) -> NetworkMembership:
    """A member authority approves a pending invitation (once). The last approval
    lets the invitee answer."""
    _require_admin(actor)
    invitation = _locked_invitation(invitation)
    _require_member(invitation.network, authority,
                    _("Only a member of the network can approve a newcomer."))
    if invitation.status != MembershipStatus.PENDING:
        raise ExchangeError(_("This invitation is not awaiting approval."), code="state")
    _approval, created = NetworkApproval.objects.get_or_create(
        membership=invitation, authority=authority, defaults={"approved_by": _who(actor)})
    if not created:
        raise ExchangeError(_("Your authority already approved this invitation."),
                            code="state")
    _audit(authority, actor, SharingAction.NETWORK_APPROVED, other=invitation.authority,
           network=invitation.network)
    _invite_if_approved(invitation)
    return invitation


@transaction.atomic
def refuse_newcomer(*, invitation: NetworkMembership, authority: Authority,
                    actor: User) -> NetworkMembership:
    """Any member authority refuses an open invitation: the newcomer does not join."""
    _require_admin(actor)
    invitation = _locked_invitation(invitation)
    _require_member(invitation.network, authority,
                    _("Only a member of the network can refuse a newcomer."))
    if invitation.status not in OPEN_INVITATION:
        raise ExchangeError(_("This invitation was already answered."), code="state")
    invitation.status = MembershipStatus.REFUSED
    invitation.decided_by, invitation.decided_at = _who(actor), timezone.now()
    invitation.save()
    _audit(authority, actor, SharingAction.NETWORK_REFUSED, other=invitation.authority,
           network=invitation.network)
    return invitation


@transaction.atomic
def join_network(*, network: SharingNetwork, authority: Authority,
                 actor: User) -> NetworkMembership:
    """The invitee accepts an invitation every current member approved. Open
    invitations of others then wait for the newcomer's approval too."""
    _require_admin(actor)
    mine = _membership(network, authority)
    if mine is None or mine.status not in OPEN_INVITATION:
        raise ExchangeError(_("There is no invitation to answer."), code="state")
    if mine.status != MembershipStatus.INVITED or missing_approvals(mine):
        raise ExchangeError(_("Every member of the network must approve your invitation "
                              "first."), code="state")
    mine.status, mine.decided_by, mine.decided_at = (MembershipStatus.MEMBER, _who(actor),
                                                     timezone.now())
    mine.save()
    _audit(authority, actor, SharingAction.NETWORK_JOINED, network=network)
    (NetworkMembership.objects.filter(network=network, status=MembershipStatus.INVITED)
     .update(status=MembershipStatus.PENDING))
    return mine


@transaction.atomic
def decline_network(*, network: SharingNetwork, authority: Authority,
                    actor: User) -> NetworkMembership:
    """The invitee declines, whether or not the members finished approving."""
    _require_admin(actor)
    mine = _membership(network, authority)
    if mine is None or mine.status not in OPEN_INVITATION:
        raise ExchangeError(_("There is no invitation to answer."), code="state")
    mine.status, mine.decided_by, mine.decided_at = (MembershipStatus.DECLINED, _who(actor),
                                                     timezone.now())
    mine.save()
    _audit(authority, actor, SharingAction.NETWORK_DECLINED, network=network)
    return mine


@transaction.atomic
def leave_network(*, network: SharingNetwork, authority: Authority,
                  actor: User) -> NetworkMembership:
    """Leaving hides at once, like ending an agreement."""
    _require_admin(actor)
    mine = _membership(network, authority)
    if mine is None or mine.status != MembershipStatus.MEMBER:
        raise ExchangeError(_("Your authority is not a member of this network."),
                            code="state")
    mine.status, mine.decided_by, mine.decided_at = (MembershipStatus.LEFT, _who(actor),
                                                     timezone.now())
    mine.save()
    _audit(authority, actor, SharingAction.NETWORK_LEFT, network=network)
    # Its approval is no longer needed: invitations it was the last to hold back go on.
    for invitation in (NetworkMembership.objects.select_for_update()
                       .filter(network=network, status=MembershipStatus.PENDING)):
        _invite_if_approved(invitation)
    return mine
