"""iCalendar (RFC 5545) text of a service's bookings, written by hand (no calendar
library is installed): CRLF line ends, TEXT values escaped, lines folded at 75 octets
without cutting a UTF-8 character. Bookings are whole days (VALUE=DATE, DTEND the day
after the last one), so they show on the same days in Europe/Paris and anywhere else."""

from __future__ import annotations

from datetime import UTC, timedelta

from django.utils import timezone
from django.utils.translation import gettext as _

from exchange.loans.models import BookingStatus

CRLF = "\r\n"
MAX_OCTETS = 75


def escape(value: str) -> str:
    return (value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
            .replace("\r\n", "\\n").replace("\n", "\\n"))


def fold(line: str) -> str:
    """Split `line` into pieces of 75 octets at most (continuations start with a space,
    which counts), never inside a character."""
    pieces, current, size, limit = [], [], 0, MAX_OCTETS
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > limit:
            pieces.append("".join(current))
            current, size, limit = [], 0, MAX_OCTETS - 1
        current.append(char)
        size += width
    pieces.append("".join(current))
    return (CRLF + " ").join(pieces)


def calendar(service, bookings, host: str) -> str:
    stamp_text = timezone.now().astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Collectiv'Récup//Loans//FR",
             "CALSCALE:GREGORIAN", "METHOD:PUBLISH",
             f"X-WR-CALNAME:{escape(_('Loans') + ' — ' + service.name)}",
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
            f"SUMMARY:{escape(summary)}",
            f"DESCRIPTION:{escape(booking.get_status_display() + '. ' + booking.purpose)}",
            f"STATUS:{status}",
            "TRANSP:TRANSPARENT",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + CRLF for line in lines)
