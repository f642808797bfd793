"""Values across the storage boundary: one timestamp format, SQL-safe enum lists, and rows
turned into the frozen dataclasses of storage/model.py and the stores (split from
storage/db.py; storage.db re-exports these names)."""

from __future__ import annotations

import dataclasses
import functools
import json
import re
import sqlite3
import typing
from collections.abc import Callable, Hashable
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any, TypeVar, cast

# One timestamp format for every table: UTC, ISO 8601 with seconds, so text order is time order.


def ts(dt: datetime) -> str:
    """A stored timestamp (aware datetimes only)."""
    return dt.astimezone(UTC).isoformat(timespec="seconds")


def from_ts(value: str) -> datetime:
    return datetime.fromisoformat(value).astimezone(UTC)


_WORD = re.compile(r"[a-z_]+")


def sql_in(*values: StrEnum | str) -> str:
    """A literal list for `status IN (...)` from enum values (checked: letters and _ only)."""
    if not values or not all(_WORD.fullmatch(str(v)) for v in values):
        raise ValueError(f"not SQL-safe enum values: {values!r}")
    return "(" + ", ".join(f"'{v}'" for v in values) + ")"


R = TypeVar("R")


def from_row(cls: type[R], row: sqlite3.Row | dict[str, Any]) -> R:
    """Build a frozen row dataclass from a row, converting by the dataclass's field types:
    datetime from the stored timestamp, date from ISO, bool from 0/1, enums from their value,
    tuple[str, ...] from a JSON list. Columns the dataclass does not name are ignored."""
    keys = row.keys()
    values: dict[str, Any] = {}
    for name, convert in _row_plan(cast(Hashable, cls)):
        if name not in keys:
            continue
        value = row[name]
        values[name] = None if value is None else convert(value)
    return cls(**values)


@functools.cache
def _row_plan(cls: Any) -> tuple[tuple[str, Callable[[Any], Any]], ...]:
    """Each field's name and converter, worked out once per class (resolving the type hints
    per row was an eighth of the bot's CPU in the updates benchmark)."""
    hints = typing.get_type_hints(cls)
    return tuple((f.name, _converter(hints[f.name])) for f in dataclasses.fields(cls))


def _same(value: Any) -> Any:
    return value


def _converter(hint: Any) -> Callable[[Any], Any]:
    """The function turning a stored (non-NULL) value into the field's type."""
    options = [a for a in typing.get_args(hint) if a is not type(None)]
    target = options[0] if typing.get_origin(hint) in (typing.Union, type(int | None)) else hint
    if target is datetime:
        return from_ts
    if target is date:
        return lambda value: date.fromisoformat(value[:10])
    if target is bool:
        return bool
    if isinstance(target, type) and issubclass(target, StrEnum):
        return target
    if hasattr(target, "from_json"):  # a JSON column with its own owner (storage.model)
        return target.from_json
    if typing.get_origin(target) is tuple:
        return lambda value: tuple(json.loads(value)) if isinstance(value, str) else tuple(value)
    return _same
