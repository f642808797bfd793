"""The broadcasts themselves: create, follow content, schedule, move, cancel, expire, list.

Part of BroadcastStore (storage/broadcasts.py); the outbox rows they send are storage/outbox.py's.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from storage.broadcast_types import (
    ACTIVE_SQL,
    BK,
    BS,
    ELIGIBLE,
    ENDED_SQL,
    Broadcast,
    audience_sql,
    audit,
)
from storage.db import Database, Tx, from_row, ts
from storage.model import (
    Audience,
    AudienceKind,
    AuditAction,
    BroadcastKind,
    BroadcastSpec,
    BroadcastStatus,
    OutboxStatus,
    Requires,
)


class BroadcastSchedule:
    """Broadcast rows from creation to their end (a mixin of BroadcastStore)."""

    db: Database

    async def count_audience(self, audience: Audience) -> int:
        where, params = audience_sql(audience)
        row = await self.db.fetchone(f"SELECT COUNT(*) FROM residents r WHERE {where}", params)
        return int(row[0]) if row else 0

    async def count_by_language(self, audience: Audience) -> dict[str, int]:
        """The audience now, per resident's language."""
        where, params = audience_sql(audience)
        rows = await self.db.fetchall(
            f"SELECT r.language, COUNT(*) FROM residents r WHERE {where} GROUP BY r.language",
            params,
        )
        return {str(r[0]): int(r[1]) for r in rows}

    async def count_by_nag(self) -> dict[str, int]:
        """Residents a broadcast to chosen NAGs would reach now, per NAG (NAGs with none left
        out): the raw figures, for the caller to protect before showing."""
        rows = await self.db.fetchall(
            f"SELECT r.nag_id, COUNT(*) FROM residents r WHERE {ELIGIBLE[Requires.CONSENT]}"
            " AND r.nag_id IS NOT NULL GROUP BY r.nag_id"
        )
        return {str(r[0]): int(r[1]) for r in rows}

    async def _insert(self, tx: Tx, spec: BroadcastSpec, now: datetime) -> int | None:
        """Insert a broadcast; None when `key` already exists (automatic ones are idempotent)."""
        rowid = await tx.insert(
            "INSERT INTO broadcasts (key, kind, ref, text, image, audience, requires, urgent,"
            " ratings, send_at, due_at, fingerprint, created_by, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (key) DO NOTHING",
            (
                spec.key,
                spec.kind,
                spec.ref,
                spec.text,
                spec.image,
                spec.audience.to_json(),
                spec.requires,
                int(spec.urgent),
                int(spec.ratings),
                ts(spec.send_at),
                ts(spec.send_at),
                spec.fingerprint,
                spec.created_by,
                ts(now),
                ts(now),
            ),
        )
        changed = await tx.fetchone("SELECT changes()")
        if not changed or changed[0] == 0:
            return None
        return rowid

    async def create(self, spec: BroadcastSpec, now: datetime) -> tuple[int, bool]:
        """Create a broadcast and its audit row; (id, created). An existing `key` is kept."""
        async with self.db.transaction() as tx:
            return await self._create_in(tx, spec, now)

    async def _create_in(self, tx: Tx, spec: BroadcastSpec, now: datetime) -> tuple[int, bool]:
        """Insert with its 'schedule' audit row; an existing `key` gives (its id, False)."""
        new_id = await self._insert(tx, spec, now)
        if new_id is None:
            row = await tx.fetchone("SELECT id FROM broadcasts WHERE key = ?", (spec.key,))
            assert row is not None
            return int(row[0]), False
        for lang, text in spec.translations:
            await tx.execute(
                "INSERT INTO broadcast_texts (broadcast_id, language, text) VALUES (?, ?, ?)",
                (new_id, lang, text),
            )
        detail = spec.detail or str(spec.kind)
        await audit(tx, new_id, spec.created_by, AuditAction.SCHEDULE, detail, now)
        return new_id, True

    async def update_planned(
        self, key: str, text: str, image: str | None, send_at: datetime, now: datetime
    ) -> bool:
        """Follow a content change for an automatic broadcast that has not started yet."""
        async with self.db.transaction() as tx:
            row = await tx.fetchone(
                "SELECT id, text, image, send_at FROM broadcasts"
                f" WHERE key = ? AND status = '{BS.SCHEDULED}' AND materialised = 0",
                (key,),
            )
            if row is None or (
                row["text"] == text and row["image"] == image and row["send_at"] == ts(send_at)
            ):
                return False
            await tx.execute(
                "UPDATE broadcasts SET text = ?, image = ?, send_at = ?, due_at = ?,"
                " updated_at = ? WHERE id = ?",
                (text, image, ts(send_at), ts(send_at), ts(now), row["id"]),
            )
            await audit(tx, row["id"], None, AuditAction.CHANGE, "content reloaded", now)
            return True

    async def cancel_planned_except(self, prefix: str, keep: set[str], now: datetime) -> list[int]:
        """Cancel future automatic broadcasts under `prefix` that content no longer plans.

        Only future ones: an overdue row is not in today's plan but must still be sent or expired.
        """
        rows = await self.db.fetchall(
            f"SELECT id, key FROM broadcasts WHERE key LIKE ? AND status = '{BS.SCHEDULED}'"
            " AND materialised = 0 AND send_at > ?",
            (prefix + "%", ts(now)),
        )
        gone = [r["id"] for r in rows if r["key"] not in keep]
        for bid in gone:
            await self.cancel(bid, None, now, detail="removed from content")
        return gone

    async def get(self, broadcast_id: int) -> Broadcast | None:
        row = await self.db.fetchone("SELECT * FROM broadcasts WHERE id = ?", (broadcast_id,))
        return from_row(Broadcast, row) if row else None

    async def get_by_key(self, key: str) -> Broadcast | None:
        row = await self.db.fetchone("SELECT * FROM broadcasts WHERE key = ?", (key,))
        return from_row(Broadcast, row) if row else None

    async def active(self) -> list[Broadcast]:
        """Scheduled and running broadcasts, soonest first."""
        rows = await self.db.fetchall(
            f"SELECT * FROM broadcasts WHERE status IN {ACTIVE_SQL} ORDER BY due_at, id"
        )
        return [from_row(Broadcast, r) for r in rows]

    async def next_due(self, now: datetime, exclude: Sequence[int] = ()) -> Broadcast | None:
        """The broadcast to send next (urgent first, then oldest), leaving out `exclude`."""
        skip = f" AND id NOT IN ({','.join('?' * len(exclude))})" if exclude else ""
        row = await self.db.fetchone(
            f"SELECT * FROM broadcasts WHERE status IN {ACTIVE_SQL} AND due_at <= ?"
            f"{skip} ORDER BY urgent DESC, due_at, id LIMIT 1",
            (ts(now), *exclude),
        )
        return from_row(Broadcast, row) if row else None

    async def set_due(self, broadcast_id: int, due_at: datetime, now: datetime) -> None:
        await self.db.execute(
            "UPDATE broadcasts SET due_at = ?, updated_at = ? WHERE id = ?",
            (ts(due_at), ts(now), broadcast_id),
        )

    async def status_of(self, broadcast_id: int) -> str | None:
        row = await self.db.fetchone("SELECT status FROM broadcasts WHERE id = ?", (broadcast_id,))
        return row[0] if row else None

    async def _end(
        self,
        broadcast_id: int,
        status: BroadcastStatus,
        unsent: tuple[OutboxStatus, ...],
        actor: int | None,
        action: AuditAction,
        detail: str | None,
        now: datetime,
        expected_due: datetime | None = None,
    ) -> bool:
        """End a scheduled or running broadcast; outbox rows in `unsent` states get `status`.

        With `expected_due`, only while the broadcast is still due then (what the officer saw).
        """
        same_due = "" if expected_due is None else " AND due_at = ?"
        async with self.db.transaction() as tx:
            n = await tx.execute(
                "UPDATE broadcasts SET status = ?, finished_at = ?, updated_at = ?"
                f" WHERE id = ? AND status IN {ACTIVE_SQL}{same_due}",
                (status, ts(now), ts(now), broadcast_id)
                + (() if expected_due is None else (ts(expected_due),)),
            )
            if not n:
                return False
            await tx.execute(
                f"UPDATE outbox SET status = ? WHERE broadcast_id = ?"
                f" AND status IN ({','.join('?' * len(unsent))})",
                (status, broadcast_id, *unsent),
            )
            await audit(tx, broadcast_id, actor, action, detail, now)
            return True

    async def cancel(
        self,
        broadcast_id: int,
        actor: int | None,
        now: datetime,
        detail: str | None = None,
        expected_due: datetime | None = None,
    ) -> bool:
        """Cancel a scheduled or running broadcast; rows not yet sent are not sent.

        With `expected_due`, only if it is still due then (a confirmation shown before the
        broadcast was moved or sent now is refused).
        """
        return await self._end(
            broadcast_id,
            BroadcastStatus.CANCELLED,
            (OutboxStatus.PENDING,),
            actor,
            AuditAction.CANCEL,
            detail,
            now,
            expected_due,
        )

    async def _move(
        self,
        broadcast_id: int,
        at: datetime,
        actor: int,
        action: AuditAction,
        detail: str | None,
        now: datetime,
        *,
        renotify: bool,
        expected_due: datetime | None = None,
        urgent: bool = False,
    ) -> bool:
        """Move a broadcast that has not started to `at`, with its audit row (with
        `expected_due`: only while it is still due then; `urgent`: it also ignores quiet
        hours from now on)."""
        same_due = "" if expected_due is None else " AND due_at = ?"
        async with self.db.transaction() as tx:
            n = await tx.execute(
                "UPDATE broadcasts SET send_at = ?, due_at = ?, updated_at = ?,"
                " notified = CASE WHEN ? THEN 0 ELSE notified END,"
                " urgent = CASE WHEN ? THEN 1 ELSE urgent END"
                f" WHERE id = ? AND status = '{BS.SCHEDULED}'{same_due}",
                (ts(at), ts(at), ts(now), int(renotify), int(urgent), broadcast_id)
                + (() if expected_due is None else (ts(expected_due),)),
            )
            if n:
                await audit(tx, broadcast_id, actor, action, detail, now)
            return bool(n)

    async def send_now(
        self,
        broadcast_id: int,
        actor: int,
        now: datetime,
        expected_due: datetime | None = None,
        urgent: bool = False,
    ) -> bool:
        """Send at once (`urgent`: during quiet hours too; the audit row says so)."""
        return await self._move(
            broadcast_id,
            now,
            actor,
            AuditAction.SEND_NOW,
            "urgent" if urgent else None,
            now,
            renotify=False,
            expected_due=expected_due,
            urgent=urgent,
        )

    async def reschedule(
        self,
        broadcast_id: int,
        send_at: datetime,
        actor: int,
        now: datetime,
        expected_due: datetime | None = None,
    ) -> bool:
        """Move a broadcast to another time (audited as a change); officers are noticed again."""
        detail = f"send_at {ts(send_at)}"
        return await self._move(
            broadcast_id,
            send_at,
            actor,
            AuditAction.CHANGE,
            detail,
            now,
            renotify=True,
            expected_due=expected_due,
        )

    async def expire(self, broadcast_id: int, now: datetime, detail: str) -> bool:
        """Mark a broadcast too late to send; rows not sent are marked expired, never sent."""
        return await self._end(
            broadcast_id,
            BroadcastStatus.EXPIRED,
            (OutboxStatus.PENDING, OutboxStatus.SENDING),
            None,
            AuditAction.EXPIRE,
            detail,
            now,
        )

    async def duplicates(
        self, fp: str, audience: Audience, lo: datetime, hi: datetime
    ) -> list[Broadcast]:
        """Broadcasts of the same text to the same audience with a send time in [lo, hi]."""
        rows = await self.db.fetchall(
            "SELECT * FROM broadcasts WHERE fingerprint = ? AND audience = ?"
            f" AND send_at BETWEEN ? AND ? AND status NOT IN ('{BS.CANCELLED}', '{BS.EXPIRED}')",
            (fp, audience.to_json(), ts(lo), ts(hi)),
        )
        return [from_row(Broadcast, r) for r in rows]

    async def needing_notice(self, horizon: datetime) -> list[Broadcast]:
        """Automatic campaign messages due before `horizon` whose officers were not told yet."""
        rows = await self.db.fetchall(
            f"SELECT * FROM broadcasts WHERE kind = '{BK.CAMPAIGN}' AND status = '{BS.SCHEDULED}'"
            " AND notified = 0 AND due_at <= ? ORDER BY due_at",
            (ts(horizon),),
        )
        return [from_row(Broadcast, r) for r in rows]

    async def mark_notified(self, broadcast_id: int) -> None:
        await self.db.execute("UPDATE broadcasts SET notified = 1 WHERE id = ?", (broadcast_id,))

    async def recent(self, limit: int = 10) -> list[Broadcast]:
        rows = await self.db.fetchall(
            f"SELECT * FROM broadcasts WHERE status IN {ENDED_SQL}"
            " ORDER BY COALESCE(finished_at, updated_at) DESC LIMIT ?",
            (limit,),
        )
        return [from_row(Broadcast, r) for r in rows]

    # ------------------------------------------------------------ personal messages

    async def enqueue_personal(
        self,
        *,
        kind: BroadcastKind,
        ref: str,
        messages: Sequence[tuple[int, str]],
        send_at: datetime,
        now: datetime,
    ) -> tuple[int, bool]:
        """A broadcast whose rows carry their own text; idempotent on (kind, ref)."""
        key = f"{kind}:{ref}"
        async with self.db.transaction() as tx:
            spec = BroadcastSpec(
                kind=kind,
                text=None,
                audience=Audience(AudienceKind.PERSONAL),
                send_at=send_at,
                key=key,
                ref=ref,
                ratings=False,
                detail=str(kind),
            )
            new_id, created = await self._create_in(tx, spec, now)
            if not created:
                return new_id, False
            # Only chats that are residents get a row (the outbox references residents).
            await tx.executemany(
                "INSERT INTO outbox (broadcast_id, chat_id, text)"
                " SELECT ?, chat_id, ? FROM residents WHERE chat_id = ? ON CONFLICT DO NOTHING",
                [(new_id, text, chat_id) for chat_id, text in messages],
            )
            await tx.execute("UPDATE broadcasts SET materialised = 1 WHERE id = ?", (new_id,))
            return new_id, True
