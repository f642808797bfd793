"""An RFC 5545 calendar (.ics) of a NAG's coming meetings, in Europe/London time."""

from __future__ import annotations

from datetime import datetime

from icalendar import Calendar, Event

from bot.content import Nag
from bot.domain.meetings import Meeting


def meetings_ics(nag: Nag, meetings: list[Meeting], now: datetime, title: str) -> bytes:
    cal = Calendar()
    cal.add("prodid", "-//SaferMK//Community bot//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", title)
    for m in meetings:
        ev = Event()
        ev.add("uid", f"{nag.id}-{m.start:%Y%m%dT%H%M}@safermk-bot")
        ev.add("dtstamp", now)
        ev.add("dtstart", m.start)
        ev.add("dtend", m.end)
        ev.add("summary", title)
        location = ", ".join(
            p for p in (nag.venue.name, nag.venue.address, nag.venue.postcode) if p
        )
        ev.add("location", location)
        ev.add("description", "; ".join(nag.priorities))
        cal.add_component(ev)
    cal.add_missing_timezones()
    return cal.to_ical()
