"""The PDF documents of a retirement batch (reportlab, like the listings' transfer
records): the batch's data erasure certificate, the transfer record of a donation to a
partner, and the removal slip of items sent to recycling. Each lists the items by
serial and inventory number; only the IT team downloads them."""

from __future__ import annotations

import io
from decimal import Decimal
from xml.sax.saxutils import escape

from django.conf import settings
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from core.numbers import euros_text, number_text
from exchange.itassets.batch_selectors import ItemRow
from exchange.itassets.models import ITExit, RetirementBatch
from exchange.listings.transfer_records import LEGAL_BASIS_PARTNER, partner_lines

TABLE_STYLE = TableStyle([("GRID", (0, 0), (-1, -1), 0.5, "#888888"),
                          ("BACKGROUND", (0, 0), (-1, 0), "#eeeeee"),
                          ("VALIGN", (0, 0), (-1, -1), "TOP"),
                          ("FONTSIZE", (0, 0), (-1, -1), 8)])


def _day(value) -> str:
    return formats.date_format(value, "SHORT_DATE_FORMAT") if value else "—"


def _kg(value: Decimal | None) -> str:
    return f"{number_text(value, 1)} kg" if value is not None else "—"


def _cell(text: str, styles) -> Paragraph:
    return Paragraph(escape(text or "—"), styles["BodyText"])


def _authority_lines(authority) -> str:
    return f"{escape(authority.name)}<br/>SIREN {authority.siren or '—'}"


def _build(story: list, *, title: str, author: str, wide: bool = False) -> bytes:
    buffer = io.BytesIO()
    SimpleDocTemplate(buffer, pagesize=landscape(A4) if wide else A4,
                      leftMargin=15 * mm, rightMargin=15 * mm, title=title,
                      author=author).build(story)
    return buffer.getvalue()


def _asset_name(asset) -> str:
    return " ".join(part for part in (str(asset.get_kind_display()), asset.make, asset.model)
                    if part)


def certificate_filename(authority, batch: RetirementBatch) -> str:
    return f"certificat-effacement-{authority.slug}-{batch.reference}.pdf"


def erasure_certificate_pdf(*, authority, batch: RetirementBatch, rows: list[ItemRow],
                            issued_by: str) -> bytes:
    """The batch's data erasure certificate: each item with its latest erasure (method,
    tool, operator, date, result), and the authority's statement."""
    styles = getSampleStyleSheet()
    today = timezone.localdate()
    story = [
        Paragraph(_("Data erasure certificate"), styles["Title"]),
        Paragraph(_("Batch %(reference)s, opened on %(date)s")
                  % {"reference": escape(batch.reference),
                     "date": _day(timezone.localtime(batch.created_at).date())},
                  styles["Normal"]),
        Spacer(1, 4 * mm),
        Paragraph(_("Authority"), styles["Heading2"]),
        Paragraph(_authority_lines(authority), styles["Normal"]),
        Paragraph(_("Items"), styles["Heading2"]),
    ]
    table = [[_("Serial number"), _("Inventory number"), _("Item"), _("Method"), _("Tool"),
              _("Operator"), _("Date"), _("Result")]]
    for row in rows:
        erasure = row.erasure
        table.append([
            _cell(row.asset.serial_number, styles), _cell(row.asset.inventory_number, styles),
            _cell(_asset_name(row.asset), styles),
            _cell(str(erasure.get_method_display()) if erasure else _("Not erased yet"),
                  styles),
            _cell(erasure.tool if erasure else "", styles),
            _cell(erasure.operator_name if erasure else "", styles),
            _cell(_day(erasure.erased_on) if erasure else "", styles),
            _cell(str(erasure.get_result_display()) if erasure else "", styles)])
    widths = [32 * mm, 28 * mm, 42 * mm, 42 * mm, 40 * mm, 30 * mm, 22 * mm, 20 * mm]
    story += [Table(table, colWidths=widths, repeatRows=1, style=TABLE_STYLE),
              Spacer(1, 6 * mm),
              Paragraph(_("Statement"), styles["Heading2"]),
              Paragraph(escape(_(
                  "The authority certifies that the data stored on the items above whose "
                  "result reads « Succeeded » were erased by the method stated, so that "
                  "they cannot be recovered, before the items left its IT department. An "
                  "item without a successful erasure may not leave.")), styles["Normal"]),
              Spacer(1, 4 * mm),
              Paragraph(_("Issued on %(date)s by %(name)s.")
                        % {"date": _day(today), "name": escape(issued_by)},
                        styles["Normal"]),
              Spacer(1, 10 * mm),
              Paragraph(_("Signature") + " : ____________________", styles["Normal"])]
    return _build(story, title=_("Data erasure certificate"), author=authority.name, wide=True)


def donation_filename(authority, reference: str) -> str:
    return f"cession-{authority.slug}-{reference}.pdf"


def donation_record_pdf(*, authority, exits: list[ITExit]) -> bytes:
    """The free transfer record of IT items donated together to a partner under its
    agreement: the parties, each item by serial and inventory number with its unit
    value, the agreement, the legal basis (as exchange.listings.transfer_records)."""
    styles = getSampleStyleSheet()
    first = exits[0]
    receiver = partner_lines(first.partner_id) or [first.partner_name]
    total = sum((exit_.unit_value for exit_ in exits), Decimal("0"))
    story = [
        Paragraph(_("Free transfer record"), styles["Title"]),
        Paragraph(_("Record n° %(number)s of %(date)s")
                  % {"number": escape(f"{authority.slug}-{first.reference}"),
                     "date": _day(first.exited_on)}, styles["Normal"]),
        Spacer(1, 6 * mm),
        Paragraph(_("Giver"), styles["Heading2"]),
        Paragraph(_authority_lines(authority), styles["Normal"]),
        Paragraph(_("Recipient"), styles["Heading2"]),
        Paragraph("<br/>".join(escape(line) for line in receiver), styles["Normal"]),
        Paragraph(_("Items"), styles["Heading2"]),
    ]
    table = [[_("Item"), _("Serial number"), _("Inventory number"), _("Unit value")]]
    for exit_ in exits:
        asset = exit_.item.asset
        table.append([_cell(_asset_name(asset), styles), _cell(asset.serial_number, styles),
                      _cell(asset.inventory_number, styles), euros_text(exit_.unit_value)])
    table.append([_("Total: %(count)s item(s)") % {"count": len(exits)}, "", "",
                  euros_text(total)])
    story += [Table(table, colWidths=[60 * mm, 40 * mm, 40 * mm, 30 * mm], repeatRows=1,
                    style=TABLE_STYLE), Spacer(1, 4 * mm)]
    details = [_("Date of the transfer: %(date)s") % {"date": _day(first.exited_on)},
               _("Data erased before the transfer (erasure certificate of batch "
                 "%(reference)s).") % {"reference": escape(first.item.batch.reference)}]
    if first.agreement_reference:
        details.append(_("Agreement reference: %(reference)s")
                       % {"reference": escape(first.agreement_reference)})
    if first.confirmed_by_id:
        details.append(_("Unit value above %(cap)s: confirmed by a moderator on %(date)s.")
                       % {"cap": euros_text(settings.FREE_TRANSFER_CAP_PER_UNIT_EUR),
                          "date": _day(first.exited_on)})
    story += [Paragraph(line, styles["Normal"]) for line in details]
    story += [Paragraph(_("Legal basis"), styles["Heading2"]),
              Paragraph(LEGAL_BASIS_PARTNER, styles["Normal"]),
              Spacer(1, 12 * mm),
              Paragraph(_("For the giver") + " : ____________________ &nbsp;&nbsp; "
                        + _("For the recipient") + " : ____________________",
                        styles["Normal"])]
    return _build(story, title=_("Transfer record"), author=authority.name)


def removal_slip_filename(authority, reference: str) -> str:
    return f"bordereau-enlevement-{authority.slug}-{reference}.pdf"


def removal_slip_pdf(*, authority, exits: list[ITExit]) -> bytes:
    """The removal slip of items handed to a recycler: the recycler and its kind, each
    item by serial number with its weight (estimated from the reference factors unless
    weighed), the total weight, signatures."""
    styles = getSampleStyleSheet()
    first = exits[0]
    known = [exit_.weight_kg for exit_ in exits if exit_.weight_kg is not None]
    story = [
        Paragraph(_("Removal slip"), styles["Title"]),
        Paragraph(_("Slip n° %(number)s of %(date)s")
                  % {"number": escape(f"{authority.slug}-{first.reference}"),
                     "date": _day(first.exited_on)}, styles["Normal"]),
        Spacer(1, 6 * mm),
        Paragraph(_("Holder of the waste"), styles["Heading2"]),
        Paragraph(_authority_lines(authority), styles["Normal"]),
        Paragraph(_("Recycler"), styles["Heading2"]),
        Paragraph(f"{escape(first.recycler_name)}<br/>"
                  f"{escape(str(first.get_recycler_kind_display()))}", styles["Normal"]),
        Paragraph(_("Items"), styles["Heading2"]),
    ]
    table = [[_("Item"), _("Serial number"), _("Inventory number"), _("Weight")]]
    for exit_ in exits:
        asset = exit_.item.asset
        table.append([_cell(_asset_name(asset), styles), _cell(asset.serial_number, styles),
                      _cell(asset.inventory_number, styles), _kg(exit_.weight_kg)])
    table.append([_("Total: %(count)s item(s)") % {"count": len(exits)}, "", "",
                  _kg(sum(known, Decimal("0")) if known else None)])
    story += [Table(table, colWidths=[60 * mm, 40 * mm, 40 * mm, 30 * mm], repeatRows=1,
                    style=TABLE_STYLE), Spacer(1, 4 * mm)]
    basis = (_("Weights estimated from the reference factors (typical weight per kind).")
             if first.weight_is_estimated else _("Weighed total, shared equally."))
    story += [Paragraph(basis, styles["Normal"]),
              Paragraph(_("Data erased or storage destroyed before the removal (erasure "
                          "certificate of batch %(reference)s).")
                        % {"reference": escape(first.item.batch.reference)},
                        styles["Normal"]),
              Spacer(1, 12 * mm),
              Paragraph(_("For the authority") + " : ____________________ &nbsp;&nbsp; "
                        + _("For the recycler") + " : ____________________",
                        styles["Normal"])]
    return _build(story, title=_("Removal slip"), author=authority.name)
