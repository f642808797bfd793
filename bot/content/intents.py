"""content/intents.yaml: plain-language intents ("when's the next meeting?", "stop"), loaded into
the same pattern types as the safeguarding lexicon and matched by the same rules.

An intent has no reply of its own: it routes to a feature (next meeting, settings, ...). The
first intent in the file that matches wins, so the file's order is the precedence ("stop the
meeting reminders" is about reminders, listed before stop). Imports neither telegram nor SQL.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from bot.content.base import Collector, load_mapping
from bot.content.safety import _check_phrase, _check_word, _unknown_groups
from bot.content.yamlines import line_of
from bot.domain.safety import Category, Lexicon

# The intents the code routes; the file may order them but must define each one.
INTENTS = (
    "forget", "privacy", "reminders", "stop", "subscribe", "change_area", "settings", "surveys",
    "next_meeting", "my_group", "mydata", "campaigns", "help", "greeting", "thanks",
    "calendar", "join_group", "local_officers", "what_is_nag", "minutes", "feedback", "council",
    "out_of_scope",
)  # fmt: skip


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class IntentModel(_Model):
    id: str
    words: list[str] = []
    phrases: list[str] = []
    together: list[str] = []
    exactly: list[str] = []


class IntentsModel(_Model):
    aliases: dict[str, str] = {}
    groups: dict[str, str] = {}
    intents: list[IntentModel] = Field(min_length=1)


def load_intents(col: Collector, path: Path) -> Lexicon | None:
    """Load and check content/intents.yaml (problems to `col` as file:line)."""
    loaded = load_mapping(
        col,
        path,
        IntentsModel,
        missing="plain words like 'next meeting' would not be understood",
        shape="intents: ...",
    )
    if loaded is None:
        return None
    raw, m = loaded
    before = len(col.problems)

    def add(loc: tuple[Any, ...], message: str) -> None:
        col.add(path, line_of(raw, loc), message)

    seen: set[str] = set()
    for i, intent in enumerate(m.intents):
        loc = ("intents", i)
        if intent.id not in INTENTS:
            add((*loc, "id"), f"unknown intent {intent.id!r} (the bot knows: {', '.join(INTENTS)})")
        if intent.id in seen:
            add((*loc, "id"), f"intent {intent.id!r} is listed twice")
        seen.add(intent.id)
        for j, w in enumerate(intent.words):
            _check_word(add, (*loc, "words", j), w, too_common=frozenset())
        for j, p in enumerate(intent.phrases):
            _check_phrase(add, (*loc, "phrases", j), p)
        for key in ("words", "phrases", "together", "exactly"):
            for j, p in enumerate(getattr(intent, key)):
                for g in _unknown_groups(p, m.groups):
                    add((*loc, key, j), f"@{g}: no such group under groups:")
    for missing in sorted(set(INTENTS) - seen):
        add(("intents",), f"intent {missing!r} is missing")
    if len(col.problems) > before:
        return None
    return Lexicon(
        categories=tuple(
            Category(
                id=i.id,
                title=i.id,
                words=tuple(i.words),
                phrases=tuple(i.phrases),
                together=tuple(i.together),
                exactly=tuple(i.exactly),
            )
            for i in m.intents
        ),
        aliases=dict(m.aliases),
        groups={
            k: tuple(a.strip() for a in v.split("|") if a.strip()) for k, v in m.groups.items()
        },
        max_blocks=1,
    )
