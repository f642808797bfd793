"""content/texts.<lang>.yaml: every sentence the bot says, by key, per language.

The keys the code may ask for are listed once, as a type (bot/content/keys.py: TextKey), so mypy
checks every call and the validator checks every key exists in English, without scanning the
source. Day and month names come from the texts too, never from the system locale.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import Any, get_args

from bot.content.base import Collector, load_file
from bot.content.keys import TextKey
from bot.content.languages import ENGLISH, Language, check_translation, language_meta
from bot.content.readability import check_texts
from bot.content.yamlines import LineDict
from bot.telegram.limits import MAX_BUTTON_LABEL, MAX_COMMAND_DESCRIPTION, MAX_MESSAGE


class Texts:
    """Every sentence the bot says, by key, for one language."""

    def __init__(
        self,
        lang: str,
        strings: dict[str, str],
        language: Language | None = None,
        own: frozenset[str] | None = None,
    ) -> None:
        self.lang = lang
        self._strings = dict(strings)
        # What texts.<lang>.yaml says of itself, and the keys it translates (the rest are
        # English: each key falls back on its own).
        self.language = language or Language(lang, lang, lang)
        self.own = frozenset(strings) if own is None else own

    def __contains__(self, key: str) -> bool:
        return key in self._strings

    def keys(self) -> Iterable[str]:
        return self._strings.keys()

    def get(self, key: TextKey, /, **kwargs: Any) -> str:
        template = self._strings[key]
        return template.format(**kwargs) if kwargs else template

    def _names(self, key: TextKey) -> list[str]:
        return [n.strip() for n in self._strings[key].split(",")]

    def weekday(self, d: date) -> str:
        """Monday, ... in this language (calendar.weekdays), never the system locale."""
        return self._names("calendar.weekdays")[d.weekday()]

    def month(self, d: date) -> str:
        return self._names("calendar.months")[d.month - 1]

    def month_short(self, d: date) -> str:
        return self._names("calendar.months_short")[d.month - 1]


_FORMATTER = string.Formatter()


def _load_file_texts(
    col: Collector,
    path: Path,
    meta: dict[str, Language] | None = None,
    where: dict[str, int] | None = None,
) -> dict[str, str]:
    """One file's key: text pairs (`meta` gets its `language:`, `where` each key's line)."""
    raw = load_file(col, path)
    if raw is None:
        return {}
    if not isinstance(raw, LineDict):
        col.add(path, 1, "the file must be a list of key: text pairs")
        return {}
    out: dict[str, str] = {}
    for key, value in raw.items():
        line = raw.key_lines.get(key, 1)
        if key == "language" and meta is not None:
            found = language_meta(col, path, line, value, path.name.split(".")[1])
            if found is not None:
                meta[found.code] = found
            continue
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
        if key.startswith("command.") and len(value) > MAX_COMMAND_DESCRIPTION:
            col.add(
                path,
                line,
                f"{key}: command descriptions must be at most {MAX_COMMAND_DESCRIPTION} characters",
            )
        out[str(key)] = value
        if where is not None:
            where[str(key)] = line
    if path.name.startswith("texts.en."):  # the readability rules are English ones
        check_texts(col, path, out, {str(k): v for k, v in raw.key_lines.items()})
    return out


def load_texts(col: Collector, directory: Path) -> dict[str, Texts]:
    """texts.<lang>.yaml (and texts.<lang>.<part>.yaml a feature keeps apart), per language.

    English is complete and checked against every key the code uses; another language holds
    the keys it translates, each checked against English (placeholders, HTML, Telegram's
    limits), and falls back to English per key for the rest (check-content reports how many).
    """
    texts: dict[str, Texts] = {}
    by_lang: dict[str, dict[str, str]] = {}
    files: dict[str, list[Path]] = {}
    lines: dict[str, dict[str, tuple[Path, int]]] = {}
    meta: dict[str, Language] = {}
    for path in sorted(directory.glob("texts.*.yaml")):
        lang = path.name.split(".")[1]
        strings = by_lang.setdefault(lang, {})
        files.setdefault(lang, []).append(path)
        at: dict[str, int] = {}
        for key, value in _load_file_texts(col, path, meta, at).items():
            if key in strings:
                col.add(path, 1, f"{key}: defined in two texts.{lang}.* files")
            strings[key] = value
            lines.setdefault(lang, {})[key] = (path, at.get(key, 1))
    en = by_lang.get("en", {})
    en_path = directory / "texts.en.yaml"
    if not en_path.exists():
        col.add(en_path, 1, "file is missing")
    texts["en"] = Texts("en", en, meta.get("en", ENGLISH))
    # A file that cannot be read has no keys: saying each is missing would bury its one slip.
    en_read = col.readable(*files.get("en", []))
    for lang, strings in by_lang.items():
        if lang == "en":
            continue
        language = meta.get(lang)
        if language is None and en_read and col.readable(*files[lang]):
            col.add(directory / f"texts.{lang}.yaml", 1, "language: {code: ..., name: ...,"
                    " english_name: ..., status: draft|reviewed} is missing")  # fmt: skip
        language = language or Language(lang, lang, lang)
        texts[lang] = Texts(lang, {**en, **strings}, language, frozenset(strings))
        if en_read and col.readable(*files[lang]):
            for key, value in strings.items():
                where, line = lines[lang][key]
                for problem in check_translation(key, value, en.get(key)):
                    col.add(where, line, problem)
    if not en_read:
        return texts
    used = set(get_args(TextKey))
    for missing in sorted(used - set(en)):
        col.add(en_path, 1, f"{missing}: the bot needs this text but it is missing")
    for unused in sorted(set(en) - used):
        col.warn(en_path, 1, f"{unused}: not used by the bot (remove it, or check its spelling)")
    return texts
