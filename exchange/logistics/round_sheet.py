"""The printable round sheet (PDF, reportlab): the team, the day and time slot, then
each stop in site order: what to carry (quantity, weight, dimensions), where from and
where to (address, contact, floor, lift), the wished dates and the notes, with a box to
tick at pickup and at delivery."""

from __future__ import annotations

import io
from xml.sax.saxutils import escape

from django.utils import formats
from django.utils.translation import gettext as _
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from core.numbers import number_text
from exchange.logistics.models import Round, TransportStatus
from exchange.logistics.selectors import round_stops, unit_weights


def sheet_filename(planned_round: Round) -> str:
    return f"tournee-{planned_round.date:%Y-%m-%d}-{planned_round.pk}.pdf"


def _end(place: str, contact: str, floor: int, lift: bool) -> str:
    access = _("floor %(floor)s, lift") if lift else _("floor %(floor)s, no lift")
    return "<br/>".join([escape(place), escape(contact), access % {"floor": floor}])


def round_sheet_pdf(planned_round: Round, authority_name: str = "") -> bytes:
    styles = getSampleStyleSheet()
    small = styles["BodyText"].clone("small", fontSize=8, leading=10)
    buffer = io.BytesIO()
    document = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=12 * mm,
                                 rightMargin=12 * mm, title=_("Round sheet"),
                                 author=authority_name)
    day = formats.date_format(planned_round.date, "DATE_FORMAT")
    story = [
        Paragraph(_("Round sheet"), styles["Title"]),
        Paragraph(escape(f"{planned_round.team.name} — {day}, "
                         f"{planned_round.starts_at:%H:%M}–{planned_round.ends_at:%H:%M}"),
                  styles["Heading2"]),
    ]
    if planned_round.team.vehicle:
        story.append(Paragraph(escape(planned_round.team.vehicle), styles["Normal"]))
    if planned_round.note:
        story.append(Paragraph(escape(planned_round.note), styles["Normal"]))
    story.append(Spacer(1, 4 * mm))
    rows = [[_("#"), _("Items"), _("Pickup"), _("Delivery"), _("Done")]]
    stops = [s for s in round_stops(planned_round) if s.status != TransportStatus.CANCELLED]
    weights = unit_weights([s.listing for s in stops if s.listing_id])
    for number, stop in enumerate(stops, start=1):
        items = [f"<b>{escape(stop.title)}</b> × {stop.quantity}"]
        weight = weights.get(stop.listing_id, stop.items_unit_weight_kg)
        if weight is not None:
            items.append(_("about %(kg)s kg") % {"kg": number_text(weight * stop.quantity, 1)})
        if stop.dimensions:
            items.append(escape(stop.dimensions))
        if stop.handed_from_name:
            items.append(escape(_("handed over by %(name)s") % {"name": stop.handed_from_name}))
        if stop.notes:
            items.append(escape(stop.notes))
        rows.append([
            str(number),
            Paragraph("<br/>".join(items), small),
            Paragraph(_end(stop.pickup_place, stop.pickup_contact, stop.pickup_floor,
                           stop.pickup_lift), small),
            Paragraph(_end(stop.delivery_place, stop.delivery_contact, stop.delivery_floor,
                           stop.delivery_lift), small),
            Paragraph("[ ] " + _("picked up") + "<br/>[ ] " + _("delivered"), small),
        ])
    table = Table(rows, colWidths=[8 * mm, 52 * mm, 52 * mm, 52 * mm, 22 * mm], repeatRows=1)
    table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.5, "#888888"),
                               ("BACKGROUND", (0, 0), (-1, 0), "#eeeeee"),
                               ("VALIGN", (0, 0), (-1, -1), "TOP")]))
    story.append(table)
    document.build(story)
    return buffer.getvalue()
