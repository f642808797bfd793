"""content/safety.yaml: the safeguarding lexicon, loaded into bot.domain.safety types and checked.

Every problem is reported as `file:line: message` through the content collector, like the rest
of the content: unknown keys, duplicate ids, words that are not one word, phrases with nothing to
match, replies that are too long or whose HTML Telegram would refuse, and an old `checked_on`
date (a warning: helplines change). Imports neither telegram nor SQL.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from bot.content.base import Collector, load_mapping
from bot.content.yamlines import line_of
from bot.domain.safety import Category, Lexicon, words_of
from bot.telegram.htmlcheck import html_problem

MAX_BLOCK = 350  # characters of one category's reply
MAX_FOOTER = 300
MAX_REPLY = 1200  # the longest possible reply (max_blocks longest blocks + footer)
STALE_AFTER_DAYS = 183


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CategoryModel(_Model):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=32)
    title: str = Field(min_length=1, max_length=64)
    reply: str = Field(min_length=1)
    words: list[str] = []
    phrases: list[str] = []
    together: list[str] = []
    exactly: list[str] = []
    cues: list[str] = []


class SafetyModel(_Model):
    checked_on: str
    max_blocks: int = Field(default=3, ge=1, le=5)
    footer: str = Field(min_length=1)
    aliases: dict[str, str] = {}
    groups: dict[str, str] = {}
    safe_phrases: list[str] = []
    categories: list[CategoryModel] = Field(min_length=1)

    @field_validator("aliases", mode="before")
    @classmethod
    def _aliases(cls, v: Any) -> Any:
        # YAML reads `r: are` fine, but `n: and`... as booleans in YAML 1.1 keys; normalise.
        if isinstance(v, dict):
            return {str(k).lower(): str(val).lower() for k, val in v.items()}
        return v


# A handful of words that would flood the reply if listed alone (checked against the lexicon's
# single-word patterns only).
_STOP_WORDS = frozenset(
    "a an and are as at be but by do for from get go had has have he her him his i in is it me "
    "my no not now of on or our she so that the them they this to up us was we what when who "
    "will with you your help please".split()
)


Add = Callable[[tuple[Any, ...], str], None]  # reports a problem at a place in the file


def load_safety(col: Collector, path: Path) -> Lexicon | None:
    """Load and check content/safety.yaml; report problems to `col` (col.add(path, line, msg))."""
    loaded = load_mapping(
        col,
        path,
        SafetyModel,
        missing="the bot cannot recognise people in danger without it",
        shape="footer:, safe_phrases:, categories: ...",
    )
    if loaded is None:
        return None
    raw, m = loaded
    before = len(col.problems)

    def add(loc: tuple[Any, ...], message: str) -> None:
        col.add(path, line_of(raw, loc), message)

    _check_checked_on(col, path, raw, m, add)
    _check_top(add, m)
    seen: dict[str, int] = {}
    for ci, c in enumerate(m.categories):
        _check_category(add, ci, c, seen, m.groups)
    _check_longest_reply(add, m)
    if len(col.problems) > before:
        return None
    return _lexicon(m)


def _check_checked_on(col: Collector, path: Path, raw: Any, m: SafetyModel, add: Add) -> None:
    """checked_on is a date, and not an old one (a warning: helplines change)."""
    try:
        checked = date.fromisoformat(m.checked_on)
        age = (date.today() - checked).days
        if age > STALE_AFTER_DAYS:
            col.warn(
                path,
                line_of(raw, ("checked_on",)),
                f"numbers and links were last checked {age} days ago: check them again",
            )
    except ValueError:
        add(("checked_on",), f"{m.checked_on!r} is not a date like 2026-11-24")


def _check_top(add: Add, m: SafetyModel) -> None:
    """The footer, the aliases and the safe phrases."""
    problem = html_problem(m.footer)
    if problem:
        add(("footer",), f"footer: {problem}")
    if len(m.footer) > MAX_FOOTER:
        add(("footer",), f"footer: {len(m.footer)} characters, keep it under {MAX_FOOTER}")
    for alias, meant in m.aliases.items():
        if len(words_of(alias)) != 1 or not words_of(meant):
            add(("aliases", alias), f"alias {alias!r}: one typed word to one or more words")
    for i, phrase in enumerate(m.safe_phrases):
        if not words_of(phrase):
            add(("safe_phrases", i), "an empty safe phrase")


def _check_category(
    add: Add, ci: int, c: CategoryModel, seen: dict[str, int], groups: dict[str, str]
) -> None:
    """One category: its id (unique), reply, and every word and phrase (`seen`: ids so far)."""
    loc = ("categories", ci)
    if c.id in seen:
        add((*loc, "id"), f"category id {c.id!r} is used twice")
    seen[c.id] = ci
    problem = html_problem(c.reply)
    if problem:
        add((*loc, "reply"), f"reply: {problem}")
    if len(c.reply) > MAX_BLOCK:
        add((*loc, "reply"), f"reply: {len(c.reply)} characters, keep it under {MAX_BLOCK}")
    if not (c.words or c.phrases or c.together or c.exactly):
        add(loc, f"category {c.id!r} has no words or phrases: nothing would match it")
    if c.cues and ci != 0:
        add((*loc, "cues"), "cues only make sense in the first (most urgent) category")
    for j, w in enumerate(c.words):
        _check_word(add, (*loc, "words", j), w)
    for key in ("phrases", "cues"):
        for j, p in enumerate(getattr(c, key)):
            _check_phrase(add, (*loc, key, j), p)
    for key in ("words", "phrases", "together", "cues"):
        for j, p in enumerate(getattr(c, key)):
            for g in _unknown_groups(p, groups):
                add((*loc, key, j), f"@{g}: no such group under groups:")
    for j, p in enumerate(c.together):
        if len([g for g in p.split("+") if words_of(g.replace("|", " "))]) < 2:
            add((*loc, "together", j), f"{p!r}: give two or more groups joined by +")


def _check_longest_reply(add: Add, m: SafetyModel) -> None:
    """The longest possible reply (max_blocks longest blocks + footer) fits MAX_REPLY."""
    blocks = sorted((len(c.reply) for c in m.categories), reverse=True)[: m.max_blocks]
    worst = sum(blocks) + len(m.footer) + 2 * len(blocks)
    if worst > MAX_REPLY:
        add(
            ("max_blocks",),
            f"the longest possible reply is {worst} characters (over {MAX_REPLY}, about two"
            " phone screens): shorten replies or lower max_blocks",
        )


def _lexicon(m: SafetyModel) -> Lexicon:
    """The checked file as the domain's Lexicon."""
    return Lexicon(
        categories=tuple(
            Category(
                id=c.id,
                title=c.title,
                reply=c.reply.strip(),
                words=tuple(c.words),
                phrases=tuple(c.phrases),
                together=tuple(c.together),
                exactly=tuple(c.exactly),
                cues=tuple(c.cues),
            )
            for c in m.categories
        ),
        safe_phrases=tuple(m.safe_phrases),
        aliases=dict(m.aliases),
        groups={
            k: tuple(a.strip() for a in v.split("|") if a.strip()) for k, v in m.groups.items()
        },
        footer=m.footer.strip(),
        max_blocks=m.max_blocks,
    )


def _unknown_groups(text: str, groups: dict[str, str]) -> list[str]:
    return [g for g in re.findall(r"@([a-z_]+)", text) if g not in groups]


def _check_word(
    add: Any, loc: tuple[Any, ...], word: str, too_common: frozenset[str] = _STOP_WORDS
) -> None:
    text = word.rstrip("*").removeprefix("=")
    parts = words_of(text)
    if "*" in text:
        add(loc, f"{word!r}: * may only end a word")
    elif not parts:
        add(loc, f"{word!r}: nothing to match")
    elif len(parts) == 1 and parts[0] in too_common:
        add(loc, f"{word!r} is too common to mean danger on its own: use it in a phrase")
    elif word.endswith("*") and len(parts[0]) < 4:
        add(loc, f"{word!r}: a * word needs at least 4 letters before the *")


def _check_phrase(add: Any, loc: tuple[Any, ...], phrase: str) -> None:
    slots = phrase.split()
    if not slots:
        add(loc, "an empty phrase")
        return
    for slot in slots:
        for alt in slot.split("|"):
            alt = alt.removeprefix("=")
            if not alt or "*" in alt.rstrip("*") or not words_of(alt.rstrip("*")):
                add(loc, f"{phrase!r}: {slot!r} is not a word or words separated by |")
                return
            if alt.endswith("*") and len(alt) < 5:
                add(loc, f"{phrase!r}: a * word needs at least 4 letters before the *")
                return


def nag_place_names(content: Any) -> list[str]:  # Any: bot.content.Content (imported by it)
    """Every NAG's name, areas and venue."""
    return [x for n in content.nags for x in (n.name, *n.areas, n.venue.name)]


def place_names(content: Any) -> list[str]:
    """Names the bot itself uses, which must never raise an alarm on their own: the NAGs'
    places and the campaigns' and surveys' titles."""
    names = nag_place_names(content)
    names += [c.title for c in content.campaigns]
    names += [s.title for s in content.surveys]
    return names
