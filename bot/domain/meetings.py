"""Meeting dates from a NAG's pattern, explicit dates and cancellations, in local time."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.content import MeetingRule

SEARCH_MONTHS = 24


@dataclass(frozen=True)
class Meeting:
    start: datetime  # aware, in the content time zone
    end: datetime


def nth_weekday(year: int, month: int, nth: int, weekday: int) -> date | None:
    """The nth (1-4, or -1 for last) given weekday of a month."""
    days = [
        d
        for d in calendar.Calendar().itermonthdates(year, month)
        if d.month == month and d.weekday() == weekday
    ]
    if nth == -1:
        return days[-1]
    return days[nth - 1] if nth <= len(days) else None


def upcoming(rule: MeetingRule, after: datetime, tz: ZoneInfo, count: int = 3) -> list[Meeting]:
    """The next `count` meetings starting after `after` (an aware datetime)."""
    local_after = after.astimezone(tz)
    starts: set[datetime] = set()
    if rule.nth is not None and rule.weekday is not None:
        year, month = local_after.year, local_after.month
        for _ in range(SEARCH_MONTHS):
            day = nth_weekday(year, month, rule.nth, rule.weekday)
            if day and day not in rule.cancelled:
                # Wall-clock time in the zone: 19:00 stays 19:00 across the clock changes.
                starts.add(datetime.combine(day, rule.at, tzinfo=tz))
            month += 1
            if month == 13:
                year, month = year + 1, 1
            if len([s for s in starts if s > local_after]) >= count:
                break
    for extra in rule.extra:
        if extra.date() not in rule.cancelled:
            starts.add(extra.astimezone(tz))
    future = sorted(s for s in starts if s > local_after)[:count]
    return [Meeting(s, s + rule.length) for s in future]


def day_before(meeting: Meeting, at_hour: int = 18) -> datetime:
    """When the reminder for a meeting goes out: 18:00 local time the day before."""
    d = meeting.start.date() - timedelta(days=1)
    return datetime(d.year, d.month, d.day, at_hour, tzinfo=meeting.start.tzinfo)
