"""Survey rules, pure: who may answer, which question comes next, answer checks, progress,
results arithmetic with small-number suppression, and the pseudonymous respondent key.

Answers are `tuple[str, ...]` (one value for most types, several for multi-choice, ranked for
"top N") or None for a skipped question. Nothing here touches telegram or SQL.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from bot.surveys_content import END, Condition, Question, Survey

Answer = tuple[str, ...] | None
Answers = Mapping[str, Answer]
STOP_WORDS = frozenset({"stop", "cancel", "quit"})


def pseudonym(secret: str, chat_id: int) -> str:
    """HMAC-SHA256 of the chat id: responses are keyed by this, never by the chat id."""
    return hmac.new(secret.encode(), str(chat_id).encode(), hashlib.sha256).hexdigest()


# ---------------------------------------------------------------- availability

Status = Literal["upcoming", "open", "closed"]


def status(survey: Survey, today: date) -> Status:
    if today < survey.opens:
        return "upcoming"
    if today > survey.closes:
        return "closed"
    return "open"


def listed_for(survey: Survey, nag_id: str | None) -> bool:
    """Shown in /survey: everyone, or the resident's NAG is listed (link-only never listed)."""
    if survey.audience == "everyone":
        return True
    if survey.audience == "nags":
        return nag_id is not None and nag_id in survey.nags
    return False


def may_open(survey: Survey, nag_id: str | None, via_link: bool) -> bool:
    """A deep link opens link-only surveys too; NAG-limited surveys need the right NAG."""
    if survey.audience == "link":
        return via_link
    return listed_for(survey, nag_id)


# ---------------------------------------------------------------- flow


def holds(c: Condition, answers: Answers) -> bool:
    ans = answers.get(c.question)
    if not ans:
        return False
    if c.values and not set(ans) & set(c.values):
        return False
    if c.at_least is not None or c.at_most is not None:
        try:
            v = float(ans[0])
        except ValueError:
            return False
        if c.at_least is not None and v < c.at_least:
            return False
        if c.at_most is not None and v > c.at_most:
            return False
    return True


def visible(q: Question, answers: Answers) -> bool:
    return q.show_if is None or holds(q.show_if, answers)


def first_question(survey: Survey, answers: Answers | None = None) -> Question | None:
    return _first_visible_from(survey, 0, answers or {})


def _first_visible_from(survey: Survey, i: int, answers: Answers) -> Question | None:
    while i < len(survey.questions):
        q = survey.questions[i]
        if visible(q, answers):
            return q
        i += 1
    return None


def next_question(survey: Survey, current: Question, answers: Answers) -> Question | None:
    """The question after `current` given the answers so far; None means the survey is done."""
    target: str | None = None
    for jump in current.jumps:
        if holds(jump.when, answers):
            target = jump.goto
            break
    if target is None:
        target = current.goto
    if target == END:
        return None
    start = survey.index(target) if target else survey.index(current.id) + 1
    return _first_visible_from(survey, start, answers)


def route(survey: Survey, answers: Answers, until: str | None = None) -> list[Question]:
    """Questions asked, in order, following the answers (stops at `until` or the first gap)."""
    out: list[Question] = []
    q = first_question(survey, answers)
    while q is not None and q.id != until:
        out.append(q)
        if q.id not in answers:
            break
        q = next_question(survey, q, answers)
    return out


def previous_question(survey: Survey, current: str, answers: Answers) -> Question | None:
    """Where Back goes: the question asked before `current` on the resident's route."""
    before = route(survey, answers, until=current)
    if before and before[-1].id == current:  # `current` not on the route: go to its last step
        before = before[:-1]
    return before[-1] if before else None


def final_route(survey: Survey, answers: Answers) -> list[str] | None:
    """Question ids answered on a complete route, or None if some question is still due."""
    ids: list[str] = []
    q = first_question(survey, answers)
    while q is not None:
        if q.id not in answers:
            return None
        ids.append(q.id)
        q = next_question(survey, q, answers)
    return ids


def progress(survey: Survey, current: str, answers: Answers) -> tuple[int, int]:
    """("Question n of total"): total assumes unanswered questions take the default route."""
    done = route(survey, answers, until=current)
    n = len(done) + 1
    q = survey.question(current)
    total = n
    while q is not None:
        nxt = next_question(survey, q, answers) if q.id in answers else _default_next(survey, q)
        if nxt is None:
            break
        total += 1
        q = nxt
    return n, total


def _default_next(survey: Survey, q: Question) -> Question | None:
    if q.goto == END:
        return None
    start = survey.index(q.goto) if q.goto else survey.index(q.id) + 1
    # Questions depending on answers not yet given are left out of the estimate.
    while start < len(survey.questions):
        cand = survey.questions[start]
        if cand.show_if is None:
            return cand
        start += 1
    return None


# ---------------------------------------------------------------- answers


@dataclass(frozen=True)
class Invalid:
    """Why an answer was refused: a text key and its placeholders."""

    key: str
    values: dict[str, object] = field(default_factory=dict)


def parse_typed(q: Question, text: str) -> tuple[str, ...] | Invalid:
    """Check a typed answer; choice questions accept a label typed exactly (any case)."""
    text = text.strip()
    if q.type == "text":
        if not text:
            return Invalid("survey.bad_empty")
        if len(text) > q.max_length:
            return Invalid("survey.bad_too_long", {"max": q.max_length, "length": len(text)})
        return (text,)
    if q.type == "number":
        cleaned = text.replace(",", "")
        if not re.fullmatch(r"-?\d{1,9}", cleaned):
            return Invalid("survey.bad_number", _range(q))
        value = int(cleaned)
        if (q.min is not None and value < q.min) or (q.max is not None and value > q.max):
            return Invalid("survey.bad_range", _range(q))
        return (str(value),)
    if q.type == "rating":
        lo, hi = q.scale
        if re.fullmatch(r"\d{1,2}", text) and lo <= int(text) <= hi:
            return (str(int(text)),)
        return Invalid("survey.bad_rating", {"min": lo, "max": hi})
    if q.type == "yesno":
        word = text.lower().rstrip(".!")
        if word in ("yes", "y", "yeah", "yep"):
            return ("yes",)
        if word in ("no", "n", "nope"):
            return ("no",)
        return Invalid("survey.bad_choice")
    if q.type == "single":
        for o in q.options:
            if o.label.casefold() == text.casefold():
                return (o.id,)
        return Invalid("survey.bad_choice")
    # multi and top need the buttons: several picks can't be typed reliably.
    return Invalid("survey.bad_buttons")


def _range(q: Question) -> dict[str, object]:
    return {
        "min": q.min if q.min is not None else "any",
        "max": q.max if q.max is not None else "any",
    }


def button_answer(q: Question, value: str) -> tuple[str, ...] | None:
    """A single-press answer (single, yes/no, rating) if `value` is one of its buttons."""
    if q.type not in ("single", "yesno", "rating"):
        return None
    return (value,) if value in {o.id for o in q.choices()} else None


def toggle(q: Question, picks: tuple[str, ...], option: str) -> tuple[str, ...] | Invalid:
    """Add or remove a pick (multi, top); refuses more than the question allows."""
    if option not in {o.id for o in q.options}:
        return Invalid("survey.stale")
    if option in picks:
        return tuple(p for p in picks if p != option)
    limit = q.pick if q.type == "top" else (q.max or len(q.options))
    if len(picks) >= limit:
        return Invalid("survey.too_many", {"max": limit})
    return (*picks, option)


def check_picks(q: Question, picks: tuple[str, ...]) -> Invalid | None:
    """Done pressed: enough picks? (An optional question with no picks is a skip.)"""
    if q.type == "top":
        need = min(q.pick, len(q.options))
        if len(picks) != need and (picks or q.required):
            return Invalid("survey.pick_exactly", {"n": need})
        return None
    lo = q.min or 0
    if not picks and not q.required:
        return None
    if len(picks) < max(lo, 1):
        return Invalid("survey.too_few", {"min": max(lo, 1)})
    return None


def is_stop(text: str) -> bool:
    return text.strip().lower().rstrip(".!") in STOP_WORDS


# ---------------------------------------------------------------- results


@dataclass(frozen=True)
class Cell:
    """One option's figure: count and percentage, or suppressed (fewer than the threshold)."""

    label: str
    count: int | None  # None = suppressed
    percent: float | None


@dataclass(frozen=True)
class QuestionResult:
    question: Question
    answered: int | None  # None = suppressed
    cells: tuple[Cell, ...] = ()
    mean: float | None = None
    median: float | None = None


def suppress(count: int, min_count: int) -> int | None:
    """Small-number suppression: never show a count below the threshold."""
    return count if count >= min_count else None


def summarise(
    survey: Survey,
    answered: Mapping[str, int],
    values: Mapping[str, Mapping[str, int]],
    min_count: int,
) -> list[QuestionResult]:
    """Counts and percentages per question; any count under `min_count` is withheld."""
    out = []
    for q in survey.questions:
        n = answered.get(q.id, 0)
        counts = values.get(q.id, {})
        if n < min_count:
            out.append(QuestionResult(q, None))
            continue
        if q.type == "text":
            out.append(QuestionResult(q, n))
            continue
        if q.type == "number":
            mean, median = _number_stats(counts)
            out.append(QuestionResult(q, n, mean=mean, median=median))
            continue
        cells = []
        for o in q.choices():
            c = suppress(counts.get(o.id, 0), min_count)
            cells.append(Cell(o.label, c, None if c is None else 100.0 * c / n))
        mean = None
        if q.type == "rating":
            mean, _ = _number_stats(counts)
        out.append(QuestionResult(q, n, tuple(cells), mean=mean))
    return out


def _number_stats(counts: Mapping[str, int]) -> tuple[float | None, float | None]:
    items = sorted((float(v), c) for v, c in counts.items())
    total = sum(c for _, c in items)
    if not total:
        return None, None
    mean = sum(v * c for v, c in items) / total
    # Median from the value counts, without expanding them.
    mid_lo, mid_hi = (total - 1) // 2, total // 2
    seen = 0
    lo = hi = None
    for v, c in items:
        if lo is None and seen + c > mid_lo:
            lo = v
        if hi is None and seen + c > mid_hi:
            hi = v
            break
        seen += c
    assert lo is not None and hi is not None
    return mean, (lo + hi) / 2


@dataclass(frozen=True)
class TopResult:
    nag_id: str
    respondents: int | None  # None = suppressed (too few to show anything)
    top: tuple[Cell, ...]


def top_per_nag(
    q: Question,
    totals: Mapping[str, int],
    per_nag: Mapping[str, Mapping[str, tuple[int, int]]],
    min_count: int,
    n: int = 3,
) -> list[TopResult]:
    """Each NAG's top `n` priorities: most picked; a tie goes to the one ranked higher on
    average (smaller sum of 0-based ranks), then to the option order."""
    order = {o.id: i for i, o in enumerate(q.options)}
    out = []
    for nag in sorted(totals):
        total = totals[nag]
        if total < min_count:
            out.append(TopResult(nag, None, ()))
            continue
        counts = per_nag.get(nag, {})
        ranked = sorted(
            (v for v in counts if v in order),
            key=lambda v: (-counts[v][0], counts[v][1] / counts[v][0], order[v]),
        )[:n]
        cells = []
        for v in ranked:
            c = suppress(counts[v][0], min_count)
            cells.append(Cell(q.label(v), c, None if c is None else 100.0 * c / total))
        out.append(TopResult(nag, total, tuple(cells)))
    return out


def completion_rate(started: int, completed: int) -> float:
    return 100.0 * completed / started if started else 0.0


def csv_value(q: Question, answer: tuple[str, ...] | None) -> str:
    """One CSV cell: labels joined with '; ' (ranked for top N); empty when skipped."""
    if not answer:
        return ""
    if q.type in ("text", "number", "rating"):
        return answer[0]
    return "; ".join(q.label(v) for v in answer)


def safe_cell(value: str) -> str:
    """Spreadsheet formula injection: a cell must not start with = + - @ (or a tab/CR)."""
    if value and value[0] in "=+-@\t\r" and not re.fullmatch(r"-?\d+(\.\d+)?", value):
        return "'" + value
    return value
