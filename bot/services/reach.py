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
- A column with a total (residents taking campaign messages per NAG): a hidden cell hides at
  least one more, one of them k or more, else the whole column and its total are withheld (the
  survey results' rule 2 within a question).
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
    """Cells of a column whose total is shown: 0 or k and more shown; when any is hidden, at
    least two are and one of them is k or more (the next in order, never by size); None when
    that cannot be (every figure is under k): the whole column and its total are withheld."""
    small = {i for i, v in enumerate(values) if 0 < v < k}
    hidden = set(small)
    if hidden:
        i = min(hidden)
        while (len(hidden) < 2 or hidden <= small) and len(hidden) < len(values):
            i = (i + 1) % len(values)
            hidden.add(i)
        if hidden <= small:
            return None
    return [None if i in hidden else v for i, v in enumerate(values)]


async def _consent(store: ReachStore, order: Sequence[str], k: int) -> tuple[ConsentRow, ...]:
    raw = await store.consent()
    totals: dict[str | None, int] = {r.nag: r.residents for r in raw}
    shown = dc.shown_nags(totals, order, k)
    labels: list[str] = [*shown, OTHER]
    residents = {lab: 0 for lab in labels}
    consenting = {lab: 0 for lab in labels}
    for r in raw:
        lab = r.nag if r.nag in shown else OTHER
        residents[lab] += r.residents
        consenting[lab] += r.consenting
    everyone, yes = sum(residents.values()), sum(consenting.values())
    cells = protect_column([consenting[lab] for lab in labels], k)
    if dc.suppress(yes, k) is None and yes:
        cells = None
    rows = [
        ConsentRow(lab, residents[lab], cells[i] if cells else None)
        for i, lab in enumerate(labels)
        if residents[lab] or lab != OTHER
    ]
    rows.append(ConsentRow(None, everyone, yes if cells is not None else None))
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
