"""Survey results, pure: the arithmetic of counts and percentages, and the disclosure control
that keeps every count from 1 to k-1 from being shown or worked out (small-number suppression,
which NAGs and start weeks results may be split by, one level at a time). Split from
bot/domain/surveys.py, which imports these names back for its callers.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Literal

from bot.content.surveys import Question, Survey

# ---------------------------------------------------------------- results and disclosure control
#
# Every figure officers see, and every "you said, we did" message, goes through the rules below
# (README.md, "Small numbers", says the same for officers). k is `survey.min_count`. The aim: no
# count from 1 to k-1 can be read or worked out, whether from one view (a total minus the figures
# shown) or by comparing views (the whole survey minus one NAG, or two start dates).
#
# 1. Groups. Results can be split by NAG and by start week, but only into pieces (one NAG's
#    responses, or those of all NAGs not shown together, between two usable start weeks) that
#    each hold 0 or at least k responses: a NAG is shown only with k or more responses, and only
#    if the NAGs not shown together have 0 or k or more (otherwise more NAGs are withheld, in
#    content order, never by size: a choice by size would hint at the sizes); a start week is
#    usable only where it leaves 0 or k or more responses of every shown NAG, and of the rest
#    together, on each side of it and since the previous usable one. Any view, export, or sum
#    and difference of them, is a union of pieces, so no group of 1 to k-1 responses can ever be
#    counted; a filtered view with fewer than k responses is refused.
# 2. Within a question. A count under k is "fewer than k". If 1 to k-1 people who finished did
#    not answer a question (skipped it or weren't asked it), the whole question is withheld: its
#    "answered" figure would count them. If any option is hidden, at least two are, and at least
#    one of them is k or more (the next one in the list is withheld, never the next by size: that
#    would bound it by the smallest figure shown), so a hidden figure can't be worked out as the
#    total minus the rest; if every option is under k, the question is withheld. A rating's
#    average is not shown while one of its options is hidden. tests/test_disclosure.py checks
#    this against every small table, with the attacker knowing these rules.
# 3. Between views. In a view for a NAG or from a start week, a figure is withheld when it
#    differs by 1 to k-1 from the same figure in any larger view it is part of (the whole survey,
#    the NAG as a whole, all NAGs from the same week, earlier start weeks); and, for each figure,
#    the whole (or all NAGs from a week) minus the NAGs showing it must not leave 1 to k-1 (or, if
#    the whole hides it, at least one NAG hides it too): otherwise more NAGs withhold it, in
#    content order. These steps repeat until nothing changes (hiding more never undoes them).
# 4. Rounding. Every figure in a view for a NAG or from a start week is rounded to the nearest
#    multiple of k, and its percentages are worked out from the rounded figures, so combining
#    three or more views gives ranges, not counts. Figures for the whole survey are exact.


@dataclass
class Tally:
    """Raw counts for one group of completed responses."""

    completed: int = 0
    answered: dict[str, int] = field(default_factory=dict)  # question -> responses answering
    values: dict[str, dict[str, int]] = field(default_factory=dict)  # question -> value -> n
    ranks: dict[str, dict[str, int]] = field(default_factory=dict)  # "top N": sum of 0-based ranks

    def add(self, other: Tally) -> Tally:
        """Add `other`'s counts into this one (and return it)."""
        self.completed += other.completed
        for qid, n in other.answered.items():
            self.answered[qid] = self.answered.get(qid, 0) + n
        for mine, theirs in ((self.values, other.values), (self.ranks, other.ranks)):
            for qid, counts in theirs.items():
                into = mine.setdefault(qid, {})
                for v, n in counts.items():
                    into[v] = into.get(v, 0) + n
        return self

    def count(self, qid: str, value: str | None) -> int:
        """A figure: the number answering `qid` (value None) or choosing `value`."""
        if value is None:
            return self.answered.get(qid, 0)
        return self.values.get(qid, {}).get(value, 0)


@dataclass(frozen=True)
class Cell:
    """One option's figure as shown: a count and percentage, or not shown."""

    label: str
    count: int | None  # None = not shown
    percent: float | None
    small: bool = False  # not shown because under the threshold; otherwise withheld
    value: str = ""


@dataclass(frozen=True)
class QuestionResult:
    question: Question
    answered: int | None  # None = not shown
    cells: tuple[Cell, ...] = ()
    mean: float | None = None
    median: float | None = None
    small: bool = True  # when answered is None: fewer than the threshold answered (or withheld)

    @property
    def hidden_cells(self) -> bool:
        return any(c.count is None for c in self.cells)


def suppress(count: int, min_count: int) -> int | None:
    """Small-number suppression: never show a count below the threshold."""
    return count if count >= min_count else None


def rounded(count: int, base: int) -> int:
    """To the nearest multiple of `base`, halves up (7 -> 5, 8 -> 10 for base 5)."""
    return (count + base // 2) // base * base if base > 1 else count


# Question types whose options are counted and shown one by one.
CHOICE_TYPES = ("single", "multi", "top", "yesno", "rating")


@dataclass(frozen=True)
class Hidden:
    """What one question hides in one view: everything, or some options."""

    question: bool = False
    values: frozenset[str] = frozenset()

    def hides(self, value: str | None) -> bool:
        return self.question or (value is not None and value in self.values)


def hide_in_question(
    q: Question,
    t: Tally,
    min_count: int,
    *,
    forced: Hidden = Hidden(),
    know_completed: bool = True,
) -> Hidden:
    """Rule 2 (see above), plus whatever rules 3 forced for this view."""
    k = min_count
    n = t.answered.get(q.id, 0)
    skipped = t.completed - n
    if forced.question or n < k or (know_completed and 0 < skipped < k):
        return Hidden(question=True)
    if q.type not in CHOICE_TYPES:
        return Hidden()
    order = [o.id for o in q.choices()]
    small = {v for v in order if t.count(q.id, v) < k}
    hidden = small | (forced.values & set(order))
    if hidden:
        # At least two hidden, at least one of them k or more: taken in list order from the first
        # hidden one, so the choice depends only on which options show "fewer than k".
        i = min(order.index(v) for v in hidden)
        while (len(hidden) < 2 or hidden <= small) and len(hidden) < len(order):
            i = (i + 1) % len(order)
            hidden.add(order[i])
        if hidden <= small:
            # Every option is under k: with the number answering shown, figures each at most
            # k-1 adding up to it could be worked out (4 + 4 = 8), so the question is withheld.
            return Hidden(question=True)
    return Hidden(values=frozenset(hidden))


def question_result(
    q: Question, t: Tally, hidden: Hidden, min_count: int, *, base: int = 1
) -> QuestionResult:
    """The figures of one question as shown (rounded to `base` in filtered views)."""
    k = min_count
    n = t.answered.get(q.id, 0)
    if hidden.question:
        return QuestionResult(q, None, small=n < k)
    shown_n = rounded(n, base)
    if q.type == "text":
        return QuestionResult(q, shown_n)
    counts = t.values.get(q.id, {})
    if q.type == "number":
        mean, median = _number_stats(counts)
        if base > 1 and mean is not None:
            # A whole number says nothing about the exact count behind a rounded figure.
            mean = float(round(mean))
        return QuestionResult(q, shown_n, mean=mean, median=median)
    cells = []
    for o in q.choices():
        if o.id in hidden.values:
            cells.append(Cell(o.label, None, None, small=counts.get(o.id, 0) < k, value=o.id))
            continue
        c = rounded(counts.get(o.id, 0), base)
        cells.append(Cell(o.label, c, 100.0 * c / shown_n if shown_n else None, value=o.id))
    mean = None
    if q.type == "rating" and not hidden.values:
        # From the figures as shown: with a figure hidden, the average would give it away.
        mean, _ = _number_stats({c.value: c.count or 0 for c in cells})
    return QuestionResult(q, shown_n, tuple(cells), mean=mean)


def summarise(
    survey: Survey,
    answered: Mapping[str, int],
    values: Mapping[str, Mapping[str, int]],
    min_count: int,
    completed: int | None = None,
) -> list[QuestionResult]:
    """The whole survey's figures (exact), with the rules within each question applied.

    Without `completed` the "skipped by fewer than k" rule can't be applied (benchmarks only).
    """
    t = Tally(
        completed=completed or 0,
        answered=dict(answered),
        values={q: dict(v) for q, v in values.items()},
    )
    know = completed is not None
    return [
        question_result(q, t, hide_in_question(q, t, min_count, know_completed=know), min_count)
        for q in survey.questions
    ]


def _number_stats(counts: Mapping[str, int]) -> tuple[float | None, float | None]:
    items = sorted((float(v), c) for v, c in counts.items() if c)
    total_n = sum(c for _, c in items)
    if not total_n:
        return None, None
    mean = sum(v * c for v, c in items) / total_n
    # Median from the value counts, without expanding them.
    mid_lo, mid_hi = (total_n - 1) // 2, total_n // 2
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


# ---- groups: which NAGs and start weeks results may be split by (rule 1)

OTHER = ""  # the responses of NAGs that are not shown (and of residents without a NAG), together


def _fine(n: int, k: int) -> bool:
    return n == 0 or n >= k


def shown_nags(totals: Mapping[str | None, int], order: Sequence[str], min_count: int) -> list[str]:
    """NAGs whose results may be shown, in content order (rule 1)."""
    shown = [g for g in order if totals.get(g, 0) >= min_count]
    rest = sum(totals.values()) - sum(totals[g] for g in shown)
    while 0 < rest < min_count and shown:
        rest += totals[shown.pop(0)]
    return shown


@dataclass(frozen=True)
class Groups:
    """How one survey's responses may be split, from its counts per (NAG, week) block."""

    nags: tuple[str, ...]  # NAGs that can be shown, in content order
    starts: tuple[str, ...]  # start weeks (Mondays) that can be used; the first is the earliest
    # label (NAG or OTHER) -> index of its start week -> raw counts of that piece
    pieces: Mapping[str, tuple[Tally, ...]]

    def start_index(self, week: str | None) -> int:
        """The latest allowed start at or before `week` (0: from the beginning)."""
        i = 0
        for j, s in enumerate(self.starts):
            if week is not None and s <= week:
                i = j
        return i

    def start_of(self, week: str) -> str:
        """The allowed start week a response of `week` counts from (for the CSV)."""
        return self.starts[self.start_index(week)] if self.starts else week

    def label(self, nag: str | None) -> str:
        return nag if nag in self.nags else OTHER

    def view(self, nag: str | None, start: int) -> Tally:
        """Raw counts of the responses of `nag` (None: all; OTHER: the rest) from start index
        `start` on. Shared: read it, never change it."""
        return self._suffixes.get((nag, start)) or Tally()

    @cached_property
    def _suffixes(self) -> dict[tuple[str | None, int], Tally]:
        # Every view is a sum of pieces from some start on: add them up once, from the end.
        out: dict[tuple[str | None, int], Tally] = {}
        n = len(self.starts)
        for i in range(n - 1, -1, -1):
            everyone = Tally()
            for lab, pieces in self.pieces.items():
                t = Tally().add(pieces[i])
                if i + 1 < n:
                    t.add(out[(lab, i + 1)])
                out[(lab, i)] = t
                everyone.add(t)
            out[(None, i)] = everyone
        return out


def group(
    blocks: Mapping[tuple[str | None, str], Tally], nag_order: Sequence[str], min_count: int
) -> Groups:
    """The NAGs and start weeks results may be split by (rule 1), and the pieces between them."""
    k = min_count
    totals: dict[str | None, int] = {}
    for (nag, _), t in blocks.items():
        totals[nag] = totals.get(nag, 0) + t.completed
    nags = tuple(shown_nags(totals, nag_order, k))

    def label(nag: str | None) -> str:
        return nag if nag in nags else OTHER

    weeks = sorted({w for _, w in blocks})
    per: dict[str, dict[str, int]] = {}
    for (nag, w), t in blocks.items():
        row = per.setdefault(label(nag), {})
        row[w] = row.get(w, 0) + t.completed
    starts: list[str] = weeks[:1]
    for w in weeks[1:]:
        ok = True
        for counts in per.values():
            since_last = sum(n for week, n in counts.items() if starts[-1] <= week < w)
            after = sum(n for week, n in counts.items() if week >= w)
            if not (_fine(since_last, k) and _fine(after, k)):
                ok = False
                break
        if ok:
            starts.append(w)
    pieces: dict[str, list[Tally]] = {lab: [Tally() for _ in starts] for lab in per}
    for (nag, w), t in blocks.items():
        i = max(j for j, s in enumerate(starts) if s <= w)
        pieces[label(nag)][i].add(t)
    return Groups(nags, tuple(starts), {lab: tuple(ts) for lab, ts in pieces.items()})


@dataclass(frozen=True)
class Selection:
    """A filter that may be shown: a NAG (or all) from an allowed start (index into starts)."""

    nag: str | None
    start: int
    completed: int  # raw


Refusal = Literal["nag", "small"]


def select(
    groups: Groups, nag: str | None, since_week: str | None, min_count: int
) -> Selection | Refusal:
    """Check a filter (rule 1): a NAG that can't be shown is refused ("nag"), and so is a
    selection of fewer than `min_count` responses ("small"); a start week moves back to the
    nearest allowed one (index 0, the first week, means everything)."""
    if nag is not None and nag not in groups.nags:
        return "nag"
    start = groups.start_index(since_week)
    n = groups.view(nag, start).completed
    if n < min_count:
        return "small"
    return Selection(nag, start, n)


# ---- protecting one level: all NAGs from a start week, and each shown NAG (rules 2 to 4)


@dataclass(frozen=True)
class ViewResult:
    """One view as it may be shown."""

    nag: str | None
    start: str | None  # None: from the beginning
    completed: int  # rounded in filtered views
    results: tuple[QuestionResult, ...]
    tally: Tally  # raw, for ordering only (never shown)
    rounded: bool

    def result(self, question_id: str) -> QuestionResult | None:
        return next((r for r in self.results if r.question.id == question_id), None)


def protect_level(
    survey: Survey, groups: Groups, start: int, min_count: int
) -> dict[str | None, ViewResult]:
    """The view of all NAGs from start index `start` (key None) and of each shown NAG from it,
    after rules 2 to 4. Start 0 for all NAGs is the whole survey: exact, never rounded."""
    k = min_count
    parent = groups.view(None, start)
    kids = list(groups.nags)
    views = [parent, *(groups.view(g, start) for g in kids)]
    # Rule 3, pairwise: the larger views each one is part of.
    larger: list[list[Tally]] = [[groups.view(None, j) for j in range(start)]]
    for g in kids:
        larger.append(
            [groups.view(None, j) for j in range(start + 1)]
            + [groups.view(g, j) for j in range(start)]
        )
    pool_empty = groups.view(OTHER, start).completed == 0
    hidden: dict[str, list[Hidden]] = {}
    for q in survey.questions:
        figures: list[str | None] = [None]
        if q.type in CHOICE_TYPES:
            figures += [o.id for o in q.choices()]
        forced: list[Hidden] = []
        for v, bigger in zip(views, larger, strict=True):
            near = [
                f
                for f in figures
                if any(0 < b.count(q.id, f) - v.count(q.id, f) < k for b in bigger)
            ]
            forced.append(
                Hidden(question=None in near, values=frozenset(f for f in near if f is not None))
            )
        state = [hide_in_question(q, v, k, forced=f) for v, f in zip(views, forced, strict=True)]
        changed = True
        while changed:
            changed = False
            for f in figures:
                shown = [i for i in range(1, len(views)) if not state[i].hides(f)]
                if not state[0].hides(f):
                    rest = parent.count(q.id, f) - sum(views[i].count(q.id, f) for i in shown)
                    fix = shown[0] if shown and 0 < rest < k else None
                else:
                    # The whole hides it: the NAGs, all showing it, must not add up to it.
                    everyone = len(shown) == len(views) - 1 > 0
                    fix = 1 if everyone and pool_empty else None
                if fix is not None:
                    old = forced[fix]
                    forced[fix] = (
                        Hidden(question=True)
                        if f is None
                        else Hidden(old.question, old.values | {f})
                    )
                    state[fix] = hide_in_question(q, views[fix], k, forced=forced[fix])
                    changed = True
        hidden[q.id] = state
    out: dict[str | None, ViewResult] = {}
    start_week = groups.starts[start] if start else None
    for i, (nag, v) in enumerate(zip([None, *kids], views, strict=True)):
        filtered = nag is not None or start > 0
        base = k if filtered else 1
        results = tuple(
            question_result(q, v, hidden[q.id][i], k, base=base) for q in survey.questions
        )
        out[nag] = ViewResult(nag, start_week, rounded(v.completed, base), results, v, filtered)
    return out


def top_three(q: Question, view: ViewResult, n: int = 3) -> list[Cell]:
    """A NAG's top `n` priorities as shown: most picked; a tie goes to the one ranked higher on
    average (smaller sum of 0-based ranks), then to the option order. Counts are as shown."""
    result = view.result(q.id)
    if result is None or result.answered is None:
        return []
    counts = view.tally.values.get(q.id, {})
    ranks = view.tally.ranks.get(q.id, {})
    order = {o.id: i for i, o in enumerate(q.options)}
    picked = sorted(
        (v for v in counts if v in order and counts[v]),
        key=lambda v: (-counts[v], ranks.get(v, 0) / counts[v], order[v]),
    )[:n]
    cells = {c.value: c for c in result.cells}
    return [cells[v] for v in picked if v in cells]


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
