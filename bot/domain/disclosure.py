"""What any count may show, and survey results' disclosure control. Every count the bot shows
officers (survey results and the survey list, /safety, delivery reports and ratings, and the
console's pages) passes through `shown` or `protect_parts` here, so one place decides: 0 and k
or more are shown; 1 to k-1 never, and neither is any figure they could be worked out from.

Survey results add the rules below (which NAGs and start weeks results may be split by are in
bot/domain/disclosure_groups.py). Pure: no SQL, no telegram.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from bot.content.surveys import Question, Survey
from bot.domain.disclosure_groups import (
    OTHER,
    Groups,
    Refusal,
    Selection,
    Tally,
    group,
    select,
    shown_nags,
)

__all__ = [
    "OTHER",
    "Groups",
    "Refusal",
    "Selection",
    "Tally",
    "group",
    "select",
    "shown_nags",
]

# ---------------------------------------------------------------- results and disclosure control
#
# Every figure officers see, and every "you said, we did" message, goes through the rules below
# (README.md, "Small numbers", says the same for officers). k is `survey.min_count`. The aim: no
# count from 1 to k-1 can be read or worked out, whether from one view (a total minus the figures
# shown) or by comparing views (the whole survey minus one NAG, or two start dates).
#
# 0. One count. 0 is shown (nobody is in it); 1 to k-1 is "fewer than k"; k or more is shown.
# 1. Groups (bot/domain/disclosure_groups.py). Results are split by NAG and start week only into
#    pieces of 0 or at least k responses; a filtered view with fewer than k is refused.
# 2. Within a question. If 1 to k-1 people who finished did not answer it (skipped it or weren't
#    asked it), or 1 to k-1 answered it, the whole question is withheld. Options whose figures
#    add up to a known total (single choice, yes/no, rating, top N): when any option is hidden,
#    so is the first option after it in list order with k or more (never the next by size: that
#    would bound it by the smallest figure shown), and the question is withheld unless every
#    hidden figure could still take two values or more given the total, the figures shown and
#    which hidden ones are "fewer than k" (`_safe`), and the hidden ones add up to k or more. In
#    multiple choice and top N, an option that all but 1 to k-1 picked is withheld too (those
#    who did not pick it are a count). A rating's average is not shown while an option is hidden.
#    tests/test_disclosure.py checks this against every small table, with the attacker knowing
#    these rules.
# 3. Between views. In a view for a NAG or from a start week, a figure is withheld when it
#    differs by 1 to k-1 from the same figure in any larger view it is part of (the whole survey,
#    the NAG as a whole, all NAGs from the same week, earlier start weeks); and, for each figure,
#    the whole (or all NAGs from a week) minus the NAGs showing it must not leave 1 to k-1 (or, if
#    the whole hides it, at least one NAG hides it too): otherwise more NAGs withhold it, in
#    content order. These steps repeat until nothing changes (hiding more never undoes them).
# 4. Rounding. Every figure in a view for a NAG or from a start week is rounded to the nearest
#    multiple of k, and its percentages are worked out from the rounded figures, so combining
#    three or more views gives ranges, not counts. Figures for the whole survey are exact.


def small(count: int, min_count: int) -> bool:
    """A count that must never be shown or worked out: 1 to k-1 (0 is not small)."""
    return 0 < count < min_count


def shown(count: int, min_count: int) -> int | None:
    """What one count on its own may show: itself when 0 or k or more, else nothing (None)."""
    return None if small(count, min_count) else count


def _safe(smalls: Sequence[int], total: int, k: int, *, big: bool) -> bool:
    """Whether hidden figures adding up to `total` (the total minus the figures shown) keep each
    of the `smalls` (1 to k-1) from being worked out, by an attacker who knows which hidden
    figures are under k and, when `big`, that one more is k or more: each small one could take
    two values or more, and the hidden figures together are k or more."""
    m = len(smalls)
    if m == 0:
        return True
    if big:  # each small in [1, k-1], the big one the rest (at least k)
        return min(k - 1, total - k - (m - 1)) >= 2
    lo, hi = max(1, total - (m - 1) * (k - 1)), min(k - 1, total - (m - 1))
    return hi > lo and total >= k


def safe_parts(smalls: Sequence[int], total: int, k: int) -> bool:
    """Whether hidden figures adding up to `total`, of them `smalls` from 1 to k-1 and the rest
    k or more, keep each small one from being worked out (`_safe`, with a big one)."""
    return _safe(smalls, total, k, big=len(smalls) == 0 or total - sum(smalls) >= k)


def hide_among(
    counts: Sequence[int], k: int, also: Collection[int] = frozenset()
) -> tuple[frozenset[int], bool]:
    """Which of `counts` (parts of a total) to hide: each from 1 to k-1, those in `also`, and
    the first of k or more after the first hidden one in list order (so no hidden count follows
    from the total); and whether the total may then be shown (False: no choice keeps the hidden
    ones from being worked out, so the total goes too)."""
    small_ones = {i for i, c in enumerate(counts) if small(c, k)}
    hidden = small_ones | set(also)
    if not hidden:
        return frozenset(), True
    first = min(hidden)
    after = [*range(first + 1, len(counts)), *range(first)]
    big = next((i for i in after if i not in hidden and counts[i] >= k), None)
    if big is not None:
        hidden.add(big)
    smalls = [counts[i] for i in small_ones]
    if smalls:
        total = sum(smalls) + (counts[big] if big is not None else 0)
        return frozenset(hidden), _safe(smalls, total, k, big=big is not None)
    return frozenset(hidden), big is not None or len(hidden) >= 2


@dataclass(frozen=True)
class Parts:
    """A total and its parts as they may be shown (None: not shown)."""

    total: int | None
    parts: tuple[int | None, ...]


def protect_parts(total: int, parts: Sequence[int], k: int) -> Parts:
    """A total and the parts it is made of (each counted once, adding up to it; a part never
    displayed, such as "started but not finished", is passed too and simply not rendered):
    which of them may be shown so that no count from 1 to k-1 can be read or worked out."""
    hidden, total_ok = hide_among(parts, k)
    if not total_ok:
        # Even which parts are hidden would narrow them down (as a withheld question does).
        return Parts(None, tuple(None for _ in parts))
    return Parts(shown(total, k), tuple(None if i in hidden else p for i, p in enumerate(parts)))


@dataclass(frozen=True)
class Cell:
    """One option's figure as shown: a count and percentage, or not shown."""

    label: str
    count: int | None  # None = not shown
    percent: float | None
    small: bool = False  # not shown because from 1 to k-1; otherwise withheld
    value: str = ""


@dataclass(frozen=True)
class QuestionResult:
    question: Question
    answered: int | None  # None = not shown
    cells: tuple[Cell, ...] = ()
    mean: float | None = None
    median: float | None = None
    small: bool = True  # when answered is None: 1 to k-1 answered (or withheld)

    @property
    def hidden_cells(self) -> bool:
        return any(c.count is None for c in self.cells)


def rounded(count: int, base: int) -> int:
    """To the nearest multiple of `base`, halves up (7 -> 5, 8 -> 10 for base 5)."""
    return (count + base // 2) // base * base if base > 1 else count


# Question types whose options are counted and shown one by one.
CHOICE_TYPES = ("single", "multi", "top", "yesno", "rating")
# ... of which those whose option figures add up to a known total.
SUMMING_TYPES = ("single", "top", "yesno", "rating")


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
    if forced.question or small(n, k) or (know_completed and small(skipped, k)):
        return Hidden(question=True)
    if q.type not in CHOICE_TYPES:
        return Hidden()
    order = [o.id for o in q.choices()]
    counts = [t.count(q.id, v) for v in order]
    also = {i for i, v in enumerate(order) if v in forced.values}
    if q.type in ("multi", "top"):
        also |= {i for i, c in enumerate(counts) if small(n - c, k)}
    if q.type not in SUMMING_TYPES:
        return Hidden(
            values=frozenset(v for i, v in enumerate(order) if small(counts[i], k) or i in also)
        )
    hidden, total_ok = hide_among(counts, k, also)
    if not total_ok:
        return Hidden(question=True)
    return Hidden(values=frozenset(order[i] for i in hidden))


def question_result(
    q: Question, t: Tally, hidden: Hidden, min_count: int, *, base: int = 1
) -> QuestionResult:
    """The figures of one question as shown (rounded to `base` in filtered views)."""
    k = min_count
    n = t.answered.get(q.id, 0)
    if hidden.question:
        return QuestionResult(q, None, small=small(n, k))
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
            cells.append(Cell(o.label, None, None, small=small(counts.get(o.id, 0), k), value=o.id))
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
