"""What was sent and how it was received: /mydata's rows, ratings, the audit trail.

Part of BroadcastStore (storage/broadcasts.py); read by officers' reports and by residents.
"""

from __future__ import annotations

from datetime import datetime

from storage.broadcast_types import ELIGIBLE, OS, AuditRow, Rating, Received
from storage.db import Database, from_row, ts
from storage.model import Requires


class BroadcastReports:
    """Queries over sent broadcasts, and residents' ratings (a mixin of BroadcastStore)."""

    db: Database

    async def messages_for(self, chat_id: int) -> list[Received]:
        """Every outbox row about this chat (sent, waiting or not sent), oldest first (/mydata):
        with the broadcast's text, or the chat's own text for a personal message."""
        rows = await self.db.fetchall(
            "SELECT o.broadcast_id, b.kind, COALESCE(o.text, b.text) AS text, o.status,"
            " o.sent_at, b.send_at FROM outbox o JOIN broadcasts b ON b.id = o.broadcast_id"
            " WHERE o.chat_id = ? ORDER BY COALESCE(o.sent_at, b.send_at), o.broadcast_id",
            (chat_id,),
        )
        return [from_row(Received, r) for r in rows]

    async def reminder_parts(self) -> dict[str | None, int]:
        """Residents a meeting reminder could reach now, per NAG (None: no NAG chosen): the
        raw parts, for bot/services/audiences.py to protect before any is shown."""
        rows = await self.db.fetchall(
            f"SELECT r.nag_id, COUNT(*) FROM residents r WHERE {ELIGIBLE[Requires.REMINDERS]}"
            " GROUP BY r.nag_id"
        )
        return {r[0]: int(r[1]) for r in rows}

    async def ratings_by(self, chat_id: int) -> list[Rating]:
        rows = await self.db.fetchall(
            "SELECT r.broadcast_id, b.text, r.useful, r.rated_at FROM broadcast_ratings r"
            " JOIN broadcasts b ON b.id = r.broadcast_id WHERE r.chat_id = ? ORDER BY r.rated_at",
            (chat_id,),
        )
        return [from_row(Rating, r) for r in rows]

    async def actions_by(self, actor_id: int) -> list[AuditRow]:
        """An officer's own audited actions (their part of /mydata)."""
        rows = await self.db.fetchall(
            "SELECT * FROM broadcast_audit WHERE actor_id = ? ORDER BY id", (actor_id,)
        )
        return [from_row(AuditRow, r) for r in rows]

    # ------------------------------------------------------------ ratings

    async def rate(self, broadcast_id: int, chat_id: int, useful: bool, now: datetime) -> bool:
        """One rating per resident per broadcast they received; a second press changes it."""
        async with self.db.transaction() as tx:
            ok = await tx.fetchone(
                "SELECT 1 FROM outbox WHERE broadcast_id = ? AND chat_id = ?"
                f" AND status = '{OS.SENT}'",
                (broadcast_id, chat_id),
            )
            if ok is None:
                return False
            await tx.execute(
                "INSERT INTO broadcast_ratings (broadcast_id, chat_id, useful, rated_at)"
                " VALUES (?, ?, ?, ?) ON CONFLICT (broadcast_id, chat_id)"
                " DO UPDATE SET useful = excluded.useful, rated_at = excluded.rated_at",
                (broadcast_id, chat_id, int(useful), ts(now)),
            )
            return True

    async def ratings(self, broadcast_id: int) -> tuple[int, int]:
        """(useful, not useful)."""
        row = await self.db.fetchone(
            "SELECT COALESCE(SUM(useful), 0), COALESCE(SUM(1 - useful), 0)"
            " FROM broadcast_ratings WHERE broadcast_id = ?",
            (broadcast_id,),
        )
        return (int(row[0]), int(row[1])) if row else (0, 0)

    # ------------------------------------------------------------ audit

    async def audit_rows(self, broadcast_id: int) -> list[AuditRow]:
        rows = await self.db.fetchall(
            "SELECT * FROM broadcast_audit WHERE broadcast_id = ? ORDER BY id", (broadcast_id,)
        )
        return [from_row(AuditRow, r) for r in rows]
