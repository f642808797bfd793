"""The console's views of broadcasts: a month of them (scheduled, sent, expired...), how each
was delivered, campaign ratings by month, and an officer's change of a scheduled text (or of
one of its translations alone).

Counts only: no chat id leaves this module. The broadcasts themselves are
storage/broadcast_schedule.py's; the change of text writes its audit row as the others do.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from storage.broadcast_types import BK, BS, Broadcast, audit
from storage.db import Database, from_row, ts
from storage.model import AuditAction

# When a broadcast shows in the calendar: when it started going out, else when it is due.
AT = "COALESCE(started_at, due_at)"


@dataclass(frozen=True)
class CampaignMonth:
    campaign: str
    month: str  # "2026-11"
    sent: int
    useful: int
    not_useful: int


class BroadcastCalendar:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def between(self, start: datetime, end: datetime) -> list[Broadcast]:
        """Every broadcast shown in [start, end), in time order."""
        rows = await self.db.fetchall(
            f"SELECT * FROM broadcasts WHERE {AT} >= ? AND {AT} < ? ORDER BY {AT}, id",
            (ts(start), ts(end)),
        )
        return [from_row(Broadcast, r) for r in rows]

    async def delivery(self, ids: Sequence[int]) -> dict[int, dict[str, int]]:
        """Outbox rows per broadcast and status."""
        out: dict[int, dict[str, int]] = {i: {} for i in ids}
        for start in range(0, len(ids), 500):
            chunk = list(ids[start : start + 500])
            rows = await self.db.fetchall(
                "SELECT broadcast_id, status, COUNT(*) FROM outbox WHERE broadcast_id IN"
                f" ({','.join('?' * len(chunk))}) GROUP BY broadcast_id, status",
                chunk,
            )
            for r in rows:
                out[int(r[0])][str(r[1])] = int(r[2])
        return out

    async def campaign_months(self) -> list[CampaignMonth]:
        """Each campaign's messages by the month they went out: sent, rated useful and not."""
        rows = await self.db.fetchall(
            f"SELECT b.ref, substr(b.started_at, 1, 7) AS month,"
            " (SELECT COUNT(*) FROM outbox o WHERE o.broadcast_id = b.id AND o.status = 'sent'),"
            " (SELECT COALESCE(SUM(useful), 0) FROM broadcast_ratings r"
            "  WHERE r.broadcast_id = b.id),"
            " (SELECT COALESCE(SUM(1 - useful), 0) FROM broadcast_ratings r"
            "  WHERE r.broadcast_id = b.id)"
            f" FROM broadcasts b WHERE b.kind = '{BK.CAMPAIGN}' AND b.started_at IS NOT NULL"
        )
        merged: dict[tuple[str, str], list[int]] = {}
        for r in rows:
            acc = merged.setdefault((r[0] or "", r[1]), [0, 0, 0])
            for i in range(3):
                acc[i] += int(r[2 + i])
        return [CampaignMonth(c, m, *v) for (c, m), v in sorted(merged.items(), key=lambda x: x[0])]

    async def edit_text(
        self,
        broadcast_id: int,
        text: str,
        fingerprint: str,
        actor: int,
        now: datetime,
        expected_due: datetime,
    ) -> bool:
        """Change the text of an officer's broadcast that has not started, if it is still due
        when the officer saw it; audited as a change. Its translations go (they translated the
        old text)."""
        async with self.db.transaction() as tx:
            n = await tx.execute(
                "UPDATE broadcasts SET text = ?, fingerprint = ?, updated_at = ?"
                f" WHERE id = ? AND status = '{BS.SCHEDULED}' AND kind = '{BK.OFFICER}'"
                " AND materialised = 0 AND due_at = ?",
                (text, fingerprint, ts(now), broadcast_id, ts(expected_due)),
            )
            if n:
                # Its translations said the old text: from now on everyone gets the new one.
                dropped = await tx.execute(
                    "DELETE FROM broadcast_texts WHERE broadcast_id = ?", (broadcast_id,)
                )
                detail = "text edited" + (", translations dropped" if dropped else "")
                await audit(tx, broadcast_id, actor, AuditAction.CHANGE, detail, now)
            return bool(n)

    async def edit_translation(
        self,
        broadcast_id: int,
        language: str,
        text: str | None,
        actor: int,
        now: datetime,
        expected_due: datetime,
    ) -> bool:
        """Change (or, with None, remove) one translation of an officer's broadcast that has not
        started, if it is still due when the officer saw it; the English and the other
        translations stay as they are; audited as a change."""
        async with self.db.transaction() as tx:
            n = await tx.execute(
                "UPDATE broadcasts SET updated_at = ?"
                f" WHERE id = ? AND status = '{BS.SCHEDULED}' AND kind = '{BK.OFFICER}'"
                " AND materialised = 0 AND due_at = ?",
                (ts(now), broadcast_id, ts(expected_due)),
            )
            if not n:
                return False
            if text is None:
                gone = await tx.execute(
                    "DELETE FROM broadcast_texts WHERE broadcast_id = ? AND language = ?",
                    (broadcast_id, language),
                )
                if not gone:
                    return True  # nothing to remove: nothing changed, nothing audited
                detail = f"translation removed ({language})"
            else:
                await tx.execute(
                    "INSERT INTO broadcast_texts (broadcast_id, language, text) VALUES (?, ?, ?)"
                    " ON CONFLICT (broadcast_id, language) DO UPDATE SET text = excluded.text",
                    (broadcast_id, language, text),
                )
                detail = f"translation edited ({language})"
            await audit(tx, broadcast_id, actor, AuditAction.CHANGE, detail, now)
            return True
