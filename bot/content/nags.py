"""content/nags.yaml: Neighbourhood Action Groups, their areas, meetings, venue and contact."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import Field, field_validator

from bot import callback_data as cd
from bot.content.base import (
    EMAIL_RE,
    HHMM_RE,
    ID_RE,
    MAX_ID,
    PHONE_RE,
    URL_RE,
    Collector,
    Link,
    Model,
    check_with,
    parse_date,
    parse_local,
    validated,
)
from bot.content.yamlines import LineDict, LineList, YamlProblem, line_of, load_yaml
from bot.telegram.limits import MAX_BUTTON_LABEL, MAX_SHORT_NAME

POSTCODE_AREA_RE = re.compile(r"^MK\d{1,2}(?: \d)?$")
EVERY_RE = re.compile(
    r"^(first|second|third|fourth|last) (monday|tuesday|wednesday|thursday|friday|saturday|sunday)$"
)
WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "last": -1}
# Milton Keynes and a generous margin: catches swapped or mistyped coordinates.
MK_BOUNDS = (51.90, 52.25, -1.00, -0.50)
AREA_STEP_MAX = 10**9  # the longest step an area button is checked with


class Point(Model):
    lat: float
    lon: float


class Venue(Model):
    name: str = Field(min_length=1)
    address: str = Field(min_length=1)
    postcode: str | None = None
    accessibility: str | None = None
    lat: float | None = None
    lon: float | None = None


class Contact(Model):
    team: str = Field(min_length=1)
    phone: str | None = None
    email: str | None = None
    url: str | None = None
    _phone = field_validator("phone")(check_with(PHONE_RE, "UK phone number"))
    _email = field_validator("email")(check_with(EMAIL_RE, "email address"))
    _url = field_validator("url")(check_with(URL_RE, "web address (https://...)"))


class Meetings(Model):
    every: str | None = None
    time: str = "19:00"
    length_minutes: int = Field(default=90, ge=15, le=480)
    extra: list[str] = []
    cancelled: list[str] = []

    @field_validator("every")
    @classmethod
    def _every(cls, v: str | None) -> str | None:
        if v is None:
            return v
        v = " ".join(v.lower().split())
        if not EVERY_RE.match(v):
            raise ValueError(
                f"{v!r}: write it like 'first Tuesday' (first/second/third/fourth/last + a day)"
            )
        return v

    @field_validator("time")
    @classmethod
    def _time(cls, v: str) -> str:
        if not HHMM_RE.match(str(v)):
            raise ValueError(f"{v!r} is not a time like 19:00")
        return str(v)


class NagModel(Model):
    id: str = Field(max_length=MAX_ID)
    name: str = Field(min_length=1, max_length=MAX_BUTTON_LABEL)
    # The name on buttons and in lists, where a phone shows about 28 characters a row.
    short_name: str | None = Field(default=None, min_length=1, max_length=MAX_SHORT_NAME)
    areas: list[str] = Field(min_length=1)
    council: str = Field(min_length=1)
    postcodes: list[str] = Field(min_length=1)
    centre: Point
    priorities: list[str] = Field(min_length=1, max_length=3)
    meetings: Meetings
    venue: Venue
    contact: Contact
    links: list[Link] = []

    _id = field_validator("id")(check_with(ID_RE, "id (lower-case letters, digits, - or _)"))

    @field_validator("postcodes")
    @classmethod
    def _postcodes(cls, v: list[str]) -> list[str]:
        out = []
        for p in v:
            p = " ".join(str(p).upper().split())
            if not POSTCODE_AREA_RE.match(p):
                raise ValueError(f"{p!r}: give a district like 'MK6' or a sector like 'MK6 3'")
            out.append(p)
        return out


@dataclass(frozen=True)
class MeetingRule:
    nth: int | None  # 1..4 or -1 for last; None when only explicit dates
    weekday: int | None  # 0 = Monday
    at: time
    length: timedelta
    extra: tuple[datetime, ...]
    cancelled: frozenset[date]


@dataclass(frozen=True)
class Nag:
    id: str
    name: str
    short_name: str  # the name itself when nags.yaml gives none
    areas: tuple[str, ...]
    council: str
    postcodes: tuple[str, ...]
    lat: float
    lon: float
    priorities: tuple[str, ...]
    meetings: MeetingRule
    venue: Venue
    contact: Contact
    links: tuple[Link, ...]


def load_nags(col: Collector, path: Path, tz: ZoneInfo) -> list[Nag]:
    nags: list[Nag] = []
    for raw, loc, m in validated(col, path, "nags", NagModel):
        _check_nag(col, path, raw, loc, m)
        nags.append(
            Nag(
                id=m.id,
                name=m.name,
                short_name=m.short_name or m.name,
                areas=tuple(m.areas),
                council=m.council,
                postcodes=tuple(m.postcodes),
                lat=m.centre.lat,
                lon=m.centre.lon,
                priorities=tuple(m.priorities),
                meetings=_meeting_rule(col, path, raw, loc, m, tz),
                venue=m.venue,
                contact=m.contact,
                links=tuple(m.links),
            )
        )
    if not nags:
        _check_some_nags(col, path)
    return nags


def _check_nag(col: Collector, path: Path, raw: Any, loc: tuple[Any, ...], m: NagModel) -> None:
    """What the schema cannot say: the id fits every button, the centre is in Milton Keynes,
    no priority twice."""
    for data in (
        cd.Area(m.id, AREA_STEP_MAX),
        cd.Calendar(m.id),
        cd.Remind(m.id),
        cd.Meetings(m.id),
    ):
        try:
            data.pack()
        except ValueError:
            col.add(path, line_of(raw, (*loc, "id")), "id too long for Telegram's button data")
            break
    lat_lo, lat_hi, lon_lo, lon_hi = MK_BOUNDS
    if not (lat_lo <= m.centre.lat <= lat_hi and lon_lo <= m.centre.lon <= lon_hi):
        col.add(path, line_of(raw, (*loc, "centre")), "centre is not in Milton Keynes")
    if len(set(m.priorities)) != len(m.priorities):
        col.add(path, line_of(raw, (*loc, "priorities")), "a priority is listed twice")


def _meeting_rule(
    col: Collector, path: Path, raw: Any, loc: tuple[Any, ...], m: NagModel, tz: ZoneInfo
) -> MeetingRule:
    """The NAG's meetings: the rule ('first Tuesday'), extra dates and cancelled ones."""
    mt = m.meetings
    extra: list[datetime] = []
    for j, value in enumerate(mt.extra):
        dt = parse_local(col, path, line_of(raw, (*loc, "meetings", "extra", j)), value, tz)
        if dt:
            extra.append(dt)
    cancelled: set[date] = set()
    for j, value in enumerate(mt.cancelled):
        d = parse_date(col, path, line_of(raw, (*loc, "meetings", "cancelled", j)), value)
        if d:
            cancelled.add(d)
    if mt.every is None and not mt.extra:
        col.add(
            path,
            line_of(raw, (*loc, "meetings")),
            "this NAG has no meetings: give 'every:' (e.g. first Tuesday) or 'extra:' dates",
        )
    nth = weekday = None
    if mt.every:
        word, day = mt.every.split()
        nth, weekday = ORDINALS[word], WEEKDAYS.index(day)
    hh, mm = (int(x) for x in mt.time.split(":"))
    return MeetingRule(
        nth=nth,
        weekday=weekday,
        at=time(hh, mm),
        length=timedelta(minutes=mt.length_minutes),
        extra=tuple(sorted(extra)),
        cancelled=frozenset(cancelled),
    )


def _check_some_nags(col: Collector, path: Path) -> None:
    """An empty `nags:` list is valid YAML but leaves residents nothing to choose."""
    try:
        raw = load_yaml(path) if path.exists() else None
    except YamlProblem:
        return  # already reported
    if isinstance(raw, LineDict) and isinstance(raw.get("nags"), LineList) and not raw["nags"]:
        col.add(path, raw.key_lines.get("nags", raw.line), "there are no NAGs (the bot needs one)")
