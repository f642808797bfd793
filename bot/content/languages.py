"""The languages the content speaks: what each texts.<lang>.yaml says of itself, and the checks
a translated text must pass against its English key.

English is complete; another language translates what it can and falls back to English per
key (texts, campaigns, NAG cards, surveys: bot/content/overlays.py). A language is `draft` until
a native speaker has reviewed it (`reviewed_by`); the bot offers only reviewed languages unless
the config's `languages.allow_drafts` is on. Imports neither telegram nor SQL.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from bot.content.base import Collector
from bot.telegram.htmlcheck import html_problem
from bot.telegram.limits import MAX_BUTTON_LABEL, MAX_COMMAND_DESCRIPTION, MAX_MESSAGE

Status = Literal["draft", "reviewed"]
CODE_RE = re.compile(r"^[a-z]{2,3}$")
_FORMATTER = string.Formatter()
NAME_LISTS = ("calendar.weekdays", "calendar.months", "calendar.months_short")  # a, b, ...


@dataclass(frozen=True)
class Language:
    code: str
    name: str  # in the language itself ("Polski"), on its button
    english_name: str
    status: Status = "draft"
    reviewed_by: str | None = None
    # Typed whole messages that switch to it ("po polsku"), besides its two names.
    phrases: tuple[str, ...] = ()

    @property
    def reviewed(self) -> bool:
        return self.status == "reviewed"


ENGLISH = Language("en", "English", "English", "reviewed", None, ("in english",))


def language_meta(col: Collector, path: Path, line: int, value: Any, code: str) -> Language | None:
    """The `language:` mapping at the top of texts.<code>.yaml (problems to `col`)."""
    if not isinstance(value, dict):
        col.add(path, line, "language: must be {code: ..., name: ..., english_name: ...,"
                " status: draft|reviewed, reviewed_by: ...}")  # fmt: skip
        return None
    known = {"code", "name", "english_name", "status", "reviewed_by", "phrases"}
    for key in set(value) - known:
        col.add(path, line, f"language: unknown key {key!r} (one of {', '.join(sorted(known))})")
    if value.get("code", code) != code:
        col.add(path, line, f"language: code {value.get('code')!r} but the file is for {code!r}")
    if not CODE_RE.match(code):
        col.add(path, line, f"{code!r} is not a language code like pl (ISO 639-1)")
    status = value.get("status", "draft")
    if status not in ("draft", "reviewed"):
        col.add(path, line, f"language: status {status!r} must be draft or reviewed")
        return None
    phrases = value.get("phrases") or []
    names = [value.get("name"), value.get("english_name")]
    if not all(isinstance(n, str) and n.strip() for n in names) or not isinstance(phrases, list):
        col.add(path, line, "language: name and english_name must be some text, phrases a list")
        return None
    reviewed_by = value.get("reviewed_by")
    return Language(
        code=code,
        name=str(value["name"]).strip(),
        english_name=str(value["english_name"]).strip(),
        status=status,
        reviewed_by=str(reviewed_by) if reviewed_by else None,
        phrases=tuple(str(p) for p in phrases),
    )


def placeholders(template: str) -> set[str]:
    try:
        return {f for _, f, _, _ in _FORMATTER.parse(template) if f}
    except ValueError:
        return set()


def check_translation(key: str, value: str, english: str | None) -> Iterator[str]:
    """What is wrong with one translated text: a key English does not have, other placeholders,
    HTML Telegram would refuse, or over Telegram's limits measured in this language."""
    if english is None:
        yield f"{key}: not a key of the English texts (check its spelling)"
        return
    mine, theirs = placeholders(value), placeholders(english)
    if mine != theirs:
        missing = ", ".join(f"{{{p}}}" for p in sorted(theirs - mine))
        extra = ", ".join(f"{{{p}}}" for p in sorted(mine - theirs))
        said = "; ".join(x for x in (missing and f"missing {missing}", extra and f"unknown {extra}")
                         if x)  # fmt: skip
        yield f"{key}: the placeholders must be those of English ({said})"
    problem = html_problem(value)
    if problem and not html_problem(english):
        yield f"{key}: {problem}"
    if key.startswith("button.") and len(value) > MAX_BUTTON_LABEL:
        yield f"{key}: {len(value)} characters, over Telegram's {MAX_BUTTON_LABEL} for a button"
    if key.startswith("command.") and len(value) > MAX_COMMAND_DESCRIPTION:
        yield f"{key}: command descriptions must be at most {MAX_COMMAND_DESCRIPTION} characters"
    if len(value) > MAX_MESSAGE:
        yield f"{key}: {len(value)} characters, over Telegram's {MAX_MESSAGE}"
    if key in NAME_LISTS and len(value.split(",")) != len(english.split(",")):
        yield f"{key}: {len(english.split(','))} names separated by commas, as in English"
