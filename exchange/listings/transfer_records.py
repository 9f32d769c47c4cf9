"""PDF transfer record ("procès-verbal de cession") of a free transfer to another
authority or to a partner: parties, items, quantities, unit and total values, date,
legal basis, the giver's inventory number and an optional agreement reference.

Built with reportlab from the transfer (giver's schema) and the public Authority rows.
Both sides download it: the giver from the listing's page; a receiving authority from
its own host, through its "received transfers" page (see exchange/sharing/views.py).
"""

from __future__ import annotations

import io
from decimal import ROUND_HALF_UP, Decimal
from xml.sax.saxutils import escape

from django.conf import settings
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from core.numbers import euros_text
from exchange.listings.errors import ExchangeError
from exchange.listings.models import ClosureReason, Transfer
from exchange.listings.recipients import Recipient, RecipientKind, directory_for

LEGAL_BASIS_AUTHORITY = (
    "Cession à titre gratuit de biens mobiliers entre personnes publiques "
    "(article L. 3212-2 du code général de la propriété des personnes publiques), dans la "
    "limite de la valeur unitaire fixée par le décret n° 2022-791 du 6 mai 2022.")
LEGAL_BASIS_PARTNER = (
    "Cession à titre gratuit de biens mobiliers à une association ou un organisme "
    "(article L. 3212-2 du code général de la propriété des personnes publiques), dans la "
    "limite de la valeur unitaire fixée par le décret n° 2022-791 du 6 mai 2022.")


def _euros(value: Decimal) -> str:
    return euros_text(value)


def record_filename(giver, transfer: Transfer) -> str:
    return f"cession-{giver.slug}-{transfer.pk}.pdf"


def partner_lines(partner_id: int | None) -> list[str]:
    """How the record names partner `partner_id` (legal name, kind, SIRET, contact, from
    the partners' directory); [] when the transfer names no partner of the platform."""
    if partner_id is None:
        return []
    try:
        directory = directory_for(RecipientKind.PARTNER)
    except ExchangeError:  # no installed app provides partners
        return []
    return directory.record_lines(Recipient.partner(partner_id))


def transfer_record_pdf(*, transfer: Transfer, giver, receiver=None, partner_lines=()) -> bytes:
    """The record of `transfer` (loaded with its listing) as PDF bytes.

    `giver`: the giving Authority; `receiver`: the receiving Authority when it is on the
    platform (else its name comes from the transfer); `partner_lines`: identifiers of a
    partner (name, SIRET…) from `partner_lines()`, else the name typed at closure.
    """
    listing = transfer.listing
    styles = getSampleStyleSheet()
    buffer = io.BytesIO()
    document = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=18 * mm, rightMargin=18 * mm,
                                 title=_("Transfer record"), author=giver.name)
    unit = (transfer.value / transfer.quantity).quantize(Decimal("0.01"),
                                                         rounding=ROUND_HALF_UP)
    date = timezone.localtime(transfer.confirmed_at or transfer.created_at).date()
    to_authority = transfer.reason == ClosureReason.EXCHANGED_OTHER_AUTHORITY
    if to_authority:
        name = receiver.name if receiver is not None else transfer.recipient_authority
        receiver_lines = [name]
        if receiver is not None and receiver.siren:
            receiver_lines.append(f"SIREN {receiver.siren}")
    else:
        receiver_lines = list(partner_lines) or [transfer.recipient_partner]
    story = [
        Paragraph(_("Free transfer record"), styles["Title"]),
        Paragraph(_("Record n° %(number)s of %(date)s")
                  % {"number": f"{giver.slug}-{transfer.pk}",
                     "date": formats.date_format(date, "SHORT_DATE_FORMAT")},
                  styles["Normal"]),
        Spacer(1, 6 * mm),
        Paragraph(_("Giver"), styles["Heading2"]),
        Paragraph(f"{escape(giver.name)}<br/>SIREN {giver.siren or '—'}", styles["Normal"]),
        Paragraph(_("Recipient"), styles["Heading2"]),
        Paragraph("<br/>".join(escape(line) for line in receiver_lines), styles["Normal"]),
        Paragraph(_("Items"), styles["Heading2"]),
    ]
    rows = [[_("Item"), _("Quantity"), _("Unit value"), _("Total value")],
            [Paragraph(f"{escape(listing.title)}<br/>{escape(listing.category.name)}",
                       styles["Normal"]),
             str(transfer.quantity), _euros(unit), _euros(transfer.value)]]
    table = Table(rows, colWidths=[80 * mm, 25 * mm, 35 * mm, 35 * mm])
    table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.5, "#888888"),
                               ("BACKGROUND", (0, 0), (-1, 0), "#eeeeee"),
                               ("VALIGN", (0, 0), (-1, -1), "TOP")]))
    story += [table, Spacer(1, 4 * mm)]
    details = [_("Date of the transfer: %(date)s")
               % {"date": formats.date_format(date, "SHORT_DATE_FORMAT")}]
    if transfer.inventory_number:
        details.append(_("Inventory number (giver's asset register): %(number)s")
                       % {"number": escape(transfer.inventory_number)})
    if transfer.agreement_reference:
        details.append(_("Agreement reference: %(reference)s")
                       % {"reference": escape(transfer.agreement_reference)})
    if transfer.confirmation_required and transfer.confirmed_at:
        details.append(_("Unit value above %(cap)s: confirmed by a moderator on %(date)s.")
                       % {"cap": _euros(settings.FREE_TRANSFER_CAP_PER_UNIT_EUR),
                          "date": formats.date_format(date, "SHORT_DATE_FORMAT")})
    story += [Paragraph(line, styles["Normal"]) for line in details]
    story += [Paragraph(_("Legal basis"), styles["Heading2"]),
              Paragraph(LEGAL_BASIS_AUTHORITY if to_authority else LEGAL_BASIS_PARTNER,
                        styles["Normal"]),
              Spacer(1, 12 * mm),
              Paragraph(_("For the giver") + " : ____________________ &nbsp;&nbsp; "
                        + _("For the recipient") + " : ____________________",
                        styles["Normal"])]
    document.build(story)
    return buffer.getvalue()
