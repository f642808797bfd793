"""content/campaigns.yaml: crime-prevention campaigns, their yearly runs, tips and messages.

Also the calendar words a message may use for its day: "+N days" after the campaign starts, a
fixed date, or a named day such as clocks-go-back (`NAMED_DAYS`), resolved for each yearly run.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, time, timedelta
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, field_validator

from bot.content.base import (
    HHMM_RE,
    ID_RE,
    MAX_ID,
    URL_RE,
    Collector,
    Link,
    Model,
    check_with,
    parse_date,
    validated,
)
from bot.content.yamlines import line_of
from bot.telegram.limits import MAX_BUTTON_LABEL, MAX_MESSAGE

# ---------------------------------------------------------------- days in the calendar


def _last_weekday(year: int, month: int, weekday: int) -> date:
    last = date(year, month, calendar.monthrange(year, month)[1])
    return last - timedelta(days=(last.weekday() - weekday) % 7)


def clocks_go_back(year: int) -> date:
    """UK clocks go back on the last Sunday of October."""
    return _last_weekday(year, 10, 6)


def clocks_go_forward(year: int) -> date:
    """UK clocks go forward on the last Sunday of March."""
    return _last_weekday(year, 3, 6)


def black_friday(year: int) -> date:
    """The Friday after the fourth Thursday of November."""
    first = date(year, 11, 1)
    thursday = first + timedelta(days=(3 - first.weekday()) % 7 + 21)
    return thursday + timedelta(days=1)


# Named days a campaign message may be sent on or written for (documented in campaigns.yaml).
NAMED_DAYS: dict[str, Callable[[int], date]] = {
    "clocks-go-forward": clocks_go_forward,
    "halloween": lambda y: date(y, 10, 31),
    "clocks-go-back": clocks_go_back,
    "bonfire-night": lambda y: date(y, 11, 5),
    "white-ribbon-day": lambda y: date(y, 11, 25),
    "black-friday": black_friday,
    "christmas-eve": lambda y: date(y, 12, 24),
    "christmas-day": lambda y: date(y, 12, 25),
    "new-years-eve": lambda y: date(y, 12, 31),
    "new-years-day": lambda y: date(y, 1, 1),
}
OFFSET_RE = re.compile(r"^\+(\d{1,3})(?: days?)?$")
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
DAY_HELP = (
    '"+N days" (after the campaign starts, e.g. "+3 days"), a date "YYYY-MM-DD", or a named '
    "day: " + ", ".join(NAMED_DAYS)
)


def valid_day(spec: str) -> bool:
    """Whether `spec` is a day a message can be sent on or written for."""
    spec = spec.strip()
    if OFFSET_RE.match(spec) or spec in NAMED_DAYS:
        return True
    if DATE_RE.match(spec):
        try:
            date.fromisoformat(spec)
        except ValueError:
            return False
        return True
    return False


class CampaignMessage(Model):
    id: str = Field(max_length=16)
    day: str | None = None
    on: str | None = None
    time: str = "10:00"
    text: str | None = None
    _id = field_validator("id")(check_with(ID_RE, "id (lower-case letters, digits, - or _)"))


class CampaignModel(Model):
    id: str = Field(max_length=MAX_ID)
    title: str = Field(min_length=1, max_length=MAX_BUTTON_LABEL)
    starts: str
    ends: str
    repeat: Literal["yearly", "none"] = "none"
    summary: str = Field(min_length=1)
    tips: list[str] = Field(min_length=1)
    links: list[Link] = []
    image: str | None = None
    nags: list[str] = []  # NAG ids where it matters most: listed first for their residents
    topics: list[str] = []  # safeguarding topics it gives advice on ("fraud tips" opens it)
    messages: list[CampaignMessage] = []
    _id = field_validator("id")(check_with(ID_RE, "id (lower-case letters, digits, - or _)"))


@dataclass(frozen=True)
class ScheduledMessage:
    id: str
    day: str  # when it goes out automatically (see `Campaign.day_in_run`)
    at: time
    text: str | None
    on: str | None = None  # the day its text is written for ("the clocks went back last night")


@dataclass(frozen=True)
class Campaign:
    id: str
    title: str
    starts: date
    ends: date
    yearly: bool
    summary: str
    tips: tuple[str, ...]
    links: tuple[Link, ...]
    image: str | None
    messages: tuple[ScheduledMessage, ...]
    nags: tuple[str, ...] = ()  # where it matters most (its residents see it first)
    topics: tuple[str, ...] = ()  # safeguarding topics its tips are about

    def day_in_run(self, spec: str, start: date) -> date:
        """The date `spec` (a message's day or on) means in the run starting on `start`.

        "+N days" counts from `start`; a fixed date moves with a yearly campaign; a named day
        is the one inside the run (or, for a day outside it, the one in the run's first year).
        """
        spec = spec.strip()
        if m := OFFSET_RE.match(spec):
            return start + timedelta(days=int(m.group(1)))
        if spec in NAMED_DAYS:
            end = start + (self.ends - self.starts)
            for year in (start.year, start.year + 1):
                d = NAMED_DAYS[spec](year)
                if start <= d <= end:
                    return d
            return NAMED_DAYS[spec](start.year)
        fixed = date.fromisoformat(spec)
        return _same_day_in(fixed, fixed.year + start.year - self.starts.year)

    def occurrence(self, today: date) -> tuple[date, date] | None:
        """The run of this campaign that is current or next on `today`, or None if over."""
        if not self.yearly:
            return (self.starts, self.ends) if self.ends >= today else None
        length = self.ends - self.starts
        for year in (today.year - 1, today.year, today.year + 1):
            start = _same_weekday_in(self.starts, year)
            if start + length >= today:
                return start, start + length
        return None


def _same_weekday_in(d: date, year: int) -> date:
    """The date nearest d's anniversary in `year` on d's weekday: a campaign week that starts on
    a Monday keeps starting on a Monday (its "+N" messages keep their weekdays too)."""
    anniversary = _same_day_in(d, year)
    return anniversary + timedelta(days=(d.weekday() - anniversary.weekday() + 3) % 7 - 3)


def _same_day_in(d: date, year: int) -> date:
    try:
        return d.replace(year=year)
    except ValueError:  # 29 February
        return d.replace(year=year, day=28)


def load_campaigns(
    col: Collector, path: Path, content_dir: Path, nag_ids: frozenset[str] | None = frozenset()
) -> list[Campaign]:
    """campaigns.yaml; NAG ids are checked against `nag_ids` (None: nags.yaml is unreadable)."""
    out: list[Campaign] = []
    for raw, loc, m in validated(col, path, "campaigns", CampaignModel):
        for j, nag in enumerate(m.nags):
            if nag_ids is not None and nag not in nag_ids:
                col.add(path, line_of(raw, (*loc, "nags", j)), f"nags: no NAG has the id {nag!r}")
        starts = parse_date(col, path, line_of(raw, (*loc, "starts")), m.starts)
        ends = parse_date(col, path, line_of(raw, (*loc, "ends")), m.ends)
        if starts and ends and ends < starts:
            col.add(path, line_of(raw, (*loc, "ends")), "ends before it starts")
        if m.image and not URL_RE.match(m.image) and not (content_dir / m.image).is_file():
            col.add(path, line_of(raw, (*loc, "image")), f"image {m.image!r} not found in content/")
        msgs = _messages(col, path, raw, loc, m, starts, ends)
        if starts and ends:
            out.append(
                Campaign(
                    id=m.id,
                    title=m.title,
                    starts=starts,
                    ends=ends,
                    yearly=m.repeat == "yearly",
                    summary=m.summary,
                    tips=tuple(m.tips),
                    links=tuple(m.links),
                    image=m.image,
                    messages=tuple(msgs),
                    nags=tuple(m.nags),
                    topics=tuple(m.topics),
                )
            )
    return out


def _messages(
    col: Collector,
    path: Path,
    raw: Any,
    loc: tuple[Any, ...],
    m: CampaignModel,
    starts: date | None,
    ends: date | None,
) -> list[ScheduledMessage]:
    """The campaign's messages that are valid: a day, a time, text that fits one message."""
    msgs: list[ScheduledMessage] = []
    msg_ids: set[str] = set()
    for j, msg in enumerate(m.messages):
        mloc = (*loc, "messages", j)
        if msg.id in msg_ids:
            col.add(path, line_of(raw, mloc), f"message id {msg.id!r} is used twice")
        msg_ids.add(msg.id)
        bad = False
        for key in ("day", "on"):
            spec = getattr(msg, key)
            if spec is not None and not valid_day(spec):
                col.add(path, line_of(raw, (*mloc, key)), f"{key} {spec!r}: use {DAY_HELP}")
                bad = True
        if bad:
            continue
        # Written for a day and sent automatically: on that day unless `day` says otherwise.
        day = (msg.day or msg.on or "+0").strip()
        if not HHMM_RE.match(msg.time):
            col.add(path, line_of(raw, (*mloc, "time")), f"{msg.time!r} is not a time like 10:00")
            continue
        if msg.text and len(msg.text) > MAX_MESSAGE:
            col.add(path, line_of(raw, (*mloc, "text")), "text is over 4096 characters")
        hh, mm = (int(x) for x in msg.time.split(":"))
        on = msg.on.strip() if msg.on else None
        msgs.append(ScheduledMessage(msg.id, day, time(hh, mm), msg.text, on))
        if on is not None and starts and ends:
            _check_written_for(col, path, line_of(raw, (*mloc, "on")), m, starts, ends, day, on)
    return msgs


def _check_written_for(
    col: Collector,
    path: Path,
    line: int,
    m: CampaignModel,
    starts: date,
    ends: date,
    day: str,
    on: str,
) -> None:
    """A message written for a day is sent on that day, inside its campaign."""
    probe = Campaign(m.id, m.title, starts, ends, m.repeat == "yearly", "", (), (), None, ())
    sent, meant = probe.day_in_run(day, starts), probe.day_in_run(on, starts)
    if sent != meant:
        col.add(
            path,
            line,
            f"on {on!r} is {meant.isoformat()} but day {day!r} sends it on {sent.isoformat()}: "
            "make them agree (or leave day out: the message then goes out on its on day)",
        )
    elif not starts <= meant <= ends:
        col.warn(
            path,
            line,
            f"on {on!r} is {meant.isoformat()}, outside the campaign ({starts.isoformat()} to "
            f"{ends.isoformat()})",
        )
