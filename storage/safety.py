"""Safeguarding counts: how many times each kind of help was given, per week. Nothing else.

The table holds no message text, chat id or time of day (see storage/sql/005_safety_counts.sql):
the partnership learns what residents are facing without anyone being traceable.
"""

from __future__ import annotations

from collections.abc import Iterable

from storage.db import Database


class SafetyCounts:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def add(self, week: str, categories: Iterable[str]) -> None:
        """Count one answer for each category (one statement, atomic on its own)."""
        params = [v for c in categories for v in (week, c)]
        if not params:
            return
        # One statement, not a transaction around executemany: one hand-off to the database
        # thread instead of three (BEGIN, the rows, COMMIT).
        values = ", ".join(["(?, ?, 1)"] * (len(params) // 2))
        await self.db.execute(
            f"INSERT INTO safety_counts (week, category, count) VALUES {values}"
            " ON CONFLICT (week, category) DO UPDATE SET count = count + 1",
            params,
        )

    async def weekly(self, weeks: Iterable[str]) -> dict[str, dict[str, int]]:
        """week -> category -> count, for the given weeks."""
        wanted = list(weeks)
        if not wanted:
            return {}
        rows = await self.db.fetchall(
            "SELECT week, category, count FROM safety_counts"
            f" WHERE week IN ({','.join('?' * len(wanted))})",
            wanted,
        )
        out: dict[str, dict[str, int]] = {w: {} for w in wanted}
        for week, category, count in rows:
            out[week][category] = int(count)
        return out
