"""Plain-English checks for `check-content`: warnings (not errors) for a message longer than one
phone screen or a sentence longer than GOV.UK's 20 words, with file and line.

Measured on what a person reads: tags dropped, entities decoded, and each {placeholder} counted
as a typical filled-in value. Officer-only texts are held to the same aim: they are read on a
phone too. Pure: no telegram, no SQL.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from bot.content.base import Collector
from bot.content.yamlines import LineDict, LineList, YamlProblem, load_yaml
from bot.telegram.limits import MAX_SCREEN, MAX_SENTENCE_WORDS

PLACEHOLDER = re.compile(r"\{[a-z_]+\}")
TYPICAL_VALUE = "x" * 12  # a name, a date or a number, as filled in
TAG = re.compile(r"<[^<>]*>")
SENTENCE_END = re.compile(r"(?<=[.!?…])\s+|\n+")
WORD = re.compile(r"[^\W_]+(?:[’'.@/-][^\W_]+)*")
# Fields of the other content files that residents read as prose.
PROSE_FIELDS = frozenset({"summary", "tips", "text", "intro", "thanks", "privacy", "reply"})


def visible(template: str) -> str:
    """What a person reads, with each placeholder as a typical value."""
    return html.unescape(TAG.sub("", PLACEHOLDER.sub(TYPICAL_VALUE, template)))


def longest_sentence(text: str) -> tuple[int, str]:
    """(words, first words) of the longest sentence; a list item or line counts as one."""
    best = (0, "")
    for sentence in SENTENCE_END.split(text):
        words = WORD.findall(sentence)
        if len(words) > best[0]:
            best = (len(words), " ".join(words[:6]))
    return best


def problems(text: str, what: str) -> Iterator[str]:
    shown = visible(text)
    if len(shown) > MAX_SCREEN:
        yield (
            f"{what} is {len(shown)} characters: aim for at most {MAX_SCREEN} "
            "(one phone screen), or split it"
        )
    words, start = longest_sentence(shown)
    if words > MAX_SENTENCE_WORDS:
        yield (
            f"{what} has a sentence of {words} words (“{start}…”): aim for at most "
            f"{MAX_SENTENCE_WORDS}"
        )


def check_texts(col: Collector, path: Path, strings: dict[str, str], lines: dict[str, int]) -> None:
    """texts.*.yaml: each message (buttons and the command menu are too short to matter)."""
    for key, value in strings.items():
        if key.startswith(("button.", "command.", "calendar.")):
            continue
        for problem in problems(value, key):
            col.warn(path, lines.get(key, 1), problem)


def _prose(node: Any, line: int, field: str | None) -> Iterator[tuple[int, str, str]]:
    """(line, field, text) of every prose string under `node`."""
    if isinstance(node, LineDict):
        for key, value in node.items():
            yield from _prose(value, node.key_lines.get(key, line), str(key))
    elif isinstance(node, LineList):
        for i, value in enumerate(node):
            yield from _prose(
                value, node.item_lines[i] if i < len(node.item_lines) else line, field
            )
    elif isinstance(node, str) and field in PROSE_FIELDS:
        yield line, field, node


def check_files(col: Collector, paths: Iterable[Path]) -> None:
    """Campaign summaries and tips, survey questions and intros, safeguarding replies."""
    for path in paths:
        try:
            raw = load_yaml(path)
        except (OSError, YamlProblem):
            continue  # reported by the file's own loader
        for line, field, text in _prose(raw, 1, None):
            for problem in problems(text, field):
                col.warn(path, line, problem)
