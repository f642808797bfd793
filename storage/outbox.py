"""The outbox: one row per recipient of a broadcast, from materialising to the last outcome.

Part of BroadcastStore (storage/broadcasts.py): materialise the audience, claim rows for the
sender, record what became of them, requeue what was never sent, progress and what is due.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from storage.broadcast_types import (
    ACTIVE_SQL,
    BS,
    ELIGIBLE,
    OS,
    Broadcast,
    Claimed,
    Outcome,
    audience_sql,
)
from storage.db import Database, from_ts, sql_in, ts
from storage.model import ACTIVE, FINAL, AudienceKind, OutboxStatus


class Outbox:
    """The outbox rows of every broadcast (a mixin of BroadcastStore)."""

    db: Database

    async def outbox_due(self, now: datetime) -> tuple[int, datetime | None]:
        """How many outbox rows are due to be sent now (their broadcast running or scheduled and
        due, the row not yet sent) and when the oldest of them fell due (None: none).

        For /readyz and /metrics: a row due long ago means the sender is stuck. Rows held back
        by quiet hours are not due (their broadcast's due_at is moved past them).
        """
        row = await self.db.fetchone(
            "SELECT COUNT(*) AS n, MIN(b.due_at) AS oldest FROM outbox o"
            " JOIN broadcasts b ON b.id = o.broadcast_id"
            f" WHERE b.status IN {ACTIVE_SQL} AND b.due_at <= ?"
            f" AND o.status IN {sql_in(OS.PENDING, OS.SENDING)}",
            (ts(now),),
        )
        if row is None or not row["n"]:
            return 0, None
        return int(row["n"]), from_ts(row["oldest"])

    async def materialise(self, b: Broadcast, now: datetime) -> int:
        """Write the outbox rows in SQL (INSERT ... SELECT, never through Python) and start."""
        async with self.db.transaction() as tx:
            row = await tx.fetchone(
                "SELECT materialised, status FROM broadcasts WHERE id = ?", (b.id,)
            )
            if row is None or row["status"] not in ACTIVE:
                return 0
            added = 0
            if not row["materialised"]:
                where, params = audience_sql(b.audience)
                if b.audience.kind != AudienceKind.PERSONAL:
                    added = await tx.execute(
                        "INSERT INTO outbox (broadcast_id, chat_id)"
                        f" SELECT ?, r.chat_id FROM residents r WHERE {where}"
                        " ON CONFLICT DO NOTHING",
                        (b.id, *params),
                    )
            await tx.execute(
                f"UPDATE broadcasts SET materialised = 1, status = '{BS.SENDING}',"
                " started_at = COALESCE(started_at, ?), updated_at = ? WHERE id = ?",
                (ts(now), ts(now), b.id),
            )
            return added

    async def claim(
        self, b: Broadcast, limit: int, texts: Mapping[str, str] | None = None
    ) -> list[Claimed]:
        """Take up to `limit` pending rows for sending, re-checking each resident first.

        Rows whose resident no longer qualifies (sent /stop, blocked us, erased) are 'skipped'.
        Claimed rows are 'sending' until the result is recorded; a hard kill leaves them so and
        they are retried at the next start.

        Each row is given its text in the language its resident reads now, right before it is
        sent (`texts`: {language: text}; any other language gets the broadcast's own text), so
        a resident who switched language while the broadcast was paused or before their turn
        gets it in their new one, and the row keeps what was sent (/mydata). A personal
        broadcast's rows keep their own text.
        """
        cond = ELIGIBLE[b.requires]
        own = b.audience.kind == AudienceKind.PERSONAL
        async with self.db.transaction() as tx:
            rows = await tx.fetchall(
                f"SELECT o.chat_id, o.text, o.attempts, COALESCE({cond}, 0) AS ok,"
                " COALESCE(r.language, 'en') AS language"
                " FROM outbox o LEFT JOIN residents r ON r.chat_id = o.chat_id"
                f" WHERE o.broadcast_id = ? AND o.status = '{OS.PENDING}'"
                " ORDER BY o.chat_id LIMIT ?",
                (b.id, limit),
            )
            skip = [(b.id, r["chat_id"]) for r in rows if not r["ok"]]
            take = [
                Claimed(
                    r["chat_id"],
                    r["text"] if own else (texts or {}).get(r["language"]),
                    r["attempts"],
                    r["language"],
                )
                for r in rows
                if r["ok"]
            ]
            if skip:
                await tx.executemany(
                    f"UPDATE outbox SET status = '{OS.SKIPPED}'"
                    " WHERE broadcast_id = ? AND chat_id = ?",
                    skip,
                )
            if take:
                await tx.executemany(
                    f"UPDATE outbox SET status = '{OS.SENDING}', text = ?"
                    " WHERE broadcast_id = ? AND chat_id = ?",
                    [(c.text, b.id, c.chat_id) for c in take],
                )
        return take

    async def still_eligible(self, b: Broadcast, chat_id: int) -> bool:
        cond = ELIGIBLE[b.requires]
        row = await self.db.fetchone(
            f"SELECT {cond} FROM residents r WHERE r.chat_id = ?", (chat_id,)
        )
        return bool(row and row[0])

    async def mark_sent(
        self, broadcast_id: int, chat_id: int, message_id: int | None, now: datetime
    ) -> None:
        await self.db.execute(
            f"UPDATE outbox SET status = '{OS.SENT}', attempts = attempts + 1, sent_at = ?,"
            " message_id = ?, last_error = NULL WHERE broadcast_id = ? AND chat_id = ?",
            (ts(now), message_id, broadcast_id, chat_id),
        )

    async def mark_blocked(
        self, broadcast_id: int, chat_id: int, error: str, now: datetime
    ) -> None:
        """403: the resident blocked the bot or is gone; they become inactive, no retry."""
        async with self.db.transaction() as tx:
            await tx.execute(
                f"UPDATE outbox SET status = '{OS.BLOCKED}', attempts = attempts + 1,"
                " last_error = ?"
                " WHERE broadcast_id = ? AND chat_id = ?",
                (error[:200], broadcast_id, chat_id),
            )
            await tx.execute(
                "UPDATE residents SET active = 0, updated_at = ? WHERE chat_id = ?",
                (ts(now), chat_id),
            )
            self.db.kept_residents.drop(chat_id)  # storage/residents.py reads it again

    async def release(self, broadcast_id: int, chat_ids: Sequence[int]) -> None:
        """Put claimed rows back (a graceful stop before they were sent)."""
        async with self.db.transaction() as tx:
            await tx.executemany(
                f"UPDATE outbox SET status = '{OS.PENDING}' WHERE broadcast_id = ? AND chat_id = ?"
                f" AND status = '{OS.SENDING}'",
                [(broadcast_id, c) for c in chat_ids],
            )

    async def record(self, outcomes: Sequence[Outcome]) -> None:
        """Write the results of several sends in one transaction (all or none).

        Writing the same outcome twice gives the same row, so a caller that does not know whether
        a write went through may simply write again.
        """
        sent = [
            (ts(o.at) if o.at else None, o.message_id, o.attempts, o.broadcast_id, o.chat_id)
            for o in outcomes
            if o.status == OutboxStatus.SENT
        ]
        final = [
            (o.status, o.attempts, (o.error or "")[:200], o.broadcast_id, o.chat_id)
            for o in outcomes
            if o.status in FINAL
        ]
        back = [
            (o.attempts, o.broadcast_id, o.chat_id)
            for o in outcomes
            if o.status == OutboxStatus.PENDING
        ]
        inactive = [
            (ts(o.at) if o.at else None, o.chat_id)
            for o in outcomes
            if o.status == OutboxStatus.BLOCKED
        ]
        async with self.db.transaction() as tx:
            if sent:
                await tx.executemany(
                    f"UPDATE outbox SET status = '{OS.SENT}', sent_at = ?, message_id = ?,"
                    " attempts = ?,"
                    " last_error = NULL WHERE broadcast_id = ? AND chat_id = ?",
                    sent,
                )
            if final:
                await tx.executemany(
                    "UPDATE outbox SET status = ?, attempts = ?, last_error = ?"
                    " WHERE broadcast_id = ? AND chat_id = ?",
                    final,
                )
            if back:
                await tx.executemany(
                    f"UPDATE outbox SET status = '{OS.PENDING}', attempts = ?"
                    f" WHERE broadcast_id = ? AND chat_id = ? AND status = '{OS.SENDING}'",
                    back,
                )
            if inactive:
                # 403: the resident blocked the bot or is gone; they become inactive.
                await tx.executemany(
                    "UPDATE residents SET active = 0, updated_at = COALESCE(?, updated_at)"
                    " WHERE chat_id = ?",
                    inactive,
                )
                for _, chat_id in inactive:  # storage/residents.py reads them again
                    self.db.kept_residents.drop(chat_id)

    async def set_attempts(
        self, broadcast_id: int, chat_id: int, attempts: int, error: str
    ) -> None:
        """A failed try that will be retried: the row stays 'sending' (best effort)."""
        await self.db.execute(
            "UPDATE outbox SET attempts = ?, last_error = ? WHERE broadcast_id = ? AND chat_id = ?",
            (attempts, error[:200], broadcast_id, chat_id),
        )

    async def requeue_sending(self, broadcast_id: int) -> int:
        """Rows of one broadcast left 'sending' with no request in flight go back to 'pending'.

        Only for a caller that knows none of them is in flight or waiting to be recorded (the
        sender, before it starts a broadcast): such rows were claimed but never sent.
        """
        return await self.db.execute(
            f"UPDATE outbox SET status = '{OS.PENDING}'"
            f" WHERE broadcast_id = ? AND status = '{OS.SENDING}'",
            (broadcast_id,),
        )

    async def reset_in_flight(self) -> int:
        """At start: rows left 'sending' by a hard kill are tried again."""
        return await self.db.execute(
            f"UPDATE outbox SET status = '{OS.PENDING}' WHERE status = '{OS.SENDING}'"
        )

    async def finish_if_done(self, broadcast_id: int, now: datetime) -> bool:
        async with self.db.transaction() as tx:
            row = await tx.fetchone(
                "SELECT COUNT(*) FROM outbox WHERE broadcast_id = ?"
                f" AND status IN {sql_in(OutboxStatus.PENDING, OutboxStatus.SENDING)}",
                (broadcast_id,),
            )
            if row and row[0]:
                return False
            n = await tx.execute(
                f"UPDATE broadcasts SET status = '{BS.DONE}', finished_at = ?, updated_at = ?"
                f" WHERE id = ? AND status = '{BS.SENDING}'",
                (ts(now), ts(now), broadcast_id),
            )
            return bool(n)

    async def progress(self, broadcast_id: int) -> dict[str, int]:
        rows = await self.db.fetchall(
            "SELECT status, COUNT(*) FROM outbox WHERE broadcast_id = ? GROUP BY status",
            (broadcast_id,),
        )
        return {r[0]: int(r[1]) for r in rows}
