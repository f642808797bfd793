"""Small in-memory state the bot keeps between updates: bounded, and rebuilt empty at start.

Nothing here is the source of truth (the database is); losing it to a restart costs at most one
extra write or one missed shortcut.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

SIGNPOSTED_REMEMBERED = 4096  # signposted update ids kept for the handlers after the check


class SeenCache:
    """Which residents' last-seen day was already noted today (one dictionary lookup per
    update; the noted days are written in batches: storage/residents.py `flush_seen`)."""

    def __init__(self) -> None:
        self.day = ""
        self.chats: set[int] = set()


class Signposted:
    """The ids of recent updates that got the safeguarding answer."""

    def __init__(self) -> None:
        self._order: deque[int] = deque()
        self._ids: set[int] = set()

    def add(self, update_id: int) -> None:
        if len(self._order) >= SIGNPOSTED_REMEMBERED:
            self._ids.discard(self._order.popleft())
        self._order.append(update_id)
        self._ids.add(update_id)

    def __contains__(self, update_id: int) -> bool:
        return update_id in self._ids


LANGUAGES_REMEMBERED = 50_000  # residents' languages kept in memory (one dict entry each)

# The language of the update being handled (the resident's, set first by the language feature,
# bot/handlers/languages.py), and the language its words are read in when they are plainly in
# another language the bot speaks. Each update runs in its own task's copy of these.
_LANGUAGE: ContextVar[str] = ContextVar("language", default="en")
_READING: ContextVar[str | None] = ContextVar("reading", default=None)


def current_language() -> str:
    return _LANGUAGE.get()


def reading_language() -> str:
    return _READING.get() or _LANGUAGE.get()


def use_language(lang: str, reading: str | None = None) -> None:
    """Answer this update in `lang`, and read its words in `reading` (default: `lang`)."""
    _LANGUAGE.set(lang)
    _READING.set(reading)


@contextmanager
def language_scope() -> Iterator[None]:
    """English until the language feature says otherwise, and back as before afterwards."""
    lang, reading = _LANGUAGE.set("en"), _READING.set(None)
    try:
        yield
    finally:
        _LANGUAGE.reset(lang)
        _READING.reset(reading)


class LanguageCache:
    """Residents' chosen languages, so choosing the language costs no database read per update.
    Written whenever a language is set and dropped when a resident is erased."""

    def __init__(self) -> None:
        self._langs: dict[int, str] = {}

    def get(self, chat_id: int) -> str | None:
        return self._langs.get(chat_id)

    def put(self, chat_id: int, lang: str) -> None:
        if len(self._langs) >= LANGUAGES_REMEMBERED and chat_id not in self._langs:
            self._langs.pop(next(iter(self._langs)))
        self._langs[chat_id] = lang

    def forget(self, chat_id: int) -> None:
        self._langs.pop(chat_id, None)
