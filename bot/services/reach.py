"""Reach: residents per NAG over time (joined, stopped, blocked), sign-up sources and the
consent rate, every count under the survey results' small-number rules (bot/domain/disclosure.py).

Each figure shown is a sum of whole pieces that each hold 0 or at least k residents, so no
count from 1 to k-1 can be read or worked out from a total, a difference or another view:
- NAGs: shown only with k or more residents, and only while the NAGs not shown, together, hold
  0 or k or more (disclosure.shown_nags, the survey results' rule 1).
- Months: a series is split into periods (one month, or several together) where every shown
  NAG's piece, and the rest's, holds 0 or k or more (disclosure.group, as the survey results'
  start weeks).
- Sources: as NAGs: a source shows with k or more, the rest together.
- Parts of a shown total (a delivery report's sent, blocked, not delivered): a hidden part hides
  at least one more, one of them k or more, else all of them (the survey results' rule 2 within
  a question). Taking campaign messages per NAG: a NAG whose takers or non-takers are 1 to k-1
  shows neither, and more NAGs are hidden until what the totals give away is 0 or k or more.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.domain import disclosure as dc
from storage.db import Database
from storage.reach import SERIES, ReachStore

OTHER = dc.OTHER  # the NAGs (or sources) not shown, and residents without one, together
NO_LINK = "-"  # the key of residents who came without a link, among the sources


@dataclass(frozen=True)
class Series:
    """One series split into protected periods: counts per period, for everyone (key None),
    each NAG shown, and OTHER."""

    name: str
    periods: tuple[tuple[str, str], ...]  # (first month, last month) of each period
    nags: tuple[str, ...]
    counts: dict[str | None, tuple[int, ...]]

    def of(self, nag: str | None) -> tuple[int, ...] | None:
        return self.counts.get(nag)


@dataclass(frozen=True)
class ConsentRow:
    nag: str | None  # a NAG id, OTHER, or None for everyone
    residents: int
    consenting: int | None  # None: not shown


@dataclass(frozen=True)
class Reach:
    series: tuple[Series, ...]
    consent: tuple[ConsentRow, ...]
    sources: tuple[tuple[str, int], ...]  # (source or NO_LINK or OTHER, residents), shown ones


def _series(
    name: str, blocks: Sequence[tuple[str | None, str, int]], order: Sequence[str], k: int
) -> Series:
    tallies: dict[tuple[str | None, str], dc.Tally] = {}
    for nag, month, n in blocks:
        t = tallies.setdefault((nag, month), dc.Tally())
        t.completed += n
    groups = dc.group(tallies, order, k)
    months = sorted({m for _, m in tallies})
    ends = [_before(s, months) for s in groups.starts[1:]] + ([months[-1]] if months else [])
    periods = tuple(zip(groups.starts, ends, strict=True))
    counts: dict[str | None, tuple[int, ...]] = {
        lab: tuple(p.completed for p in pieces) for lab, pieces in groups.pieces.items()
    }
    counts[None] = tuple(
        sum(c[i] for lab, c in counts.items() if lab is not None) for i in range(len(periods))
    )
    return Series(name, periods, groups.nags, counts)


def _before(start: str, months: Sequence[str]) -> str:
    """The last month with figures before `start`."""
    return max(m for m in months if m < start)


def protect_column(values: Sequence[int], k: int) -> list[int | None] | None:
    """Parts of a total that is shown, by the one rule for parts (disclosure.protect_parts):
    0 or k and more shown, 1 to k-1 hidden with enough others that the total gives nothing
    away; None when that cannot be: all are withheld, and the total with them."""
    parts = dc.protect_parts(sum(values), list(values), k)
    if any(values) and all(p is None for p in parts.parts):
        return None
    return list(parts.parts)


def _fine(n: int, k: int) -> bool:
    return n == 0 or n >= k


def hide_rows(yes: Sequence[int], no: Sequence[int], k: int) -> set[int] | None:
    """Rows whose split (yes, no) is not shown, when every row's total and the overall split are
    shown: a row with either part 1 to k-1, and then more rows (the next in order, never by
    size) until the hidden rows' parts, which the totals give away, are each 0 or k or more.
    None: that cannot be done, so no split is shown at all."""
    n = len(yes)
    if not (_fine(sum(yes), k) and _fine(sum(no), k)):
        return None
    hidden = {i for i in range(n) if not (_fine(yes[i], k) and _fine(no[i], k))}

    def safe() -> bool:
        return _fine(sum(yes[i] for i in hidden), k) and _fine(sum(no[i] for i in hidden), k)

    i = min(hidden, default=0)
    while hidden and (len(hidden) < 2 or not safe()) and len(hidden) < n:
        i = (i + 1) % n
        hidden.add(i)
    return hidden if not hidden or safe() and len(hidden) >= 2 else None


async def _consent(store: ReachStore, order: Sequence[str], k: int) -> tuple[ConsentRow, ...]:
    raw = await store.consent()
    totals: dict[str | None, int] = {r.nag: r.residents for r in raw}
    shown = dc.shown_nags(totals, order, k)
    labels = [
        lab
        for lab in [*shown, OTHER]
        if lab != OTHER or sum(totals.values()) > sum(totals.get(x, 0) for x in shown)
    ]
    residents = {lab: 0 for lab in labels}
    consenting = {lab: 0 for lab in labels}
    for r in raw:
        lab = r.nag if r.nag in shown else OTHER
        residents[lab] += r.residents
        consenting[lab] += r.consenting
    yes = [consenting[lab] for lab in labels]
    no = [residents[lab] - consenting[lab] for lab in labels]
    hidden = hide_rows(yes, no, k)
    rows = [
        ConsentRow(lab, residents[lab], None if hidden is None or i in hidden else yes[i])
        for i, lab in enumerate(labels)
    ]
    rows.append(ConsentRow(None, sum(residents.values()), None if hidden is None else sum(yes)))
    return tuple(rows)


async def _sources(store: ReachStore, k: int) -> tuple[tuple[str, int], ...]:
    raw: dict[str | None, int] = {
        (NO_LINK if s is None else s): n for s, n in (await store.sources()).items()
    }
    order = sorted((s for s in raw if s is not None), key=lambda s: (s != NO_LINK, s))
    shown = dc.shown_nags(raw, order, k)
    rest = sum(raw.values()) - sum(raw[s] for s in shown)
    out: list[tuple[str, int]] = [(s, raw[s]) for s in shown]
    if rest:
        out.append((OTHER, rest))
    return tuple(out)


async def reach(db: Database, nag_order: Sequence[str], k: int) -> Reach:
    """Every figure of the Reach page, protected (nothing here is 1 to k-1 or derives one,
    except the raw pieces inside, which callers show only through these rules)."""
    store = ReachStore(db)
    series = []
    for name in SERIES:
        blocks = [(b.nag, b.month, b.count) for b in await store.blocks(name)]
        series.append(_series(name, blocks, nag_order, k))
    return Reach(tuple(series), await _consent(store, nag_order, k), await _sources(store, k))
