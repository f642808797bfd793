"""Two-way tables of counts (rows that add up to their totals, columns that add up to theirs),
protected as a whole: what may be shown so that no hidden count, and no count from 1 to k-1,
can be worked out from the cells, the row totals and the column totals shown.

The rules (README.md, "Small numbers"), with k = min_count:
- Row totals are always shown: the caller splits the table only into rows of 0 or k or more
  (disclosure.shown_nags), so they are pieces, not small numbers; the grand total is their sum.
- Column totals are parts of the grand total: `hide_among` decides (a small one is hidden with
  another, or all of them when that is not enough), leaving alone those other views show.
- Cells of 1 to k-1 are hidden. Then, until nothing changes, more cells are hidden (the next in
  the row or column, in order, never by size) while any hidden figure is determined by the
  figures shown (a linear combination of the rows' and columns' sums gives it exactly), or a
  row or column with a shown total hides a sum of 1 to k-1 (its total minus the cells shown).
- When no choice of cells does it, every cell and every column total is hidden.

Pure: no SQL, no telegram.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from fractions import Fraction

from bot.domain.disclosure import hide_among, small

Pos = tuple[int, int]  # (row, column) of a cell; (-1, column) for a column total


@dataclass(frozen=True)
class TableView:
    """A table as it may be shown (None: not shown)."""

    rows: tuple[int, ...]  # row totals, always shown
    columns: tuple[int | None, ...]  # column totals
    total: int  # the grand total
    cells: tuple[tuple[int | None, ...], ...]


def protect_table(
    cells: Sequence[Sequence[int]],
    k: int,
    *,
    also: Collection[Pos] = frozenset(),
    public: Collection[int] = frozenset(),
) -> TableView:
    """What of a table of counts (every row's cells adding up to its total) may be shown.
    `also`: cells to hide whatever their count (hidden in another view of the same figures);
    `public`: columns whose totals other views show (0 or k or more), so never hidden."""
    m = len(cells)
    n = len(cells[0]) if m else 0
    columns = [sum(r[j] for r in cells) for j in range(n)]
    private = [j for j in range(n) if j not in public]
    col_hidden, ok = hide_among([columns[j] for j in private], k)
    hidden: set[Pos] = {(i, j) for i in range(m) for j in range(n) if small(cells[i][j], k)}
    hidden |= set(also)
    hidden |= {(-1, private[x]) for x in col_hidden}
    more = _secondary(cells, columns, hidden, k) if ok else None
    if more is None:  # no choice of cells does it: everything but the public totals goes
        more = {(i, j) for i in range(-1, m) for j in range(n) if i >= 0 or j not in public}
    hidden = more
    return TableView(
        rows=tuple(sum(r) for r in cells),
        columns=tuple(None if (-1, j) in hidden else c for j, c in enumerate(columns)),
        total=sum(columns),
        cells=tuple(
            tuple(None if (i, j) in hidden else c for j, c in enumerate(row))
            for i, row in enumerate(cells)
        ),
    )


def _secondary(
    cells: Sequence[Sequence[int]], columns: Sequence[int], hidden: set[Pos], k: int
) -> set[Pos] | None:
    """Hide more cells until no hidden figure is determined and no line hides 1 to k-1 in sum;
    None when that cannot be done."""
    hidden = set(hidden)
    m, n = len(cells), len(columns)
    for _ in range(m * n + 1):
        weak = _weak_lines(cells, columns, hidden, k) or _determined(m, n, hidden)
        if not weak:
            return hidden
        line = weak[0]
        pick = _next_in(line, cells, hidden, m, n)
        if pick is None:
            return None
        hidden.add(pick)
    return None


def _line(line: tuple[str, int], m: int, n: int) -> list[Pos]:
    kind, x = line
    return [(x, j) for j in range(n)] if kind == "row" else [(i, x) for i in range(m)]


def _value(pos: Pos, cells: Sequence[Sequence[int]], columns: Sequence[int]) -> int:
    i, j = pos
    return columns[j] if i < 0 else cells[i][j]


def _weak_lines(
    cells: Sequence[Sequence[int]], columns: Sequence[int], hidden: set[Pos], k: int
) -> list[tuple[str, int]]:
    """Rows and columns with a shown total that hide one cell only, or 1 to k-1 together."""
    m, n = len(cells), len(columns)
    lines = [("row", i) for i in range(m)] + [("col", j) for j in range(n) if (-1, j) not in hidden]
    out = []
    for line in lines:
        inside = [p for p in _line(line, m, n) if p in hidden]
        if len(inside) == 1 or small(sum(_value(p, cells, columns) for p in inside), k):
            out.append(line)
    return out


def _determined(m: int, n: int, hidden: set[Pos]) -> list[tuple[str, int]]:
    """The line (row, or column) of the first hidden figure that the sums determine."""
    order = sorted(hidden)
    index = {p: x for x, p in enumerate(order)}
    equations: list[list[Fraction]] = []
    for i in range(m):  # each row's hidden cells add up to a known figure
        equations.append(_equation(index, [(i, j) for j in range(n)], []))
    for j in range(n):  # each column's hidden cells, less its total if hidden, too
        equations.append(_equation(index, [(i, j) for i in range(m)], [(-1, j)]))
    equations.append(_equation(index, [(-1, j) for j in range(n)], []))  # the grand total
    for pos in _pinned(equations, len(order), order):
        i, j = pos
        return [("row", i)] if i >= 0 else [("col", j)]
    return []


def _equation(index: dict[Pos, int], plus: list[Pos], minus: list[Pos]) -> list[Fraction]:
    row = [Fraction(0)] * len(index)
    for p in plus:
        if p in index:
            row[index[p]] += 1
    for p in minus:
        if p in index:
            row[index[p]] -= 1
    return row


def _pinned(equations: list[list[Fraction]], size: int, order: list[Pos]) -> list[Pos]:
    """Unknowns that the equations fix: those whose unit vector is a row of the reduced form."""
    rows = [r[:] for r in equations if any(r)]
    pivot_row = 0
    for col in range(size):
        found = next((r for r in range(pivot_row, len(rows)) if rows[r][col] != 0), None)
        if found is None:
            continue
        rows[pivot_row], rows[found] = rows[found], rows[pivot_row]
        lead = rows[pivot_row][col]
        rows[pivot_row] = [v / lead for v in rows[pivot_row]]
        for r in range(len(rows)):
            if r != pivot_row and rows[r][col] != 0:
                f = rows[r][col]
                rows[r] = [a - f * b for a, b in zip(rows[r], rows[pivot_row], strict=True)]
        pivot_row += 1
    return [
        order[next(c for c, v in enumerate(r) if v != 0)]
        for r in rows[:pivot_row]
        if sum(1 for v in r if v != 0) == 1
    ]


def _next_in(
    line: tuple[str, int], cells: Sequence[Sequence[int]], hidden: set[Pos], m: int, n: int
) -> Pos | None:
    """The cell to hide next in `line`: the first shown one after its first hidden one, in
    order and round again, not 0 if there is one (a 0 hidden hides nothing)."""
    positions = _line(line, m, n)
    first = next((x for x, p in enumerate(positions) if p in hidden), -1)
    after = positions[first + 1 :] + positions[: first + 1]
    shown = [p for p in after if p not in hidden]
    return next((p for p in shown if cells[p[0]][p[1]]), shown[0] if shown else None)
