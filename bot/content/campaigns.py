"""content/campaigns.yaml: crime-prevention campaigns, their yearly runs, tips and messages."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, time, timedelta
from pathlib import Path
from typing import Literal

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
from bot.limits import MAX_BUTTON_LABEL, MAX_MESSAGE


class CampaignMessage(Model):
    id: str = Field(max_length=16)
    day: str = "+0"
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
    messages: list[CampaignMessage] = []
    _id = field_validator("id")(check_with(ID_RE, "id (lower-case letters, digits, - or _)"))


@dataclass(frozen=True)
class ScheduledMessage:
    id: str
    day: str
    at: time
    text: str | None


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


def load_campaigns(col: Collector, path: Path, content_dir: Path) -> list[Campaign]:
    out: list[Campaign] = []
    for raw, loc, m in validated(col, path, "campaigns", CampaignModel):
        starts = parse_date(col, path, line_of(raw, (*loc, "starts")), m.starts)
        ends = parse_date(col, path, line_of(raw, (*loc, "ends")), m.ends)
        if starts and ends and ends < starts:
            col.add(path, line_of(raw, (*loc, "ends")), "ends before it starts")
        if m.image and not URL_RE.match(m.image) and not (content_dir / m.image).is_file():
            col.add(path, line_of(raw, (*loc, "image")), f"image {m.image!r} not found in content/")
        msgs: list[ScheduledMessage] = []
        msg_ids: set[str] = set()
        for j, msg in enumerate(m.messages):
            mloc = (*loc, "messages", j)
            if msg.id in msg_ids:
                col.add(path, line_of(raw, mloc), f"message id {msg.id!r} is used twice")
            msg_ids.add(msg.id)
            if not re.fullmatch(r"\+\d{1,3}|\d{4}-\d{2}-\d{2}|clocks-go-back", msg.day):
                col.add(
                    path,
                    line_of(raw, (*mloc, "day")),
                    f"day {msg.day!r}: use +N (days after starts), a date, or clocks-go-back",
                )
                continue
            if not HHMM_RE.match(msg.time):
                col.add(
                    path, line_of(raw, (*mloc, "time")), f"{msg.time!r} is not a time like 10:00"
                )
                continue
            if msg.text and len(msg.text) > MAX_MESSAGE:
                col.add(path, line_of(raw, (*mloc, "text")), "text is over 4096 characters")
            hh, mm = (int(x) for x in msg.time.split(":"))
            msgs.append(ScheduledMessage(msg.id, msg.day, time(hh, mm), msg.text))
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
                )
            )
    return out
