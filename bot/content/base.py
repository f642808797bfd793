"""Shared pieces of content loading: problems as file:line, the collector, YAML helpers.

Every loader in this package reports through one `Collector`, so `check-content`, the bot's
start-up and /reload list every problem at once. Imports neither telegram nor SQL.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from bot.content.yamlines import LineDict, LineList, YamlProblem, line_of, load_yaml
from bot.telegram.limits import MAX_BUTTON_LABEL

MAX_ID = 32  # characters of a NAG or campaign id

ID_RE = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
PHONE_RE = re.compile(r"^(?:\+44\s?|0)\d[\d ]{8,12}$|^(?:101|999|111)$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")
URL_RE = re.compile(r"^https?://[A-Za-z0-9.-]+\.[A-Za-z]{2,}(?::\d+)?(?:/\S*)?$")
HHMM_RE = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


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


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def check_with(regex: re.Pattern[str], what: str) -> Any:
    def validate(cls: Any, v: str) -> str:  # noqa: ARG001
        if not regex.match(v.strip()):
            raise ValueError(f"{v!r} is not a valid {what}")
        return v.strip()

    return validate


class Link(Model):
    title: str = Field(min_length=1, max_length=MAX_BUTTON_LABEL)
    url: str
    _url = field_validator("url")(check_with(URL_RE, "web address (https://...)"))


class Collector:
    """Problems (which stop the content being used) and warnings, as file:line."""

    def __init__(self, base: Path) -> None:
        self.base = base
        self.problems: list[Problem] = []
        self.warnings: list[Problem] = []
        # Files that cannot be read at all: checks that need their entries are skipped, since
        # every entry would look missing and bury the one slip.
        self.unreadable: set[Path] = set()

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

    def unreadable_file(self, path: Path, slip: YamlProblem) -> None:
        """A file that is not valid YAML: its one problem, at the slip."""
        self.unreadable.add(path)
        self.add(path, slip.line, slip.message)

    def readable(self, *paths: Path) -> bool:
        return not self.unreadable.intersection(paths)

    def sorted_problems(self) -> list[Problem]:
        """By file and line, files that cannot be read first: fix those before anything else."""
        first = {self._name(p) for p in self.unreadable}
        return sorted(self.problems, key=lambda p: (p.file not in first, p))


def pydantic_problems(
    col: Collector, path: Path, raw: Any, err: ValidationError, prefix: tuple[Any, ...]
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


def parse_local(col: Collector, path: Path, line: int, value: str, tz: ZoneInfo) -> datetime | None:
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


def parse_date(col: Collector, path: Path, line: int, value: str) -> date | None:
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        col.add(path, line, f"{value!r} is not a date like 2026-10-23")
        return None


def list_under(col: Collector, path: Path, raw: Any, key: str) -> LineList:
    if not isinstance(raw, LineDict) or not isinstance(raw.get(key), LineList):
        col.add(path, getattr(raw, "line", 1), f"the file must have a list under '{key}:'")
        return LineList()
    return raw[key]


def check_unique_ids(col: Collector, path: Path, raw: Any, entries: LineList, key: str) -> None:
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


def load_file(col: Collector, path: Path) -> Any:
    if not path.exists():
        col.add(path, 1, "file is missing")
        return None
    try:
        return load_yaml(path)
    except YamlProblem as slip:
        col.unreadable_file(path, slip)
        return None


M = TypeVar("M", bound=BaseModel)


def validated(
    col: Collector, path: Path, key: str, model: type[M]
) -> Iterator[tuple[Any, tuple[Any, ...], M]]:
    """Each entry of the list under `key` that has the right shape, with its raw data and path.

    Shape problems are collected; ids are checked for duplicates across all entries first.
    """
    raw = load_file(col, path)
    if raw is None:
        return
    items = list_under(col, path, raw, key)
    check_unique_ids(col, path, raw, items, key)
    for i, item in enumerate(items):
        loc = (key, i)
        try:
            yield raw, loc, model.model_validate(item)
        except ValidationError as err:
            pydantic_problems(col, path, raw, err, loc)


def load_mapping(
    col: Collector, path: Path, model: type[M], *, missing: str, shape: str
) -> tuple[LineDict, M] | None:
    """A whole-file mapping validated by `model` (safety.yaml, intents.yaml), or None with the
    problems collected: `missing` when there is no file, `shape` when it is not a mapping."""
    if not path.exists():
        col.add(path, 1, f"file is missing: {missing}")
        return None
    try:
        raw = load_yaml(path)
    except YamlProblem as slip:
        col.unreadable_file(path, slip)
        return None
    if not isinstance(raw, LineDict):
        col.add(path, 1, f"the file must be a mapping with {shape}")
        return None
    try:
        return raw, model.model_validate(raw)
    except ValidationError as err:
        pydantic_problems(col, path, raw, err, ())
        return None
