"""Whether the bot can do its job now (/readyz), and the problems that check opens and closes.

Ready means: the database takes a write (a write lock taken and let go, nothing written), a Bot
API call succeeded recently, no due outbox row has waited past the threshold, and no problem that
makes the bot not ready is open in OpsStatus (bot/ops/status.py), whoever raised it. The check
raises DATABASE_UNWRITABLE, BOT_API_UNREACHABLE and OUTBOX_STUCK when it finds them and clears
the first and the last when they are over (a successful Bot API call clears the second).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from bot.ops.status import OpsStatus, Problem
from bot.plumbing.clock import Clock
from bot.plumbing.config import Config
from storage.broadcasts import BroadcastStore
from storage.db import Database, DatabaseUnavailable


class Services(Protocol):
    """What the check reads (bot.context.Services has it all; not imported, so no circle)."""

    config: Config
    clock: Clock
    db: Database
    broadcasts: BroadcastStore
    status: OpsStatus


# The probe waits at most this long for another connection's lock: a probe must answer quickly,
# and a lock held longer than this is itself worth reporting.
PROBE_BUSY_MS = 1000


@dataclass
class Readiness:
    ready: bool
    reasons: list[str]
    database: str  # "writable", or why not: locked | read-only | full | unreadable | damaged
    api_silent_seconds: float
    outbox_due: int | None  # None: the database could not be read
    outbox_oldest_due_seconds: float | None
    extra: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {
            "status": "ready" if self.ready else "not ready",
            "reasons": self.reasons,
            "database": self.database,
            "bot_api_silent_seconds": round(self.api_silent_seconds, 1),
            "outbox_due": self.outbox_due,
            "outbox_oldest_due_seconds": self.outbox_oldest_due_seconds,
        }


async def probe_database(s: Services) -> str:
    """'writable', or the reason the database refused; raises or clears DATABASE_UNWRITABLE."""
    try:
        with Database.busy_timeout(PROBE_BUSY_MS):
            await s.db.probe_write()
    except DatabaseUnavailable as exc:
        s.status.raise_problem(Problem.DATABASE_UNWRITABLE, f"the database is {exc.reason}")
        return exc.reason
    except RuntimeError:  # not open (starting or stopping)
        s.status.raise_problem(Problem.DATABASE_UNWRITABLE, "the database is not open")
        return "not open"
    s.status.clear_problem(Problem.DATABASE_UNWRITABLE)
    return "writable"


async def outbox_state(s: Services) -> tuple[int, float] | None:
    """(due rows, seconds the oldest has waited), or None when the database cannot be read."""
    try:
        with Database.busy_timeout(PROBE_BUSY_MS):
            due, oldest = await s.broadcasts.outbox_due(s.clock.now())
    except (DatabaseUnavailable, RuntimeError):
        return None
    age = 0.0 if oldest is None else max(0.0, (s.clock.now() - oldest).total_seconds())
    return due, age


async def check(s: Services) -> Readiness:
    """Probe what can be probed, update the problems, and say whether the bot is ready."""
    http = s.config.settings.http
    database = await probe_database(s)
    outbox = await outbox_state(s)
    if outbox is not None:
        if outbox[1] > http.outbox_stuck_seconds:
            s.status.raise_problem(
                Problem.OUTBOX_STUCK,
                f"a due outbox row has waited {outbox[1] / 60:.0f} minutes "
                f"(threshold {http.outbox_stuck_seconds / 60:.0f})",
            )
        else:
            s.status.clear_problem(Problem.OUTBOX_STUCK)
    silent = s.status.api_silent_for()
    silent_s = silent.total_seconds() if silent is not None else 0.0
    if silent_s > http.api_silence_seconds:
        s.status.raise_problem(
            Problem.BOT_API_UNREACHABLE,
            f"no successful Bot API call for {silent_s:.0f} s "
            f"(threshold {http.api_silence_seconds:.0f})",
        )
    reasons = s.status.not_ready_reasons()
    return Readiness(
        ready=not reasons,
        reasons=reasons,
        database=database,
        api_silent_seconds=silent_s,
        outbox_due=None if outbox is None else outbox[0],
        outbox_oldest_due_seconds=None if outbox is None else round(outbox[1], 1),
    )
