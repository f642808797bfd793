"""content/<lang>/: translations of campaigns, NAG cards and surveys, laid over the English.

Each file is keyed by the ids of the English files and holds only the words to translate;
anything it leaves out stays English, field by field (a list of entries with `id:`, as in the
English files, is read the same way):

    content/pl/campaigns.yaml      campaigns: {<id>: {title, summary, tips: [...],
                                                      messages: {<message id>: text}}}
    content/pl/nags.yaml           nags: {<id>: {priorities: [...], accessibility}}
                                   (names, places and venues stay as they are)
    content/pl/surveys/<file>.yaml title, intro, privacy, thanks,
                                   questions: {<id>: {text, low, high,
                                                      options: {<option id>: label}}}

Answers are stored by option id, so a survey's results merge across languages. Problems are
reported as file:line like the rest of the content. Imports neither telegram nor SQL.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from bot.content.base import Collector, load_file
from bot.content.campaigns import Campaign
from bot.content.nags import Nag
from bot.content.surveys import Option, Question, Survey
from bot.content.yamlines import LineDict, LineList, line_of
from bot.telegram.limits import MAX_BUTTON_LABEL, MAX_MESSAGE

Add = Callable[[tuple[Any, ...], str], None]


@dataclass(frozen=True)
class Overlaid:
    """One language's campaigns, NAGs and surveys, and how many of each it translates."""

    campaigns: tuple[Campaign, ...]
    nags: tuple[Nag, ...]
    surveys: tuple[Survey, ...]
    translated: dict[str, int]  # "campaigns", "nags", "surveys" -> how many translated


def overlay(
    col: Collector,
    folder: Path,
    campaigns: tuple[Campaign, ...],
    nags: tuple[Nag, ...],
    surveys: tuple[Survey, ...],
    yes_no: tuple[str, str],
) -> Overlaid:
    """The English content with content/<lang>/'s translations laid over it."""
    camp = _entries(col, folder / "campaigns.yaml", "campaigns", {c.id for c in campaigns})
    nag = _entries(col, folder / "nags.yaml", "nags", {n.id for n in nags})
    out_campaigns = tuple(_campaign(c, *camp[c.id]) if c.id in camp else c for c in campaigns)
    out_nags = tuple(_nag(n, *nag[n.id]) if n.id in nag else n for n in nags)
    out_surveys = []
    done = 0
    for s in surveys:
        path = folder / "surveys" / s.file
        raw = load_file(col, path) if s.file and path.is_file() else None
        if isinstance(raw, LineDict):
            done += 1
            out_surveys.append(_survey(s, raw, _adder(col, path, raw), yes_no))
        else:
            if raw is not None:
                col.add(path, 1, "the file must be a mapping: title:, intro:, questions: ...")
            out_surveys.append(_yes_no(s, yes_no))
    counts = {"campaigns": len(camp), "nags": len(nag), "surveys": done}
    return Overlaid(out_campaigns, out_nags, tuple(out_surveys), counts)


def by_id(value: Any, field: str | None = None) -> Any:
    """A list of entries with ids (`- {id: x, ...}`, the English files' shape) as a mapping by
    id, so a translation may copy the English layout; `field`: each entry's one text (an
    option's label, a message's text). Anything else is returned as it is."""
    if not isinstance(value, LineList) or not all(isinstance(v, dict) and "id" in v for v in value):
        return value
    out = LineDict()
    out.line = value.line
    out.key_lines = {}
    for i, entry in enumerate(value):
        key = str(entry["id"])
        rest = LineDict({k: v for k, v in entry.items() if k != "id"})
        rest.line, rest.key_lines = value.item_lines[i], getattr(entry, "key_lines", {})
        out[key] = rest.get(field) if field else rest
        out.key_lines[key] = value.item_lines[i]
    return out


def _adder(col: Collector, path: Path, raw: Any) -> Add:
    def add(loc: tuple[Any, ...], message: str) -> None:
        col.add(path, line_of(raw, loc), message)

    return add


def _entries(
    col: Collector, path: Path, key: str, ids: set[str]
) -> dict[str, tuple[LineDict, Add, tuple[Any, ...]]]:
    """The translated entries under `key` by id (an optional file: none when it is absent)."""
    if not path.is_file():
        return {}
    raw = load_file(col, path)
    if raw is None:
        return {}
    add = _adder(col, path, raw)
    entries = by_id(raw.get(key)) if isinstance(raw, LineDict) else None
    if not isinstance(entries, LineDict):
        add((), f"the file must hold {key}: with one entry per id of the English file")
        return {}
    out = {}
    for id_, entry in entries.items():
        if id_ not in ids:
            add((key, id_), f"{id_!r}: no such id in the English {path.name}")
        elif not isinstance(entry, LineDict):
            add((key, id_), f"{id_!r}: give the translated fields under it")
        else:
            out[str(id_)] = (entry, add, (key, id_))
    return out


def _text(
    entry: LineDict, field: str, add: Add, loc: tuple[Any, ...], limit: int = MAX_MESSAGE
) -> str | None:
    value = entry.get(field)
    if value is None:
        return None
    if not isinstance(value, str | int | float) or not str(value).strip():
        add((*loc, field), f"{field}: must be some text")
        return None
    text = str(value).strip()
    if len(text) > limit:
        add((*loc, field), f"{field}: {len(text)} characters, over Telegram's {limit}")
    return text


def _texts(entry: LineDict, field: str, add: Add, loc: tuple[Any, ...]) -> tuple[str, ...] | None:
    value = entry.get(field)
    if value is None:
        return None
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        add((*loc, field), f"{field}: must be a list of texts")
        return None
    return tuple(v.strip() for v in value)


def _unknown(entry: LineDict, allowed: set[str], add: Add, loc: tuple[Any, ...]) -> None:
    for field in set(entry) - allowed:
        add((*loc, field), f"{field}: not a translatable field ({', '.join(sorted(allowed))})")


def _campaign(c: Campaign, entry: LineDict, add: Add, loc: tuple[Any, ...]) -> Campaign:
    _unknown(entry, {"title", "summary", "tips", "messages"}, add, loc)
    messages = by_id(entry.get("messages"), "text") or LineDict()
    if not isinstance(messages, LineDict):
        add((*loc, "messages"), "messages: one translated text per message id")
        messages = LineDict()
    ids = {m.id for m in c.messages}
    for mid in set(messages) - ids:
        add((*loc, "messages", mid), f"{mid!r}: campaign {c.id} has no such message")
    out_messages = tuple(
        replace(m, text=_text(messages, m.id, add, (*loc, "messages")) or m.text)
        if m.text and m.id in messages
        else m
        for m in c.messages
    )
    return replace(
        c,
        title=_text(entry, "title", add, loc, MAX_BUTTON_LABEL) or c.title,
        summary=_text(entry, "summary", add, loc) or c.summary,
        tips=_texts(entry, "tips", add, loc) or c.tips,
        messages=out_messages,
    )


def _nag(n: Nag, entry: LineDict, add: Add, loc: tuple[Any, ...]) -> Nag:
    _unknown(entry, {"priorities", "accessibility"}, add, loc)
    priorities = _texts(entry, "priorities", add, loc)
    if priorities is not None and len(priorities) != len(n.priorities):
        add((*loc, "priorities"), f"priorities: {len(n.priorities)}, as in English")
        priorities = None
    access = _text(entry, "accessibility", add, loc)
    venue = n.venue.model_copy(update={"accessibility": access}) if access else n.venue
    return replace(n, priorities=priorities or n.priorities, venue=venue)


def _yes_no(s: Survey, yes_no: tuple[str, str]) -> Survey:
    return replace(s, questions=tuple(replace(q, yes_no=yes_no) for q in s.questions))


def _survey(s: Survey, raw: LineDict, add: Add, yes_no: tuple[str, str]) -> Survey:
    _unknown(raw, {"title", "intro", "privacy", "thanks", "questions"}, add, ())
    questions = by_id(raw.get("questions")) or LineDict()
    if not isinstance(questions, LineDict):
        add(("questions",), "questions: one entry per question id")
        questions = LineDict()
    for qid in set(questions) - {q.id for q in s.questions}:
        add(("questions", qid), f"{qid!r}: survey {s.id} has no such question")
    out = []
    for q in s.questions:
        entry = questions.get(q.id)
        if isinstance(entry, LineDict):
            out.append(_question(q, entry, add, ("questions", q.id), yes_no))
        else:
            out.append(replace(q, yes_no=yes_no))
    return replace(
        s,
        title=_text(raw, "title", add, (), MAX_BUTTON_LABEL) or s.title,
        intro=_text(raw, "intro", add, ()) or s.intro,
        privacy=_text(raw, "privacy", add, ()) or s.privacy,
        thanks=_text(raw, "thanks", add, ()) or s.thanks,
        questions=tuple(out),
    )


def _question(
    q: Question, entry: LineDict, add: Add, loc: tuple[Any, ...], yes_no: tuple[str, str]
) -> Question:
    _unknown(entry, {"text", "low", "high", "options"}, add, loc)
    labels = by_id(entry.get("options"), "label") or LineDict()
    if not isinstance(labels, LineDict):
        add((*loc, "options"), "options: one label per option id")
        labels = LineDict()
    for oid in set(labels) - {o.id for o in q.options}:
        add((*loc, "options", oid), f"{oid!r}: question {q.id} has no such option")
    options = tuple(
        Option(o.id, _text(labels, o.id, add, (*loc, "options"), MAX_BUTTON_LABEL) or o.label)
        for o in q.options
    )
    return replace(
        q,
        text=_text(entry, "text", add, loc) or q.text,
        low=_text(entry, "low", add, loc, MAX_BUTTON_LABEL) or q.low,
        high=_text(entry, "high", add, loc, MAX_BUTTON_LABEL) or q.high,
        options=options,
        yes_no=yes_no,
    )
