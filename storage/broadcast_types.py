"""The broadcast feature's rows and the SQL pieces its repositories share.

Dataclasses the rows become (through storage.db.from_row), who may still receive a broadcast,
the WHERE clause selecting an audience, and the audit row every change writes. Statuses, kinds
and audiences are the types of storage/model.py, in the SQL and in Python alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from storage.db import Tx, sql_in, ts
from storage.model import (
    ACTIVE,
    ENDED,
    Audience,
    AudienceKind,
    AuditAction,
    BroadcastKind,
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
    """An outbox row handed to the sender: its text (None: the broadcast's own) and the
    language its resident reads when it is claimed, right before it is sent."""

    chat_id: int
    text: str | None
    attempts: int
    language: str = "en"


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


def audience_sql(a: Audience) -> tuple[str, list[Any]]:
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


async def audit(
    tx: Tx,
    broadcast_id: int | None,
    actor: int | None,
    action: AuditAction,
    detail: str | None,
    now: datetime,
) -> None:
    """One row of the audit trail, in the caller's transaction."""
    await tx.execute(
        "INSERT INTO broadcast_audit (broadcast_id, actor_id, action, detail, at)"
        " VALUES (?, ?, ?, ?, ?)",
        (broadcast_id, actor, action, detail, ts(now)),
    )
