"""Content: load content/*.yaml into typed, frozen objects and report every problem as file:line.

The same loader serves the bot at start-up, `safermk-bot check-content` and the tests. It imports
neither telegram nor SQL.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any, Literal, TypeVar
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from bot import callback_data as cd
from bot.textkeys import used_text_keys
from bot.yamlines import LineDict, LineList, YamlProblem, line_of, load_yaml

MAX_MESSAGE = 4096
MAX_CAPTION = 1024
MAX_BUTTON_LABEL = 64
MAX_ID = 32

ID_RE = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
PHONE_RE = re.compile(r"^(?:\+44\s?|0)\d[\d ]{8,12}$|^(?:101|999|111)$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")
URL_RE = re.compile(r"^https?://[A-Za-z0-9.-]+\.[A-Za-z]{2,}(?::\d+)?(?:/\S*)?$")
POSTCODE_AREA_RE = re.compile(r"^MK\d{1,2}(?: \d)?$")
EVERY_RE = re.compile(
    r"^(first|second|third|fourth|last) (monday|tuesday|wednesday|thursday|friday|saturday|sunday)$"
)
HHMM_RE = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "last": -1}
# Milton Keynes and a generous margin: catches swapped or mistyped coordinates.
MK_BOUNDS = (51.90, 52.25, -1.00, -0.50)


class ContentError(Exception):
    """Raised when content is invalid; carries every problem."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(f"{len(problems)} content problem(s)")
        self.problems = problems


@dataclass(frozen=True, order=True)
class Problem:
    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _check(regex: re.Pattern[str], what: str) -> Any:
    def validate(cls: Any, v: str) -> str:  # noqa: ARG001
        if not regex.match(v.strip()):
            raise ValueError(f"{v!r} is not a valid {what}")
        return v.strip()

    return validate


class Link(_Model):
    title: str = Field(min_length=1, max_length=MAX_BUTTON_LABEL)
    url: str
    _url = field_validator("url")(_check(URL_RE, "web address (https://...)"))


class Point(_Model):
    lat: float
    lon: float


class Venue(_Model):
    name: str = Field(min_length=1)
    address: str = Field(min_length=1)
    postcode: str | None = None
    accessibility: str | None = None
    lat: float | None = None
    lon: float | None = None


class Contact(_Model):
    team: str = Field(min_length=1)
    phone: str | None = None
    email: str | None = None
    url: str | None = None
    _phone = field_validator("phone")(_check(PHONE_RE, "UK phone number"))
    _email = field_validator("email")(_check(EMAIL_RE, "email address"))
    _url = field_validator("url")(_check(URL_RE, "web address (https://...)"))


class Meetings(_Model):
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


class NagModel(_Model):
    id: str = Field(max_length=MAX_ID)
    name: str = Field(min_length=1, max_length=MAX_BUTTON_LABEL)
    areas: list[str] = Field(min_length=1)
    council: str = Field(min_length=1)
    postcodes: list[str] = Field(min_length=1)
    centre: Point
    priorities: list[str] = Field(min_length=1, max_length=3)
    meetings: Meetings
    venue: Venue
    contact: Contact
    links: list[Link] = []

    _id = field_validator("id")(_check(ID_RE, "id (lower-case letters, digits, - or _)"))

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


class CampaignMessage(_Model):
    id: str = Field(max_length=16)
    day: str = "+0"
    time: str = "10:00"
    text: str | None = None
    _id = field_validator("id")(_check(ID_RE, "id (lower-case letters, digits, - or _)"))


class CampaignModel(_Model):
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
    _id = field_validator("id")(_check(ID_RE, "id (lower-case letters, digits, - or _)"))


# ---------------------------------------------------------------- typed, frozen domain objects


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


class Texts:
    """Every sentence the bot says, by key, for one language."""

    def __init__(self, lang: str, strings: dict[str, str]) -> None:
        self.lang = lang
        self._strings = dict(strings)

    def __contains__(self, key: str) -> bool:
        return key in self._strings

    def keys(self) -> Iterable[str]:
        return self._strings.keys()

    def get(self, key: str, /, **kwargs: Any) -> str:
        template = self._strings[key]
        return template.format(**kwargs) if kwargs else template


@dataclass(frozen=True)
class Content:
    nags: tuple[Nag, ...]
    campaigns: tuple[Campaign, ...]
    texts: dict[str, Texts]
    directory: Path
    surveys: tuple[Any, ...] = ()
    safety: Any = None  # bot.domain.safety.Lexicon (content/safety.yaml)
    intents: Any = None  # bot.domain.safety.Lexicon of intents (content/intents.yaml)
    warnings: tuple[Problem, ...] = ()
    nag_by_id: dict[str, Nag] = field(default_factory=dict)
    campaign_by_id: dict[str, Campaign] = field(default_factory=dict)

    def t(self, lang: str = "en") -> Texts:
        return self.texts.get(lang) or self.texts["en"]


# ---------------------------------------------------------------- loading and validation


class _Collector:
    def __init__(self, base: Path) -> None:
        self.base = base
        self.problems: list[Problem] = []
        self.warnings: list[Problem] = []

    def _name(self, path: Path) -> str:
        try:
            return str(path.relative_to(self.base.parent))
        except ValueError:
            return str(path)

    def add(self, path: Path, line: int, message: str) -> None:
        self.problems.append(Problem(self._name(path), line, message))

    def warn(self, path: Path, line: int, message: str) -> None:
        """Something an editor should look at, which does not stop the bot."""
        self.warnings.append(Problem(self._name(path), line, message))


def _pydantic_problems(
    col: _Collector, path: Path, raw: Any, err: ValidationError, prefix: tuple[Any, ...]
) -> None:
    for e in err.errors():
        loc = prefix + tuple(e["loc"])
        msg = e["msg"].removeprefix("Value error, ")
        if e["type"] == "extra_forbidden":
            msg = "unknown key (check the spelling)"
        elif e["type"] == "missing":
            msg = "this entry needs a value here"
        field_name = ".".join(str(p) for p in e["loc"] if not isinstance(p, int)) or "entry"
        col.add(path, line_of(raw, loc), f"{field_name}: {msg}")


def _parse_local(
    col: _Collector, path: Path, line: int, value: str, tz: ZoneInfo
) -> datetime | None:
    """Parse 'YYYY-MM-DD HH:MM' as a wall-clock time that exists in `tz`."""
    try:
        naive = datetime.strptime(str(value).strip(), "%Y-%m-%d %H:%M")
    except ValueError:
        col.add(path, line, f"{value!r} is not a date and time like 2026-12-01 19:00")
        return None
    aware = naive.replace(tzinfo=tz)
    round_trip = aware.astimezone(ZoneInfo("UTC")).astimezone(tz).replace(tzinfo=None)
    if round_trip != naive:
        col.add(path, line, f"{value} does not exist in {tz.key} (the clocks go forward then)")
        return None
    return aware


def _parse_date(col: _Collector, path: Path, line: int, value: str) -> date | None:
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        col.add(path, line, f"{value!r} is not a date like 2026-10-23")
        return None


def _entries(col: _Collector, path: Path, raw: Any, key: str) -> LineList:
    if not isinstance(raw, LineDict) or not isinstance(raw.get(key), LineList):
        col.add(path, getattr(raw, "line", 1), f"the file must have a list under '{key}:'")
        return LineList()
    return raw[key]


def _check_unique_ids(col: _Collector, path: Path, raw: Any, entries: LineList, key: str) -> None:
    """Duplicate ids are reported even when an entry has other problems."""
    seen: dict[str, int] = {}
    for i, item in enumerate(entries):
        if isinstance(item, LineDict) and isinstance(item.get("id"), str):
            line = line_of(raw, (key, i, "id"))
            if item["id"] in seen:
                col.add(
                    path,
                    line,
                    f"id {item['id']!r} is used twice (first on line {seen[item['id']]})",
                )
            else:
                seen[item["id"]] = line


def _load_file(col: _Collector, path: Path) -> Any:
    if not path.exists():
        col.add(path, 1, "file is missing")
        return None
    try:
        return load_yaml(path)
    except YamlProblem as p:
        col.add(path, p.line, p.message)
        return None


M = TypeVar("M", bound=BaseModel)


def _validated(
    col: _Collector, path: Path, key: str, model: type[M]
) -> Iterator[tuple[Any, tuple[Any, ...], M]]:
    """Each entry of the list under `key` that has the right shape, with its raw data and path.

    Shape problems are collected; ids are checked for duplicates across all entries first.
    """
    raw = _load_file(col, path)
    if raw is None:
        return
    entries = _entries(col, path, raw, key)
    _check_unique_ids(col, path, raw, entries, key)
    for i, item in enumerate(entries):
        loc = (key, i)
        try:
            yield raw, loc, model.model_validate(item)
        except ValidationError as err:
            _pydantic_problems(col, path, raw, err, loc)


def _load_nags(col: _Collector, path: Path, tz: ZoneInfo) -> list[Nag]:
    nags: list[Nag] = []
    for raw, loc, m in _validated(col, path, "nags", NagModel):
        for kind in (cd.Area, cd.Calendar, cd.Remind, cd.Meetings):
            try:
                kind(m.id).pack()
            except ValueError:
                col.add(path, line_of(raw, (*loc, "id")), "id too long for Telegram's button data")
                break
        lat_lo, lat_hi, lon_lo, lon_hi = MK_BOUNDS
        if not (lat_lo <= m.centre.lat <= lat_hi and lon_lo <= m.centre.lon <= lon_hi):
            col.add(path, line_of(raw, (*loc, "centre")), "centre is not in Milton Keynes")
        if len(set(m.priorities)) != len(m.priorities):
            col.add(path, line_of(raw, (*loc, "priorities")), "a priority is listed twice")
        mt = m.meetings
        extra: list[datetime] = []
        for j, value in enumerate(mt.extra):
            dt = _parse_local(col, path, line_of(raw, (*loc, "meetings", "extra", j)), value, tz)
            if dt:
                extra.append(dt)
        cancelled: set[date] = set()
        for j, value in enumerate(mt.cancelled):
            d = _parse_date(col, path, line_of(raw, (*loc, "meetings", "cancelled", j)), value)
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
        nags.append(
            Nag(
                id=m.id,
                name=m.name,
                areas=tuple(m.areas),
                council=m.council,
                postcodes=tuple(m.postcodes),
                lat=m.centre.lat,
                lon=m.centre.lon,
                priorities=tuple(m.priorities),
                meetings=MeetingRule(
                    nth=nth,
                    weekday=weekday,
                    at=time(hh, mm),
                    length=timedelta(minutes=mt.length_minutes),
                    extra=tuple(sorted(extra)),
                    cancelled=frozenset(cancelled),
                ),
                venue=m.venue,
                contact=m.contact,
                links=tuple(m.links),
            )
        )
    if not nags:
        _check_some_nags(col, path)
    return nags


def _check_some_nags(col: _Collector, path: Path) -> None:
    """An empty `nags:` list is valid YAML but leaves residents nothing to choose."""
    try:
        raw = load_yaml(path) if path.exists() else None
    except YamlProblem:
        return  # already reported
    if isinstance(raw, LineDict) and isinstance(raw.get("nags"), LineList) and not raw["nags"]:
        col.add(path, raw.key_lines.get("nags", raw.line), "there are no NAGs (the bot needs one)")


def _load_campaigns(col: _Collector, path: Path, content_dir: Path) -> list[Campaign]:
    out: list[Campaign] = []
    for raw, loc, m in _validated(col, path, "campaigns", CampaignModel):
        starts = _parse_date(col, path, line_of(raw, (*loc, "starts")), m.starts)
        ends = _parse_date(col, path, line_of(raw, (*loc, "ends")), m.ends)
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


_FORMATTER = string.Formatter()


def _load_texts(col: _Collector, path: Path) -> dict[str, str]:
    raw = _load_file(col, path)
    if raw is None:
        return {}
    if not isinstance(raw, LineDict):
        col.add(path, 1, "the file must be a list of key: text pairs")
        return {}
    out: dict[str, str] = {}
    for key, value in raw.items():
        line = raw.key_lines.get(key, 1)
        if not isinstance(value, str) or not value.strip():
            col.add(path, line, f"{key}: must be some text")
            continue
        try:
            names = [f for _, f, _, _ in _FORMATTER.parse(value) if f is not None]
        except ValueError as exc:
            col.add(path, line, f"{key}: broken {{placeholder}} ({exc})")
            continue
        if any(not re.fullmatch(r"[a-z_]+", n) for n in names):
            col.add(path, line, f"{key}: placeholders must be simple names like {{name}}")
            continue
        limit = MAX_BUTTON_LABEL if key.startswith("button.") else MAX_MESSAGE
        if len(value) > limit:
            col.add(path, line, f"{key}: {len(value)} characters, over Telegram's {limit}")
        if key.startswith("command.") and len(value) > 256:
            col.add(path, line, f"{key}: command descriptions must be at most 256 characters")
        out[str(key)] = value
    return out


def load_content(directory: Path, tz: ZoneInfo | None = None) -> Content:
    """Load and validate everything under `directory`; raise ContentError with every problem."""
    tz = tz or ZoneInfo("Europe/London")
    directory = Path(directory)
    col = _Collector(directory)
    if not directory.is_dir():
        raise ContentError([Problem(str(directory), 1, "content folder not found")])
    nags = _load_nags(col, directory / "nags.yaml", tz)
    campaigns = _load_campaigns(col, directory / "campaigns.yaml", directory)
    texts: dict[str, Texts] = {}
    by_lang: dict[str, dict[str, str]] = {}
    # texts.<lang>.yaml, plus optional texts.<lang>.<part>.yaml files a feature keeps apart.
    for path in sorted(directory.glob("texts.*.yaml")):
        lang = path.name.split(".")[1]
        strings = by_lang.setdefault(lang, {})
        for key, value in _load_texts(col, path).items():
            if key in strings:
                col.add(path, 1, f"{key}: defined in two texts.{lang}.* files")
            strings[key] = value
    en = by_lang.get("en", {})
    en_path = directory / "texts.en.yaml"
    if not en_path.exists():
        col.add(en_path, 1, "file is missing")
    texts["en"] = Texts("en", en)
    for lang, strings in by_lang.items():
        if lang == "en":
            continue
        for missing in sorted(set(en) - set(strings)):
            col.add(directory / f"texts.{lang}.yaml", 1, f"{missing}: missing (present in English)")
        texts[lang] = Texts(lang, {**en, **strings})
    for missing in sorted(used_text_keys() - set(en)):
        col.add(en_path, 1, f"{missing}: the bot needs this text but it is missing")

    surveys: tuple[Any, ...] = ()
    survey_dir = directory / "surveys"
    if survey_dir.is_dir():
        from bot.surveys_content import load_surveys

        surveys = tuple(load_surveys(col, survey_dir, {n.id for n in nags}, tz))

    from bot.safety_content import load_safety

    safety = load_safety(col, directory / "safety.yaml")
    from dataclasses import replace

    from bot.intents_content import load_intents

    intents = load_intents(col, directory / "intents.yaml")
    if intents is not None and safety is not None:
        # The same normalisation as the safeguarding check: its text-speak first.
        intents = replace(intents, aliases={**safety.aliases, **intents.aliases})

    if col.problems:
        raise ContentError(sorted(col.problems))
    return Content(
        nags=tuple(nags),
        campaigns=tuple(campaigns),
        texts=texts,
        directory=directory,
        surveys=surveys,
        safety=safety,
        intents=intents,
        warnings=tuple(sorted(col.warnings)),
        nag_by_id={n.id: n for n in nags},
        campaign_by_id={c.id: c for c in campaigns},
    )
