"""content/frames.yaml and content/<lang>/frames.yaml: each language's words for how a message
frames what it mentions (happening now, in the past, asking for tips or information, an age),
loaded into bot/domain/frames.py's FrameWords.

    now: [phrases], past: [phrases], asking: [phrases], opinion: [phrases], joke: [phrases],
    ages: {before: [words], after: [words]}, story: [words]

A phrase is words in order, written as the bot reads a message (bot/domain/words.py: lower case,
no apostrophes, Polish letters without their accents, which the loader applies itself), with |
for alternatives in one place ("last night|week"). Every key is optional, and so is the file: a
content folder without one has no frames (the model then learns without them). A language's file
is added to the English one, as its safety words are (bot/content/lexicons.py). Imports neither
telegram nor SQL.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bot.content.base import Collector, load_file
from bot.content.yamlines import LineDict, LineList, line_of
from bot.domain.frames import ASKING, JOKE, NOW, OPINION, PAST, FrameWords
from bot.domain.words import words_of

PHRASE_KEYS = (NOW, PAST, ASKING, OPINION, JOKE)
AGE_KEYS = ("before", "after")
MAX_PLACES = 8  # words in one phrase
MAX_ALTERNATIVES = 400  # word sequences one phrase stands for (its alternatives multiplied)


class _File:
    def __init__(self, col: Collector, path: Path, raw: LineDict) -> None:
        self.col, self.path, self.raw = col, path, raw

    def add(self, loc: tuple[Any, ...], message: str) -> None:
        self.col.add(self.path, line_of(self.raw, loc), message)

    def items(self, loc: tuple[Any, ...]) -> list[tuple[int, str]]:
        """The strings of the list at `loc`, each with its index (problems for the others)."""
        value: Any = self.raw
        for part in loc:
            value = value[part]
        if not isinstance(value, LineList):
            self.add(loc, f"{loc[-1]}: a list of phrases, one per line starting with '- '")
            return []
        out = []
        for i, item in enumerate(value):
            if isinstance(item, bool) or not isinstance(item, str | int):
                self.add(
                    (*loc, i),
                    "YAML reads no, yes, on, off as true or false: write the phrase in quotes"
                    if isinstance(item, bool)
                    else f"{item!r}: a phrase, not a list or map",
                )
                continue
            out.append((i, str(item)))
        return out


def _phrase(f: _File, loc: tuple[Any, ...], text: str) -> str | None:
    """`text` as the bot reads it, or None with a problem at its line."""
    places = text.split()
    if not 0 < len(places) <= MAX_PLACES:
        f.add(loc, f"{text!r}: a phrase of 1 to {MAX_PLACES} words")
        return None
    out, count = [], 1
    for place in places:
        alternatives = place.split("|")
        norm = [words_of(a) for a in alternatives]
        if any(len(w) != 1 for w in norm):
            f.add(loc, f"{text!r}: {place!r} is not one word or word|word (no punctuation, "
                       "nothing empty between |)")  # fmt: skip
            return None
        count *= len(alternatives)
        out.append("|".join(w[0] for w in norm))
    if count > MAX_ALTERNATIVES:
        f.add(loc, f"{text!r}: stands for {count} phrases; at most {MAX_ALTERNATIVES}")
        return None
    return " ".join(out)


def _phrases(f: _File, key: str) -> tuple[str, ...]:
    seen: dict[str, int] = {}
    out = []
    for i, text in f.items((key,)):
        phrase = _phrase(f, (key, i), text)
        if phrase is None:
            continue
        line = line_of(f.raw, (key, i))
        if phrase in seen:
            f.add((key, i), f"{text!r} is listed twice under {key}: (first on line {seen[phrase]})")
            continue
        seen[phrase] = line
        out.append(phrase)
    return tuple(out)


def _words(f: _File, loc: tuple[Any, ...]) -> tuple[str, ...]:
    """The single words of the list at `loc` as the bot reads them (story, ages' lists)."""
    words = []
    for i, text in f.items(loc):
        norm = words_of(text)
        if len(norm) != 1 or "|" in text:
            f.add((*loc, i), f"{text!r}: one word, as the bot reads it ('im')")
            continue
        words.append(norm[0])
    return tuple(dict.fromkeys(words))


def _ages(f: _File) -> tuple[tuple[str, ...], tuple[str, ...]]:
    ages = f.raw.get("ages")
    if ages is None:
        return (), ()
    if not isinstance(ages, LineDict):
        f.add(("ages",), "ages: give before: [words] and after: [words] under it")
        return (), ()
    for key in set(ages) - set(AGE_KEYS):
        f.add(("ages", key), f"{key}: unknown under ages (before, after)")
    before, after = (_words(f, ("ages", key)) if key in ages else () for key in AGE_KEYS)
    return before, after


def load_frames(col: Collector, path: Path) -> FrameWords:
    """The frame words of one file (none when there is no file; problems to `col` at their
    line)."""
    if not path.is_file():
        return FrameWords()
    raw = load_file(col, path)
    if raw is None:
        return FrameWords()
    if not isinstance(raw, LineDict):
        col.add(path, getattr(raw, "line", 1) or 1,
                "the file must be a mapping: now:, past:, asking:, opinion:, joke:, story: (lists) "
                "and ages:")  # fmt: skip
        return FrameWords()
    f = _File(col, path, raw)
    for key in set(raw) - {*PHRASE_KEYS, "ages", "story"}:
        f.add((key,), f"{key}: unknown (now, past, asking, opinion, joke, ages, story)")
    phrases = tuple((k, _phrases(f, k)) for k in PHRASE_KEYS if k in raw)
    before, after = _ages(f)
    story = _words(f, ("story",)) if "story" in raw else ()
    return FrameWords(phrases=phrases, age_before=before, age_after=after, story=story)


def frames_in(col: Collector, folder: Path, base: FrameWords) -> FrameWords:
    """The English frame words with content/<lang>/frames.yaml's added."""
    path = folder / "frames.yaml"
    return base.merged(load_frames(col, path)) if path.is_file() else base
