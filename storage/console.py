"""The officers' console repository: invited officers, one-time links, sessions and the console's
audit trail (storage/sql/010_console.sql). Officers' data only; tokens arrive already hashed.

Single use is one statement: a link is marked used by the UPDATE that checks it is unused and
unexpired, so two browsers opening the same link at once cannot both sign in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from storage.db import Database, from_row, ts


class LinkKind(StrEnum):
    SIGNIN = "signin"
    INVITE = "invite"


class ConsoleAction(StrEnum):
    SIGN_IN = "sign_in"
    SIGN_IN_REFUSED = "sign_in_refused"
    SIGN_OUT = "sign_out"
    INVITE = "invite"
    JOINED = "joined"
    SET_ROLE = "set_role"
    REMOVE = "remove"
    DOWNLOAD = "download"


@dataclass(frozen=True)
class Link:
    token_hash: str
    kind: LinkKind
    user_id: int | None
    role: str | None
    name: str | None
    created_by: int | None
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None = None


@dataclass(frozen=True)
class Session:
    token_hash: str
    user_id: int
    csrf: str
    created_at: datetime
    seen_at: datetime
    ended_at: datetime | None = None


@dataclass(frozen=True)
class InvitedOfficer:
    user_id: int
    role: str
    name: str | None
    added_by: int | None
    added_at: datetime
    removed_at: datetime | None = None


@dataclass(frozen=True)
class AuditEntry:
    """One row of either audit trail: the console's or the broadcasts'."""

    source: str  # "console" | "broadcast"
    actor_id: int | None
    action: str
    target_id: int | None  # console: the officer acted on; broadcast: the broadcast's id
    detail: str | None
    at: datetime


class ConsoleStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    # ------------------------------------------------------------------ links

    async def add_link(self, link: Link) -> None:
        await self.db.execute(
            "INSERT INTO console_links (token_hash, kind, user_id, role, name, created_by,"
            " created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                link.token_hash, str(link.kind), link.user_id, link.role, link.name,
                link.created_by, ts(link.created_at), ts(link.expires_at),
            ),
        )  # fmt: skip

    async def peek_link(self, token_hash: str, kind: LinkKind, now: datetime) -> Link | None:
        """The link if it is still usable (unused, unexpired), without using it."""
        row = await self.db.fetchone(
            "SELECT * FROM console_links WHERE token_hash = ? AND kind = ?"
            " AND used_at IS NULL AND expires_at > ?",
            (token_hash, str(kind), ts(now)),
        )
        return from_row(Link, row) if row is not None else None

    async def use_link(self, token_hash: str, kind: LinkKind, now: datetime) -> Link | None:
        """Mark the link used if it is usable, in the statement that checks it; None if not."""
        async with self.db.transaction() as tx:
            row = await tx.fetchone(
                "UPDATE console_links SET used_at = ? WHERE token_hash = ? AND kind = ?"
                " AND used_at IS NULL AND expires_at > ? RETURNING *",
                (ts(now), token_hash, str(kind), ts(now)),
            )
        return from_row(Link, row) if row is not None else None

    async def drop_expired_links(self, now: datetime) -> int:
        return await self.db.execute("DELETE FROM console_links WHERE expires_at <= ?", (ts(now),))

    # ------------------------------------------------------------------ sessions

    async def add_session(self, session: Session) -> None:
        await self.db.execute(
            "INSERT INTO console_sessions (token_hash, user_id, csrf, created_at, seen_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (
                session.token_hash, session.user_id, session.csrf,
                ts(session.created_at), ts(session.seen_at),
            ),
        )  # fmt: skip

    async def session(self, token_hash: str) -> Session | None:
        row = await self.db.fetchone(
            "SELECT * FROM console_sessions WHERE token_hash = ? AND ended_at IS NULL",
            (token_hash,),
        )
        return from_row(Session, row) if row is not None else None

    async def touch_session(self, token_hash: str, now: datetime) -> None:
        await self.db.execute(
            "UPDATE console_sessions SET seen_at = ? WHERE token_hash = ?", (ts(now), token_hash)
        )

    async def end_session(self, token_hash: str, now: datetime) -> None:
        await self.db.execute(
            "UPDATE console_sessions SET ended_at = ? WHERE token_hash = ? AND ended_at IS NULL",
            (ts(now), token_hash),
        )

    async def end_sessions_of(self, user_id: int, now: datetime) -> int:
        return await self.db.execute(
            "UPDATE console_sessions SET ended_at = ? WHERE user_id = ? AND ended_at IS NULL",
            (ts(now), user_id),
        )

    # ------------------------------------------------------------------ invited officers

    async def officers(self) -> list[InvitedOfficer]:
        """Every invited officer, removed ones included, oldest first."""
        rows = await self.db.fetchall("SELECT * FROM console_officers ORDER BY added_at, user_id")
        return [from_row(InvitedOfficer, r) for r in rows]

    async def add_officer(
        self, user_id: int, role: str, name: str | None, by: int | None, now: datetime
    ) -> None:
        """Give access (again, for someone removed before), with this role and name."""
        await self.db.execute(
            "INSERT INTO console_officers (user_id, role, name, added_by, added_at)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT (user_id) DO UPDATE SET role = excluded.role,"
            " name = excluded.name, added_by = excluded.added_by, added_at = excluded.added_at,"
            " removed_at = NULL",
            (user_id, role, name, by, ts(now)),
        )

    async def set_role(self, user_id: int, role: str) -> bool:
        changed = await self.db.execute(
            "UPDATE console_officers SET role = ? WHERE user_id = ? AND removed_at IS NULL",
            (role, user_id),
        )
        return changed > 0

    async def remove_officer(self, user_id: int, now: datetime) -> bool:
        """Take access away and end their sessions, in one transaction."""
        async with self.db.transaction() as tx:
            changed = await tx.execute(
                "UPDATE console_officers SET removed_at = ? WHERE user_id = ?"
                " AND removed_at IS NULL",
                (ts(now), user_id),
            )
            await tx.execute(
                "UPDATE console_sessions SET ended_at = ? WHERE user_id = ? AND ended_at IS NULL",
                (ts(now), user_id),
            )
        return changed > 0

    # ------------------------------------------------------------------ audit

    async def audit(
        self,
        actor: int | None,
        action: ConsoleAction,
        now: datetime,
        *,
        target: int | None = None,
        detail: str | None = None,
    ) -> None:
        await self.db.execute(
            "INSERT INTO console_audit (actor_id, action, target_id, detail, at)"
            " VALUES (?, ?, ?, ?, ?)",
            (actor, str(action), target, detail, ts(now)),
        )

    async def audit_trail(
        self,
        *,
        actor: int | None = None,
        action: str | None = None,
        since: datetime | None = None,
        automatic: bool = False,
        limit: int = 200,
    ) -> list[AuditEntry]:
        """Both trails together, newest first, filtered by who, what and from when; the bot's
        own actions on broadcasts (campaign calendar, reminders) only when `automatic`."""
        where: list[str] = []
        params: list[Any] = []
        if actor is not None:
            where.append("actor_id = ?")
            params.append(actor)
        if action is not None:
            where.append("action = ?")
            params.append(action)
        if since is not None:
            where.append("at >= ?")
            params.append(ts(since))
        if not automatic:
            where.append("(source = 'console' OR actor_id IS NOT NULL)")
        cond = f" WHERE {' AND '.join(where)}" if where else ""
        rows = await self.db.fetchall(
            "SELECT * FROM (SELECT 'console' AS source, id, actor_id, action, target_id, detail,"
            " at FROM console_audit UNION ALL SELECT 'broadcast', id, actor_id, action,"
            f" broadcast_id, detail, at FROM broadcast_audit){cond}"
            " ORDER BY at DESC, id DESC LIMIT ?",
            [*params, limit],
        )
        return [from_row(AuditEntry, r) for r in rows]
