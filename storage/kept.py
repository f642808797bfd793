"""Rows kept in memory between statements: a bounded least-recently-used map by key.

The database stays the source of truth. A store that keeps rows here must put or drop the kept
row in the same step as every statement that changes it (with no await in between, so no other
task can read the old row back in), and any other module that writes the same table drops the
row it touched. Losing the whole map (a restart, `clear`) only costs a read per key.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class Kept(Generic[K, V]):
    """At most `limit` rows; the least recently read or written goes first."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._rows: OrderedDict[K, V] = OrderedDict()

    def get(self, key: K) -> V | None:
        row = self._rows.get(key)
        if row is not None:
            self._rows.move_to_end(key)
        return row

    def put(self, key: K, row: V) -> None:
        self._rows[key] = row
        self._rows.move_to_end(key)
        if len(self._rows) > self.limit:
            self._rows.popitem(last=False)

    def drop(self, key: K) -> None:
        self._rows.pop(key, None)

    def clear(self) -> None:
        self._rows.clear()

    def __len__(self) -> int:
        return len(self._rows)

    def __contains__(self, key: object) -> bool:
        return key in self._rows
