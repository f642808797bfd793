"""Broadcasts, outbox, audit and ratings repository: every SQL statement of the broadcast feature.

Statuses, kinds and audiences are the types of storage/model.py, in the SQL and in Python alike;
times are storage.db's one timestamp format; rows become dataclasses through storage.db.from_row.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from storage.db import Database, Tx, from_row, from_ts, sql_in, ts
from storage.model import (
    ACTIVE,
    ENDED,
    FINAL,
    Audience,
    AudienceKind,
    AuditAction,
    BroadcastKind,
    BroadcastSpec,
    BroadcastStatus,
    OutboxStatus,
    Requires,
)

# Short names for the enums inside SQL text.
BS, OS, BK = BroadcastStatus, OutboxStatus, BroadcastKind
ACTIVE_SQL = sql_in(*ACTIVE)
ENDED_SQL = sql_in(*ENDED)
# Who may still receive a broadcast when it is sent (checked again at every claim, so a
# resident who sends /stop during a broadcast gets nothing more from it).
ELIGIBLE = {
    Requires.CONSENT: "r.consent = 1 AND r.active = 1",
    Requires.REMINDERS: "r.remind_meetings = 1 AND r.active = 1",
    Requires.ACTIVE: "r.active = 1",
}


@dataclass(frozen=True)
class Broadcast:
    id: int
    key: str | None
    kind: BroadcastKind
    ref: str | None
    text: str | None
    image: str | None
    audience: Audience
    requires: Requires
    urgent: bool
    ratings: bool
    status: BroadcastStatus
    send_at: datetime
    due_at: datetime
    fingerprint: str | None
    materialised: bool
    notified: bool
    created_by: int | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


@dataclass(frozen=True)
class Claimed:
    """An outbox row handed to the sender."""

    chat_id: int
    text: str | None
    attempts: int


@dataclass(frozen=True)
class Outcome:
    """What became of one claimed outbox row, waiting to be written (see `record`).

    status: sent | blocked | not_found | failed | skipped, or pending (never sent: give it back).
    attempts is the row's total number of requests, written as is (so writing twice is harmless).
    """

    broadcast_id: int
    chat_id: int
    status: OutboxStatus
    attempts: int
    error: str | None = None
    message_id: int | None = None
    at: datetime | None = None


@dataclass(frozen=True)
class Received:
    """A message to one chat, as /mydata shows it."""

    broadcast_id: int
    kind: BroadcastKind
    text: str | None
    status: OutboxStatus
    sent_at: datetime | None
    send_at: datetime


@dataclass(frozen=True)
class Rating:
    broadcast_id: int
    text: str | None
    useful: bool
    rated_at: datetime


@dataclass(frozen=True)
class AuditRow:
    broadcast_id: int | None
    actor_id: int | None
    action: AuditAction
    detail: str | None
    at: datetime


class BroadcastStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    # ------------------------------------------------------------ audiences

    @staticmethod
    def _audience_sql(a: Audience) -> tuple[str, list[Any]]:
        """WHERE clause over `residents r` selecting the audience when the broadcast starts."""
        nags = list(a.nags)
        marks = ",".join("?" * len(nags))
        if a.kind == AudienceKind.REMINDER:
            return f"{ELIGIBLE[Requires.REMINDERS]} AND r.nag_id IN ({marks})", nags
        if a.kind == AudienceKind.NAGS:
            return f"{ELIGIBLE[Requires.CONSENT]} AND r.nag_id IN ({marks})", nags
        if a.kind == AudienceKind.SURVEY:
            # Survey answers are keyed by a pseudonym, never the chat id: the connection's
            # respondent_key() SQL function (registered by the bot with its secret) maps each
            # resident to theirs, so the match happens inside SQLite, batch-free and in one pass.
            return (
                f"{ELIGIBLE[Requires.CONSENT]} AND respondent_key(r.chat_id) IN"
                " (SELECT respondent FROM survey_completions WHERE survey_id = ?)",
                [a.survey],
            )
        if a.kind == AudienceKind.PERSONAL:
            return "0", []  # rows are written with their own text when enqueued
        return ELIGIBLE[Requires.CONSENT], []

    async def count_audience(self, audience: Audience) -> int:
        where, params = self._audience_sql(audience)
        row = await self.db.fetchone(f"SELECT COUNT(*) FROM residents r WHERE {where}", params)
        return int(row[0]) if row else 0

    # ------------------------------------------------------------ broadcasts

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
        detail = spec.detail or str(spec.kind)
        await self._audit(tx, new_id, spec.created_by, AuditAction.SCHEDULE, detail, now)
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
            await self._audit(tx, row["id"], None, AuditAction.CHANGE, "content reloaded", now)
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
            await self._audit(tx, broadcast_id, actor, action, detail, now)
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
                await self._audit(tx, broadcast_id, actor, action, detail, now)
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

    # ------------------------------------------------------------ the outbox

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
                where, params = self._audience_sql(b.audience)
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

    async def claim(self, b: Broadcast, limit: int) -> list[Claimed]:
        """Take up to `limit` pending rows for sending, re-checking each resident first.

        Rows whose resident no longer qualifies (sent /stop, blocked us, erased) are 'skipped'.
        Claimed rows are 'sending' until the result is recorded; a hard kill leaves them so and
        they are retried at the next start.
        """
        cond = ELIGIBLE[b.requires]
        async with self.db.transaction() as tx:
            rows = await tx.fetchall(
                f"SELECT o.chat_id, o.text, o.attempts, COALESCE({cond}, 0) AS ok"
                " FROM outbox o LEFT JOIN residents r ON r.chat_id = o.chat_id"
                f" WHERE o.broadcast_id = ? AND o.status = '{OS.PENDING}'"
                " ORDER BY o.chat_id LIMIT ?",
                (b.id, limit),
            )
            skip = [(b.id, r["chat_id"]) for r in rows if not r["ok"]]
            take = [r for r in rows if r["ok"]]
            if skip:
                await tx.executemany(
                    f"UPDATE outbox SET status = '{OS.SKIPPED}'"
                    " WHERE broadcast_id = ? AND chat_id = ?",
                    skip,
                )
            if take:
                await tx.executemany(
                    f"UPDATE outbox SET status = '{OS.SENDING}'"
                    " WHERE broadcast_id = ? AND chat_id = ?",
                    [(b.id, r["chat_id"]) for r in take],
                )
        return [Claimed(r["chat_id"], r["text"], r["attempts"]) for r in take]

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

    @staticmethod
    async def _audit(
        tx: Tx,
        broadcast_id: int | None,
        actor: int | None,
        action: AuditAction,
        detail: str | None,
        now: datetime,
    ) -> None:
        await tx.execute(
            "INSERT INTO broadcast_audit (broadcast_id, actor_id, action, detail, at)"
            " VALUES (?, ?, ?, ?, ?)",
            (broadcast_id, actor, action, detail, ts(now)),
        )

    async def audit_rows(self, broadcast_id: int) -> list[AuditRow]:
        rows = await self.db.fetchall(
            "SELECT * FROM broadcast_audit WHERE broadcast_id = ? ORDER BY id", (broadcast_id,)
        )
        return [from_row(AuditRow, r) for r in rows]
