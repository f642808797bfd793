"""Which NAGs and start weeks survey results may be split by (rule 1 of
bot/domain/disclosure.py), and the raw counts (`Tally`) every view is added up from.

Results are split only into pieces (one NAG's responses, or those of all NAGs not shown
together, between two usable start weeks) that each hold 0 or at least k responses, so any view,
export, or sum and difference of them, is a union of pieces and no group of 1 to k-1 responses
can be counted. Pure: no SQL, no telegram.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Literal


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
