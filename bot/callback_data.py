"""Typed callback data: one small frozen class per kind of button (after aiogram's CallbackData).

Each class declares a short prefix and typed fields (str, int or bool). `pack()` writes
"prefix:field:field" and refuses anything over Telegram's 64 bytes; `unpack(data)` is strict
and returns None for anything malformed: another prefix, a wrong number of parts, a number that
is not plain ASCII digits or is out of range ("²", "١٢", 10^23), a text with characters outside
ids' `[A-Za-z0-9_-]`. Handlers are routed one per class with
`CallbackQueryHandler(callback, pattern=Cls.filter())`, and the content validator checks the
length of every button the content creates with the same classes. Pure: no telegram import.

Formats already in residents' chats (ratings `br:<id>:1`, officers' `bx:<id>`) are kept, so
old buttons keep working; booleans read 1/0 and the older y/n. Area answers (`a:<id>:<step>`,
`an:<step>`) carry the step of the question they answer: the older `a:<id>` and `an` belong to a
question that has moved on, and are answered as out of date.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from typing import Any, ClassVar, Self

MAX_BYTES = 64
SEP = ":"
MAX_INT = 2**53  # within SQLite's INTEGER and JavaScript's safe integers
_INT = re.compile(r"0|[1-9][0-9]{0,15}")
_TEXT = re.compile(r"[A-Za-z0-9_-]{1,48}")
_TRUE, _FALSE = frozenset({"1", "y"}), frozenset({"0", "n"})


class CallbackData:
    """Base of every button's data: subclass as `@dataclass(frozen=True) class X(CallbackData,
    prefix="x")` with typed fields."""

    prefix: ClassVar[str] = ""
    registry: ClassVar[dict[str, type[CallbackData]]] = {}

    def __init_subclass__(cls, prefix: str, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not _TEXT.fullmatch(prefix) or prefix in CallbackData.registry:
            raise TypeError(f"callback prefix {prefix!r} is invalid or used twice")
        cls.prefix = prefix
        CallbackData.registry[prefix] = cls

    @classmethod
    def _fields(cls) -> tuple[dataclasses.Field[Any], ...]:
        return dataclasses.fields(cls)  # type: ignore[arg-type]

    def pack(self) -> str:
        parts = [self.prefix]
        for f in self._fields():
            value = getattr(self, f.name)
            if f.type == "bool":
                parts.append("1" if value else "0")
            elif f.type == "int":
                if not isinstance(value, int) or not 0 <= value < MAX_INT:
                    raise ValueError(f"{type(self).__name__}.{f.name}: {value!r} is out of range")
                parts.append(str(value))
            else:
                if not _TEXT.fullmatch(str(value)):
                    raise ValueError(f"{type(self).__name__}.{f.name}: {value!r} is not an id")
                parts.append(str(value))
        data = SEP.join(parts)
        if len(data.encode("utf-8")) > MAX_BYTES:
            raise ValueError(f"callback data over {MAX_BYTES} bytes: {data!r}")
        return data

    @classmethod
    def unpack(cls, data: object) -> Self | None:
        """The button's values, or None when `data` is not exactly this kind of button."""
        if not isinstance(data, str) or len(data) > MAX_BYTES:
            return None
        prefix, *parts = data.split(SEP)
        fields = cls._fields()
        if prefix != cls.prefix or len(parts) != len(fields):
            return None
        values: dict[str, Any] = {}
        for f, raw in zip(fields, parts, strict=True):
            if f.type == "bool":
                if raw not in _TRUE and raw not in _FALSE:
                    return None
                values[f.name] = raw in _TRUE
            elif f.type == "int":
                if not _INT.fullmatch(raw) or int(raw) >= MAX_INT:
                    return None
                values[f.name] = int(raw)
            else:
                if not _TEXT.fullmatch(raw):
                    return None
                values[f.name] = raw
        return cls(**values)

    @classmethod
    def filter(cls) -> Callable[[object], bool]:
        """A CallbackQueryHandler pattern that matches exactly this kind of button."""
        return lambda data: cls.unpack(data) is not None


def parse_id(text: str) -> int | None:
    """A database id typed or pressed: plain ASCII digits within range, else None ("²", "1e3")."""
    text = text.strip().lstrip("#")
    return int(text) if _INT.fullmatch(text) and int(text) < MAX_INT else None


# ---------------------------------------------------------------- residents: areas and groups


@dataclasses.dataclass(frozen=True)
class Area(CallbackData, prefix="a"):
    """Choose this NAG as my area: the answer to area question `step` (residents.area_step)."""

    nag: str
    step: int


@dataclasses.dataclass(frozen=True)
class Consent(CallbackData, prefix="c"):
    """Campaign messages: yes or no."""

    yes: bool


@dataclasses.dataclass(frozen=True)
class Calendar(CallbackData, prefix="i"):
    """The .ics file of a NAG's coming meetings."""

    nag: str


@dataclasses.dataclass(frozen=True)
class Remind(CallbackData, prefix="r"):
    """Toggle meeting reminders."""

    nag: str


@dataclasses.dataclass(frozen=True)
class ChangeArea(CallbackData, prefix="ch"):
    """Ask for a new area."""


@dataclasses.dataclass(frozen=True)
class Meetings(CallbackData, prefix="m"):
    """The meetings of any NAG."""

    nag: str


@dataclasses.dataclass(frozen=True)
class OtherNags(CallbackData, prefix="mo"):
    """List the NAGs to look one up."""


@dataclasses.dataclass(frozen=True)
class Forget(CallbackData, prefix="f"):
    """Delete everything: confirmed or not."""

    yes: bool


@dataclasses.dataclass(frozen=True)
class AreaRetry(CallbackData, prefix="an"):
    """ "No, that's not my area" to area question `step`: ask for it again."""

    step: int


@dataclasses.dataclass(frozen=True)
class NagPage(CallbackData, prefix="mp"):
    """A page of the list of every NAG (to look one up)."""

    page: int


# ---------------------------------------------------------------- residents: menu and settings


@dataclasses.dataclass(frozen=True)
class Menu(CallbackData, prefix="mn"):
    """A main-menu button: does what the same words typed would do (an intent id)."""

    intent: str


@dataclasses.dataclass(frozen=True)
class Setting(CallbackData, prefix="se"):
    """/settings: change one setting (area, messages, reminders, language) to `on`. The value
    is in the button, not "the other one", so a press made twice or on an old screen sets what
    the button said and never flips the setting back (ignored for the area)."""

    item: str
    on: bool


@dataclasses.dataclass(frozen=True)
class LanguageStart(CallbackData, prefix="ls"):
    """/start's "Polski? / English?": write in `lang`, then go on with the welcome."""

    lang: str


@dataclasses.dataclass(frozen=True)
class LanguageMenu(CallbackData, prefix="lm"):
    """/settings: show the languages to choose from."""


@dataclasses.dataclass(frozen=True)
class LanguageSet(CallbackData, prefix="lg"):
    """/settings: write in `lang` from now on."""

    lang: str


@dataclasses.dataclass(frozen=True)
class StopMessages(CallbackData, prefix="sx"):
    """ "stop" typed: confirmed or not."""

    yes: bool


@dataclasses.dataclass(frozen=True)
class CampaignOpen(CallbackData, prefix="co"):
    """One campaign from the /campaigns list; page 0 is its first tips, 1 the rest."""

    campaign: str
    page: int


@dataclasses.dataclass(frozen=True)
class CampaignList(CallbackData, prefix="cl"):
    """Back to the /campaigns list."""


@dataclasses.dataclass(frozen=True)
class PrivacyPage(CallbackData, prefix="pp"):
    """/privacy: 0 is the summary, then the detail pages."""

    page: int


# ---------------------------------------------------------------- residents: surveys
# A survey button carries the response and its step: every move bumps the step, so a press on
# an older message (another question, an answer already changed) is recognised and refused.


@dataclasses.dataclass(frozen=True)
class SurveyOpen(CallbackData, prefix="so"):
    survey: str


@dataclasses.dataclass(frozen=True)
class SurveyChange(CallbackData, prefix="sc"):
    survey: str


@dataclasses.dataclass(frozen=True)
class SurveyAnswer(CallbackData, prefix="sa"):
    response: int
    step: int
    option: str


@dataclasses.dataclass(frozen=True)
class SurveyToggle(CallbackData, prefix="st"):
    response: int
    step: int
    option: str


@dataclasses.dataclass(frozen=True)
class SurveyDone(CallbackData, prefix="sd"):
    response: int
    step: int


@dataclasses.dataclass(frozen=True)
class SurveyBack(CallbackData, prefix="sb"):
    response: int
    step: int


@dataclasses.dataclass(frozen=True)
class SurveySkip(CallbackData, prefix="sk"):
    response: int
    step: int


@dataclasses.dataclass(frozen=True)
class SurveyLeave(CallbackData, prefix="sl"):
    """ "stop" or /cancel in a survey with answers saved: leave (deleting them) or carry on.
    Valid only while the response is still open at `step`."""

    response: int
    step: int
    leave: bool


# ---------------------------------------------------------------- broadcasts


@dataclasses.dataclass(frozen=True)
class Rate(CallbackData, prefix="br"):
    """A resident's 👍 / 👎 on a broadcast message."""

    broadcast: int
    useful: bool
