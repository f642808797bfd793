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
  a question).
- Residents per NAG by where they stand (taking campaign messages, said no, not answered,
  blocked): one table protected as a whole (bot/domain/disclosure_table.py): no hidden cell or
  column total follows from the rows' and columns' sums; its "taking" column is protected
  together with the broadcasts' audience figures (bot/services/audiences.py). The "stopped"
  and "blocked" series are that table's columns split by month, so they show a NAG only where
  its cell is shown (and the everyone series only where the column total is): no series, total
  or difference between them gives a count the table hides (joined minus stopped minus blocked
  is a sum of cells).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.domain import disclosure as dc
from bot.domain.disclosure_table import TableView
from bot.services import audiences as au
from storage.db import Database
from storage.reach import SERIES, ReachStore

# The columns of the residents-per-NAG table, and the series that split one by month.
STATUSES = au.STATUSES
SERIES_OF_STATUS = {"stopped": "said_no", "blocked": "blocked"}
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
    withheld: bool = False  # too few in all for the series to be shown at all

    def of(self, nag: str | None) -> tuple[int, ...] | None:
        return self.counts.get(nag)


@dataclass(frozen=True)
class NagTable:
    """Residents per NAG (rows: shown NAGs, then OTHER) by status (STATUSES), as shown."""

    labels: tuple[str, ...]
    view: TableView

    def cell(self, label: str, status: str) -> int | None:
        return self.view.cells[self.labels.index(label)][STATUSES.index(status)]


@dataclass(frozen=True)
class Reach:
    series: tuple[Series, ...]
    nags: NagTable
    sources: tuple[tuple[str, int], ...]  # (source or NO_LINK or OTHER, residents), shown ones


def _series(
    name: str,
    blocks: Sequence[tuple[str | None, str, int]],
    order: Sequence[str],
    k: int,
    *,
    withheld: bool = False,
) -> Series:
    """One series split into periods; a NAG only if it is in `order` (and has k or more)."""
    if withheld:
        return Series(name, (), (), {}, withheld=True)
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


async def _nag_table(store: ReachStore, order: Sequence[str], k: int) -> NagTable:
    labels, cells, raw = await au.consent_table(store, order, k)
    _, view = au.protect_consent(raw, labels, cells, STATUSES.index("taking"), k)
    return NagTable(tuple(labels), view)


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
    nags = await _nag_table(store, nag_order, k)
    series = []
    for name in SERIES:
        blocks = [(b.nag, b.month, b.count) for b in await store.blocks(name)]
        status = SERIES_OF_STATUS.get(name)
        if status is None:  # joined: the rows' totals, split by month
            series.append(_series(name, blocks, nag_order, k))
            continue
        # A NAG's series only where its cell shows; everyone's only where the column's total does.
        order = [x for x in nag_order if x in nags.labels and nags.cell(x, status) is not None]
        hidden = nags.view.columns[STATUSES.index(status)] is None
        series.append(_series(name, blocks, order, k, withheld=hidden))
    return Reach(tuple(series), nags, await _sources(store, k))
