"""content/<lang>/safety.yaml and intents.yaml: another language's words for the same help and
the same features, added to the English lexicons (residents mix languages, and an English word
must still be understood from someone who reads Polish).

    content/pl/safety.yaml   footer: (optional), safe_phrases: [...], aliases: {...},
                             categories: {<English category id>: {words, phrases, together,
                                          exactly, cues, reply (optional: English otherwise)}}
    content/pl/intents.yaml  aliases: {...}, intents: {<intent id>: [phrases ...] or
                             {words, phrases, together, exactly}}

Words and phrases follow the rules of content/safety.yaml and are checked the same way. Imports
neither telegram nor SQL.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from bot.content.base import Collector, load_file
from bot.content.safety import MAX_BLOCK, MAX_FOOTER, _check_phrase, _check_word
from bot.content.yamlines import LineDict, line_of
from bot.domain.safety import Category, Lexicon, words_of
from bot.telegram.htmlcheck import html_problem

PATTERNS = ("words", "phrases", "together", "exactly", "cues")


def _strings(value: Any) -> tuple[str, ...] | None:
    if isinstance(value, list) and all(isinstance(v, str | int) for v in value):
        return tuple(str(v) for v in value)
    return None


class _File:
    """One overlay file being read: its data and where to report."""

    def __init__(self, col: Collector, path: Path, raw: LineDict) -> None:
        self.col, self.path, self.raw = col, path, raw

    def add(self, loc: tuple[Any, ...], message: str) -> None:
        self.col.add(self.path, line_of(self.raw, loc), message)

    def patterns(self, entry: Any, loc: tuple[Any, ...], allowed: tuple[str, ...]) -> dict:
        """The word lists of one category or intent, checked (a bare list is its phrases)."""
        if _strings(entry) is not None:
            entry = {"phrases": entry}
        if not isinstance(entry, dict):
            self.add(loc, "give words:, phrases: ... under it")
            return {}
        out: dict[str, Any] = {}
        for key, value in entry.items():
            if key == "reply":
                out[key] = value
                continue
            items = _strings(value)
            if key not in allowed or items is None:
                self.add((*loc, key), f"{key}: a list under one of {', '.join(allowed)}")
                continue
            for j, item in enumerate(items):
                if key == "words":
                    _check_word(self.add, (*loc, key, j), item, too_common=frozenset())
                elif key in ("phrases", "cues"):
                    _check_phrase(self.add, (*loc, key, j), item)
            out[key] = items
        return out


def _open(col: Collector, path: Path) -> _File | None:
    if not path.is_file():
        return None
    raw = load_file(col, path)
    if raw is None:
        return None
    if not isinstance(raw, LineDict):
        col.add(path, 1, "the file must be a mapping (see the English file's header)")
        return None
    return _File(col, path, raw)


def _extended(c: Category, extra: dict[str, Any]) -> Category:
    added: dict[str, Any] = {k: (*getattr(c, k), *extra[k]) for k in PATTERNS if k in extra}
    return replace(c, **added)


def _alternatives(value: Any) -> tuple[str, ...]:
    return tuple(a.strip() for a in str(value).split("|") if a.strip())


def _common(f: _File, base: Lexicon) -> dict[str, Any]:
    """aliases:, groups: and safe_phrases: added to the English ones."""
    aliases = f.raw.get("aliases") or {}
    groups = f.raw.get("groups") or {}
    safe = _strings(f.raw.get("safe_phrases") or []) or ()
    if not isinstance(aliases, dict) or not isinstance(groups, dict):
        f.add((), "aliases: and groups: must be mappings")
        return {}
    for alias in aliases:
        if len(words_of(str(alias))) != 1:
            f.add(("aliases", alias), f"alias {alias!r}: one typed word to one or more words")
    return {
        "aliases": {**base.aliases, **{str(k).lower(): str(v).lower() for k, v in aliases.items()}},
        "groups": {**base.groups, **{k: _alternatives(v) for k, v in groups.items()}},
        "safe_phrases": (*base.safe_phrases, *safe),
    }


def safety_in(col: Collector, folder: Path, base: Lexicon) -> tuple[Lexicon, int]:
    """The English lexicon with content/<lang>/safety.yaml added; how many categories it has."""
    f = _open(col, folder / "safety.yaml")
    if f is None:
        return base, 0
    unknown = set(f.raw) - {"footer", "aliases", "groups", "safe_phrases", "categories"}
    for key in unknown:
        f.add((key,), f"{key}: unknown (footer, aliases, groups, safe_phrases, categories)")
    cats = f.raw.get("categories") or LineDict()
    if not isinstance(cats, dict):
        f.add(("categories",), "categories: one entry per category id of content/safety.yaml")
        return base, 0
    ids = {c.id for c in base.categories}
    found: dict[str, dict[str, Any]] = {}
    for cid, entry in cats.items():
        loc = ("categories", cid)
        if cid not in ids:
            f.add(loc, f"{cid!r}: no such category in content/safety.yaml")
            continue
        found[cid] = f.patterns(entry, loc, PATTERNS)
        reply = found[cid].get("reply")
        if reply is not None and (not isinstance(reply, str) or len(reply) > MAX_BLOCK):
            f.add((*loc, "reply"), f"reply: some text of at most {MAX_BLOCK} characters")
        elif reply is not None and (problem := html_problem(reply)):
            f.add((*loc, "reply"), f"reply: {problem}")
    footer = f.raw.get("footer")
    if footer is not None and (not isinstance(footer, str) or len(footer) > MAX_FOOTER):
        f.add(("footer",), f"footer: some text of at most {MAX_FOOTER} characters")
        footer = None
    categories = tuple(
        replace(
            _extended(c, found.get(c.id, {})),
            reply=str(found.get(c.id, {}).get("reply") or c.reply).strip(),
        )
        for c in base.categories
    )
    lexicon = replace(
        base, categories=categories, footer=str(footer or base.footer).strip(), **_common(f, base)
    )
    return lexicon, len(found)


def intents_in(col: Collector, folder: Path, base: Lexicon) -> tuple[Lexicon, int]:
    """The English intents with content/<lang>/intents.yaml added; how many intents it has."""
    f = _open(col, folder / "intents.yaml")
    if f is None:
        return base, 0
    for key in set(f.raw) - {"aliases", "groups", "intents"}:
        f.add((key,), f"{key}: unknown (aliases, groups, intents)")
    entries = f.raw.get("intents") or LineDict()
    if not isinstance(entries, dict):
        f.add(("intents",), "intents: one entry per intent id of content/intents.yaml")
        return base, 0
    ids = {c.id for c in base.categories}
    found: dict[str, dict[str, Any]] = {}
    for iid, entry in entries.items():
        if iid not in ids:
            f.add(("intents", iid), f"{iid!r}: no such intent in content/intents.yaml")
            continue
        found[iid] = f.patterns(entry, ("intents", iid), PATTERNS[:4])
    categories = tuple(_extended(c, found.get(c.id, {})) for c in base.categories)
    return replace(base, categories=categories, **_common(f, base)), len(found)
