"""content/examples/*.yaml: labelled messages the understanding layer learns from.

Editors teach the bot by example: a message residents might send, and what it is about. Three
kinds of list, in any file of the folder:

    danger:     # safeguarding: every topic whose help it needs, and topics also fair
      - {need: [domestic_abuse], fair: [emergency], text: "my ex keeps turning up at my door"}
    ordinary:   # no help wanted, even with a crime word in it; `intent` when it asks for one
      - {intent: campaigns, text: "fraud tips please"}
    messages:   # plain words: the feature asked for
      - {intent: next_meeting, text: "when do the olney lot meet"}

Checked here, as file:line: unknown topics and intents, a text given twice, and a text that two
intents (or help and no help) both claim. Imports neither telegram nor SQL.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.content.base import Collector, load_file
from bot.content.yamlines import LineDict, LineList, line_of
from bot.domain.words import words_of

# Labels of plain-words examples that are not intents the code routes: the area search takes
# them (a place or postcode, in or outside Milton Keynes).
AREA_LABELS = ("area", "outside_mk")


@dataclass(frozen=True)
class TopicExample:
    text: str
    need: frozenset[str] = frozenset()  # empty: ordinary, no help
    fair: frozenset[str] = frozenset()
    intent: str | None = None


@dataclass(frozen=True)
class Examples:
    topics: tuple[TopicExample, ...] = ()  # danger and ordinary
    intents: tuple[tuple[str, str], ...] = ()  # (text, intent)
    sources: tuple[str, ...] = field(default=(), compare=False)

    def topic_items(self) -> Iterator[TopicExample]:
        yield from self.topics

    def intent_items(self) -> Iterator[tuple[str, str]]:
        """Every labelled plain-words message, the ordinary ones with an intent included."""
        yield from self.intents
        for t in self.topics:
            if not t.need and t.intent:
                yield t.text, t.intent

    def key(self) -> tuple[Any, ...]:
        return (self.topics, self.intents)


def split(examples: Examples, k: int, folds: int) -> tuple[Examples, Examples]:
    """Fold `k` of `folds` held out (every folds-th example), the rest to train on."""
    topics, intents = examples.topics, examples.intents
    train = Examples(
        tuple(t for i, t in enumerate(topics) if i % folds != k),
        tuple(t for i, t in enumerate(intents) if i % folds != k),
    )
    test = Examples(
        tuple(t for i, t in enumerate(topics) if i % folds == k),
        tuple(t for i, t in enumerate(intents) if i % folds == k),
    )
    return train, test


def load_examples(
    col: Collector,
    directory: Path,
    topics: set[str] | None,
    intents: set[str],
    folder: str = "examples",
) -> Examples:
    """Every file of content/<folder>/ (examples/, or examples/<lang>/ for another language),
    checked against the topic and intent ids."""
    folder_path = directory / folder
    if not folder_path.is_dir():  # optional: without examples the rules alone decide
        return Examples()
    out_topics: list[TopicExample] = []
    out_intents: list[tuple[str, str]] = []
    claimed: dict[str, tuple[str, Path, int]] = {}  # normalised text -> (label, file, line)
    files = sorted(folder_path.glob("*.yaml"))
    for path in files:
        raw = load_file(col, path)
        if raw is None:
            continue
        if not isinstance(raw, LineDict) or not raw:
            col.add(
                path, 1, "the file must have a list under 'danger:', 'ordinary:' or 'messages:'"
            )
            continue
        for key in raw:
            if key not in ("danger", "ordinary", "messages"):
                col.add(
                    path,
                    line_of(raw, (key,)),
                    f"unknown list {key!r} (danger, ordinary or messages)",
                )
                continue
            items = raw[key]
            if not isinstance(items, LineList):
                col.add(path, line_of(raw, (key,)), f"'{key}:' must be a list of examples")
                continue
            for i, item in enumerate(items):
                line = line_of(raw, (key, i))
                ex = _example(col, path, line, key, item, topics, intents)
                if ex is None:
                    continue
                label = (
                    f"help for {', '.join(sorted(ex.need))}" if ex.need
                    else f"intent {ex.intent}" if ex.intent else "no help, no intent"
                )  # fmt: skip
                norm = " ".join(words_of(ex.text))
                if norm in claimed:
                    first, fpath, fline = claimed[norm]
                    where = f"{col._name(fpath)}:{fline}"
                    if first != label:
                        col.add(path, line, f"{ex.text!r} is also labelled {first!r} at {where}: "
                                "one message, one answer")  # fmt: skip
                    else:
                        col.add(path, line, f"{ex.text!r} is given twice (first at {where})")
                    continue
                claimed[norm] = (label, path, line)
                if key == "messages":
                    out_intents.append((ex.text, str(ex.intent)))
                else:
                    out_topics.append(ex)
    return Examples(tuple(out_topics), tuple(out_intents), tuple(p.name for p in files))


def _example(
    col: Collector,
    path: Path,
    line: int,
    key: str,
    item: Any,
    topics: set[str] | None,
    intents: set[str],
) -> TopicExample | None:
    if not isinstance(item, dict) or not isinstance(item.get("text"), str | int):
        col.add(path, line, 'an example needs text: "the message"')
        return None
    allowed = {"danger": {"text", "need", "fair"}, "ordinary": {"text", "intent"},
               "messages": {"text", "intent", "place", "postcode"}}[key]  # fmt: skip
    for unknown in set(item) - allowed:
        col.add(path, line, f"unknown key {unknown!r} (check the spelling)")
        return None
    text = str(item["text"]).strip()
    if not words_of(text):
        col.add(path, line, "the example has no words")
        return None
    intent = item.get("intent")
    if key == "messages" and not intent:
        col.add(path, line, "a plain-words example needs intent:")
        return None
    if intent is not None and intent not in intents and intent not in AREA_LABELS:
        col.add(path, line, f"unknown intent {intent!r}")
        return None
    if key != "danger":
        return TopicExample(text, intent=intent)
    need, fair = item.get("need"), item.get("fair") or []
    if not isinstance(need, list) or not need or not isinstance(fair, list):
        col.add(path, line, "a danger example needs need: [topic, ...] (and fair: [...] if any)")
        return None
    for t in [*need, *fair]:
        if topics is not None and t not in topics:
            col.add(path, line, f"unknown topic {t!r}")
            return None
    return TopicExample(text, frozenset(need), frozenset(fair) - frozenset(need))
