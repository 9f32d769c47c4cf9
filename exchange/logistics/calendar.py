"""A team's rounds as an iCalendar feed (RFC 5545; content lines escaped and folded by
core.ical), times in Europe/Paris with its VTIMEZONE (which
Outlook needs; Thunderbird reads it too). One VEVENT per round, its stops in the
description in site order."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.urls import reverse
from django.utils import timezone

from core.ical import content, escape_text
from exchange.logistics.models import Team
from exchange.logistics.selectors import rounds_between

TZID = "Europe/Paris"
# How far the feed looks: a month back (what was done), a quarter ahead.
DAYS_BEFORE, DAYS_AFTER = 31, 92
VTIMEZONE = [
    "BEGIN:VTIMEZONE", f"TZID:{TZID}",
    "BEGIN:DAYLIGHT", "TZOFFSETFROM:+0100", "TZOFFSETTO:+0200", "TZNAME:CEST",
    "DTSTART:19700329T020000", "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU", "END:DAYLIGHT",
    "BEGIN:STANDARD", "TZOFFSETFROM:+0200", "TZOFFSETTO:+0100", "TZNAME:CET",
    "DTSTART:19701025T030000", "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU", "END:STANDARD",
    "END:VTIMEZONE",
]


def _local(day, moment) -> str:
    return datetime.combine(day, moment).strftime("%Y%m%dT%H%M%S")


def team_calendar(team: Team, host: str) -> str:
    """The VCALENDAR of `team`'s rounds around today."""
    today = timezone.localdate()
    stamp = timezone.now().astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0",
             "PRODID:-//Collectiv'Récup//Tournées logistiques//FR", "CALSCALE:GREGORIAN",
             "METHOD:PUBLISH", f"X-WR-CALNAME:{escape_text(team.name)}",
             f"X-WR-TIMEZONE:{TZID}", *VTIMEZONE]
    rounds = rounds_between(today - timedelta(days=DAYS_BEFORE),
                            today + timedelta(days=DAYS_AFTER), team=team)
    for planned_round in rounds:
        stops = [s for s in planned_round.ordered_stops if s.status != "cancelled"]
        summary = f"{team.name} — {len(stops)} transport(s)"
        description = "\n".join(
            f"{n}. {s.title} × {s.quantity}: {s.pickup_place} → {s.delivery_place}"
            for n, s in enumerate(stops, start=1))
        if planned_round.note:
            description = f"{planned_round.note}\n{description}"
        location = stops[0].pickup_place if stops else ""
        lines += ["BEGIN:VEVENT", f"UID:round-{planned_round.pk}@{host}",
                  f"DTSTAMP:{stamp}",
                  f"DTSTART;TZID={TZID}:{_local(planned_round.date, planned_round.starts_at)}",
                  f"DTEND;TZID={TZID}:{_local(planned_round.date, planned_round.ends_at)}",
                  f"SUMMARY:{escape_text(summary)}",
                  f"DESCRIPTION:{escape_text(description)}",
                  f"LOCATION:{escape_text(location)}", "END:VEVENT"]
    lines.append("END:VCALENDAR")
    return content(lines)


def feed_url_path(team: Team) -> str:
    return reverse("logistics:team_feed", args=[team.feed_token])
