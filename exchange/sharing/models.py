"""Agreements and networks between authorities (public schema), and their audit trail.

Two authorities share when an agreement between them is active, or when both are
members of the same network. People live in their authority's schema: rows here keep
the acting person's name and e-mail as text, so the trail survives their account.
"""

from django.db import models
from django.db.models import Q
from django.db.models.functions import Greatest, Least
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AgreementStatus(models.TextChoices):
    PROPOSED = "proposed", _("Proposed")
    ACTIVE = "active", _("Active")
    DECLINED = "declined", _("Declined")
    ENDED = "ended", _("Ended")


class SharingAgreement(models.Model):
    """One authority proposes to share with another; the other accepts or declines;
    either ends it at once."""

    proposer = models.ForeignKey("tenants.Authority", on_delete=models.CASCADE,
                                 related_name="sharing_proposed")
    recipient = models.ForeignKey("tenants.Authority", on_delete=models.CASCADE,
                                  related_name="sharing_received")
    status = models.CharField(max_length=10, choices=AgreementStatus.choices,
                              default=AgreementStatus.PROPOSED)
    proposed_by = models.CharField(max_length=200)
    proposed_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.CharField(max_length=200, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.CharField(max_length=200, blank=True)
    ended_by_authority = models.ForeignKey("tenants.Authority", null=True, blank=True,
                                           on_delete=models.SET_NULL, related_name="+")
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-proposed_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=~Q(proposer=models.F("recipient")),
                                   name="sharing_agreement_two_authorities"),
            # One live agreement per pair, whichever side proposed it.
            models.UniqueConstraint(
                Least("proposer", "recipient"), Greatest("proposer", "recipient"),
                condition=Q(status__in=["proposed", "active"]),
                name="sharing_agreement_one_live_per_pair",
                violation_error_message=_("These authorities already have an agreement.")),
        ]
        indexes = [
            models.Index(fields=["proposer"], name="sharing_active_by_proposer",
                         condition=Q(status="active")),
            models.Index(fields=["recipient"], name="sharing_active_by_recipient",
                         condition=Q(status="active")),
        ]

    def __str__(self) -> str:
        return f"{self.proposer_id} ↔ {self.recipient_id} ({self.status})"

    def other_than(self, authority):
        return self.recipient if authority.pk == self.proposer_id else self.proposer


class SharingNetwork(models.Model):
    """A group of authorities that all share with each other (e.g. an agglomération
    and its member communes). A newcomer joins when every current member approved its
    invitation, and then its own admin accepted it."""

    name = models.CharField(_("name"), max_length=200)
    created_by_authority = models.ForeignKey("tenants.Authority", on_delete=models.CASCADE,
                                             related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class MembershipStatus(models.TextChoices):
    PENDING = "pending", _("Awaiting the members' approval")
    REFUSED = "refused", _("Refused by a member")
    INVITED = "invited", _("Invited")
    MEMBER = "member", _("Member")
    DECLINED = "declined", _("Declined")
    LEFT = "left", _("Left")


class NetworkMembership(models.Model):
    """An authority's place in a network: pending (members still approving), invited
    (all approved; its admin answers), member, refused (by a member), declined, left."""

    network = models.ForeignKey(SharingNetwork, on_delete=models.CASCADE,
                                related_name="memberships")
    authority = models.ForeignKey("tenants.Authority", on_delete=models.CASCADE,
                                  related_name="network_memberships")
    status = models.CharField(max_length=10, choices=MembershipStatus.choices,
                              default=MembershipStatus.PENDING)
    invited_by = models.CharField(max_length=200, blank=True)
    invited_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.CharField(max_length=200, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["network", "authority"]
        constraints = [
            models.UniqueConstraint(fields=["network", "authority"],
                                    name="sharing_membership_unique"),
        ]
        indexes = [
            models.Index(fields=["authority"], name="sharing_member_by_authority",
                         condition=Q(status="member")),
        ]

    def __str__(self) -> str:
        return f"{self.authority_id} in {self.network_id} ({self.status})"


class NetworkApproval(models.Model):
    """One member authority approved one invitation (the inviting member approves by
    inviting). A new invitation of the same authority starts with no approval."""

    membership = models.ForeignKey(NetworkMembership, on_delete=models.CASCADE,
                                   related_name="approvals")
    authority = models.ForeignKey("tenants.Authority", on_delete=models.CASCADE,
                                  related_name="+")
    approved_by = models.CharField(max_length=200)
    approved_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["approved_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["membership", "authority"],
                                    name="sharing_approval_once_per_member"),
        ]

    def __str__(self) -> str:
        return f"{self.authority_id} approved {self.membership_id}"


class SharingAction(models.TextChoices):
    PROPOSED = "proposed", _("Proposed sharing")
    ACCEPTED = "accepted", _("Accepted sharing")
    DECLINED = "declined", _("Declined sharing")
    ENDED = "ended", _("Ended sharing")
    NETWORK_CREATED = "network_created", _("Created a network")
    NETWORK_INVITED = "network_invited", _("Invited to a network")
    NETWORK_APPROVED = "network_approved", _("Approved a newcomer to a network")
    NETWORK_REFUSED = "network_refused", _("Refused a newcomer to a network")
    NETWORK_JOINED = "network_joined", _("Joined a network")
    NETWORK_DECLINED = "network_declined", _("Declined a network")
    NETWORK_LEFT = "network_left", _("Left a network")


class SharingEvent(models.Model):
    """Audit trail: who, of which authority, did what, with whom, when."""

    authority = models.ForeignKey("tenants.Authority", on_delete=models.CASCADE,
                                  related_name="+")
    other_authority = models.ForeignKey("tenants.Authority", null=True, blank=True,
                                        on_delete=models.CASCADE, related_name="+")
    agreement = models.ForeignKey(SharingAgreement, null=True, blank=True,
                                  on_delete=models.CASCADE, related_name="events")
    network = models.ForeignKey(SharingNetwork, null=True, blank=True,
                                on_delete=models.CASCADE, related_name="events")
    action = models.CharField(max_length=20, choices=SharingAction.choices)
    actor_name = models.CharField(max_length=200)
    actor_email = models.EmailField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["authority", "-created_at"], name="sharing_event_log"),
                   models.Index(fields=["other_authority", "-created_at"],
                                name="sharing_event_log_other")]

    def __str__(self) -> str:
        return f"{self.get_action_display()} ({self.created_at:%Y-%m-%d %H:%M})"


class ReceiptStatus(models.TextChoices):
    PENDING = "pending", _("Awaiting receipt")
    CONFIRMED = "confirmed", _("Receipt confirmed")
    DECLINED = "declined", _("Receipt declined")
    EXPIRED = "expired", _("Receipt request expired")


class TransferReceipt(models.Model):
    """A transfer from one authority to another, as the receiver sees it: the giver
    records the transfer in its own schema; it counts in the RECEIVER's figures only
    once one of the receiver's moderators confirms receipt (issue 12). Unanswered
    requests expire (settings.TRANSFER_RECEIPT_EXPIRY_DAYS).

    Public schema: the two authorities have different schemas, and both read this row
    from their own host without crossing into the other's. It copies only what the
    transfer record (PDF) already shows the receiver: item, category, quantity, value,
    date. No agent of the giver is named; the receiver's decider is kept as a name.
    """

    giver = models.ForeignKey("tenants.Authority", on_delete=models.CASCADE,
                              related_name="receipts_given")
    receiver = models.ForeignKey("tenants.Authority", on_delete=models.CASCADE,
                                 related_name="receipts_received")
    transfer_id = models.BigIntegerField()  # exchange.Transfer in the giver's schema
    listing_title = models.CharField(max_length=120)
    category = models.CharField(max_length=200, blank=True)
    quantity = models.PositiveIntegerField()
    value_eur = models.DecimalField(max_digits=10, decimal_places=2)
    transferred_on = models.DateField()
    status = models.CharField(max_length=10, choices=ReceiptStatus.choices,
                              default=ReceiptStatus.PENDING)
    requested_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.CharField(max_length=200, blank=True)
    decline_reason = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["requested_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["giver", "transfer_id"],
                                    name="transfer_receipt_one_per_transfer"),
            models.CheckConstraint(condition=~Q(giver=models.F("receiver")),
                                   name="transfer_receipt_two_authorities"),
        ]
        indexes = [
            models.Index(fields=["receiver", "requested_at"], name="transfer_receipt_pending",
                         condition=Q(status="pending")),
            models.Index(fields=["expires_at"], name="transfer_receipt_expiry",
                         condition=Q(status="pending")),
        ]

    def __str__(self) -> str:
        return f"{self.giver_id}/{self.transfer_id} → {self.receiver_id} ({self.status})"

    @property
    def counts_for_receiver(self) -> bool:
        return self.status == ReceiptStatus.CONFIRMED
