"""Reach: how many residents each NAG has, when they joined, stopped or blocked the bot, and
where they came from. Counts only, grouped in SQL: no chat id leaves this module.

Months are the first seven characters of the UTC timestamps ("2026-11"). A resident who
erased their data is in none of these counts (their row is gone).
"""

from __future__ import annotations

from dataclasses import dataclass

from storage.db import Database

# What each series counts, and the timestamp whose month it is counted in.
SERIES = {
    # Every resident, in the month they first used the bot.
    "joined": ("1", "created_at"),
    # Residents who said no to, or withdrew from, campaign messages (/stop), in that month, and
    # have not blocked the bot since (those are counted as blocked): so that every series
    # adds up to a column of `statuses`, and no difference between them is a new count.
    "stopped": ("consent = 0 AND consent_at IS NOT NULL AND active = 1", "consent_at"),
    # Residents who blocked the bot, in the month the bot found out (their row's last change).
    "blocked": ("active = 0", "updated_at"),
}


@dataclass(frozen=True)
class Block:
    """The number of residents of one NAG (None: no NAG chosen) in one month."""

    nag: str | None
    month: str
    count: int


@dataclass(frozen=True)
class NagConsent:
    nag: str | None
    residents: int
    consenting: int  # opted in to campaign messages and not blocked


@dataclass(frozen=True)
class NagStatuses:
    """The residents of one NAG (None: no NAG chosen), each counted once, by where they stand."""

    nag: str | None
    taking: int  # opted in to campaign messages, not blocked
    said_no: int  # said no or sent /stop, not blocked
    not_answered: int  # never answered the question, not blocked
    blocked: int  # blocked the bot


class ReachStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def blocks(self, series: str) -> list[Block]:
        """One series (a key of SERIES) per NAG and month."""
        where, column = SERIES[series]
        rows = await self.db.fetchall(
            f"SELECT nag_id, substr({column}, 1, 7) AS month, COUNT(*) FROM residents"
            f" WHERE {where} GROUP BY nag_id, month"
        )
        return [Block(r[0], r[1], int(r[2])) for r in rows]

    async def consent(self) -> list[NagConsent]:
        rows = await self.db.fetchall(
            "SELECT nag_id, COUNT(*), COALESCE(SUM(consent = 1 AND active = 1), 0)"
            " FROM residents GROUP BY nag_id"
        )
        return [NagConsent(r[0], int(r[1]), int(r[2])) for r in rows]

    async def statuses(self) -> list[NagStatuses]:
        """Residents per NAG by status, read from the covering index of migration 014 in
        order (no row of the table is read)."""
        rows = await self.db.fetchall(
            "SELECT nag_id, active, consent, COUNT(*), COUNT(consent_at) FROM residents"
            " INDEXED BY residents_statuses GROUP BY nag_id, active, consent"
        )
        out: dict[str | None, list[int]] = {}
        for nag, active, consent, n, answered in rows:
            c = out.setdefault(nag, [0, 0, 0, 0])
            if not active:
                c[3] += int(n)
            elif consent:
                c[0] += int(n)
            else:
                c[1] += int(answered)
                c[2] += int(n) - int(answered)
        return [NagStatuses(nag, *c) for nag, c in out.items()]

    async def sources(self) -> dict[str | None, int]:
        """Residents per sign-up source (None: came without a link)."""
        rows = await self.db.fetchall("SELECT source, COUNT(*) FROM residents GROUP BY source")
        return {r[0]: int(r[1]) for r in rows}
