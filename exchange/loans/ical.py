"""iCalendar (RFC 5545) text of a service's bookings (content lines: core.ical).
Bookings are whole days (VALUE=DATE, DTEND the day after the last one), so they show on
the same days in Europe/Paris and anywhere else."""

from __future__ import annotations

from datetime import UTC, timedelta

from django.utils import timezone
from django.utils.translation import gettext as _

from core.ical import content, escape_text
from exchange.loans.models import BookingStatus


def calendar(service, bookings, host: str) -> str:
    stamp_text = timezone.now().astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Collectiv'Récup//Loans//FR",
             "CALSCALE:GREGORIAN", "METHOD:PUBLISH",
             f"X-WR-CALNAME:{escape_text(_('Loans') + ' — ' + service.name)}",
             "X-WR-TIMEZONE:Europe/Paris"]
    for booking in bookings:
        status = "TENTATIVE" if booking.status == BookingStatus.REQUESTED else "CONFIRMED"
        who = booking.borrower_service.name if booking.borrower_service else ""
        summary = f"{booking.quantity} × {booking.item.title}"
        if who:
            summary += f" — {who}"
        lines += [
            "BEGIN:VEVENT",
            f"UID:loan-booking-{booking.pk}@{host}",
            f"DTSTAMP:{stamp_text}",
            f"DTSTART;VALUE=DATE:{booking.start:%Y%m%d}",
            f"DTEND;VALUE=DATE:{booking.end + timedelta(days=1):%Y%m%d}",
            f"SUMMARY:{escape_text(summary)}",
            f"DESCRIPTION:{escape_text(booking.get_status_display() + '. ' + booking.purpose)}",
            f"STATUS:{status}",
            "TRANSP:TRANSPARENT",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return content(lines)
