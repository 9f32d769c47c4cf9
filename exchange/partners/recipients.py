"""Partners' part in recording a transfer: a partner the authority grants access to as
the recipient (exchange.listings.recipients' directory for the `partner` kind)."""

from __future__ import annotations

from django.db import connection
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from exchange.listings.errors import ExchangeError
from exchange.listings.recipients import Recipient, ResolvedRecipient
from exchange.partners.cascade import transfer_to_partner_recorded
from exchange.partners.models import Partner
from exchange.partners.selectors import (
    donation_agreement,
    granted_partner_name,
    partner_by_id,
    partners_granted_by,
)
from tenants.background import after_commit
from tenants.selectors import current_authority


def donation_agreement_reference(partner_id: int) -> str:
    """The line the transfer record prints for the donation agreement under which the
    current authority gives to partner `partner_id` ("" without an agreement)."""
    authority = current_authority()
    grant = donation_agreement(authority, partner_id) if authority else None
    if grant is None or not (grant.agreement_reference or grant.agreement):
        return ""
    parts = [grant.agreement_reference or _("donation agreement")]
    if grant.valid_from or grant.valid_until:
        parts.append(_("valid from %(start)s to %(end)s") % {
            "start": grant.valid_from.strftime("%d/%m/%Y") if grant.valid_from else "…",
            "end": grant.valid_until.strftime("%d/%m/%Y") if grant.valid_until else "…"})
    return ", ".join(parts)


class PartnerDirectory:
    """Partners the current authority grants access to."""

    def choices(self, authority) -> QuerySet[Partner]:
        """Partners with an accepted live grant of `authority`: the close form's
        choice."""
        return partners_granted_by(authority)

    def resolve(self, recipient: Recipient) -> ResolvedRecipient:
        name = granted_partner_name(recipient.partner_id)
        if not name:
            raise ExchangeError(_("Choose a partner your authority works with."),
                                code="recipient")
        return ResolvedRecipient(
            name=name, agreement_reference=donation_agreement_reference(recipient.partner_id))

    def transfer_counted(self, transfer) -> None:
        """After commit: the listing's catalogue entry and the partners' requests on it
        (the partner it went to: accepted)."""
        after_commit(transfer_to_partner_recorded, transfer.pk, connection.schema_name)

    def record_lines(self, recipient: Recipient) -> list[str]:
        """How the transfer record names the partner: legal name, kind, SIRET, contact
        ([] when it no longer exists)."""
        partner = partner_by_id(recipient.partner_id)
        if partner is None:
            return []
        return [partner.legal_name, str(partner.get_kind_display()), f"SIRET {partner.siret}",
                _("Contact: %(name)s, %(email)s") % {"name": partner.contact_name,
                                                      "email": partner.contact_email}]
