"""iCalendar (RFC 5545) content lines, written by hand for the calendar feeds (the loans'
per service, the logistics teams'): TEXT values escaped, lines folded at 75 octets
without cutting a UTF-8 character, CRLF line ends. Tests read the feeds back with the
icalendar package, as Outlook or Thunderbird would."""

from __future__ import annotations

from collections.abc import Iterable

CRLF = "\r\n"
MAX_OCTETS = 75


def escape_text(value: str) -> str:
    """TEXT values: backslash, semicolon, comma and new lines escaped (RFC 5545 3.3.11)."""
    value = value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    return value.replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\n")


def fold(line: str) -> str:
    """Fold a content line at 75 octets, never inside a UTF-8 character (RFC 5545 3.1);
    continuation lines start with a space, which counts."""
    parts, current, size, limit = [], [], 0, MAX_OCTETS
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > limit:
            parts.append("".join(current))
            current, size, limit = [], 0, MAX_OCTETS - 1
        current.append(char)
        size += width
    parts.append("".join(current))
    return (CRLF + " ").join(parts)


def content(lines: Iterable[str]) -> str:
    """The feed's text: each line folded, each ended by CRLF."""
    return "".join(fold(line) + CRLF for line in lines)
