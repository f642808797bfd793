"""Delivery's pending-results buffer and its database-outage handling (bot/delivery.py).

Each send's outcome goes into an in-memory buffer that is written at once (one transaction per
flush). When the database refuses a write (locked past the busy timeout, read-only, disk full),
the outcomes stay in the buffer, no new request goes out, and the worker waits (0.5 s, doubling,
at most 10 s) and tries again, writing the buffer first. At most `window` sends are unrecorded
at once (the sender takes a slot per request and frees it only when the result is written).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from telegram.ext import Application

from bot.context import Services, services_of
from bot.ops.status import Problem
from bot.telegram.pacing import Sleep
from storage.broadcasts import Outcome
from storage.db import DatabaseUnavailable

logger = logging.getLogger("bot.delivery")

DB_RETRY_FIRST = 0.5  # seconds to wait after the database refused a write; doubled per try
DB_RETRY_MAX = 10.0  # ... up to this, for as long as it stays locked, read-only or full
STOP_CHECK = 1.0  # seconds: a long wait checks this often whether the bot is stopping


@dataclass
class RunStats:
    sent: int = 0
    blocked: int = 0
    failed: int = 0
    skipped: int = 0
    flood: int = 0
    polls: int = 0  # next_due look-ups
    claims: int = 0  # claim transactions
    db_errors: int = 0  # statements the database refused (locked, read-only, full)
    db_waits: int = 0  # backoff waits while it stayed unavailable
    max_unrecorded: int = 0  # most sends in flight or confirmed but not yet written, at once


class DatabaseDown(Exception):
    """Results cannot be written right now: stop sending, back off, try again."""


class ResultsBuffer:
    """The pending-results buffer, the slots it bounds, and the backoff while the database is
    unavailable. The state is set up in `Delivery.__init__` (bot/delivery.py)."""

    app: Application
    window: int
    sleep: Sleep
    stats: RunStats
    _stop: bool
    _bound_to_running_app: bool
    _results: dict[tuple[int, int], Outcome]
    _unrecorded: int
    _changed: asyncio.Event
    _flush_lock: asyncio.Lock
    _db_down: bool
    _outage: bool
    _db_reason: str

    @property
    def services(self) -> Services:
        return services_of(self.app)

    @property
    def unrecorded(self) -> int:
        """Sends in flight or confirmed but not yet written (never more than `window`)."""
        return self._unrecorded

    def stopping(self) -> bool:
        return self._stop or (self._bound_to_running_app and not self.app.running)

    async def _wait_for_database(self, failures: int) -> None:
        """Back off while the database is unavailable: 0.5 s, 1 s, 2 s ... at most DB_RETRY_MAX."""
        self._db_down = True
        self.stats.db_waits += 1
        delay = min(DB_RETRY_MAX, DB_RETRY_FIRST * 2 ** (failures - 1))
        logger.info(
            "Database %s: %d broadcast results held in memory; next try in %.1f s",
            self._db_reason,
            len(self._results),
            delay,
        )
        # In pieces, so that a stop is noticed within a second even during a long wait.
        while delay > 0 and not self.stopping():
            step = min(delay, STOP_CHECK)
            await self.sleep(step)
            delay -= step

    # ------------------------------------------------------------ the results buffer

    def _note_db_error(self, exc: DatabaseUnavailable) -> None:
        """The database refused: stop sending until the worker's backoff gets a write through."""
        self.stats.db_errors += 1
        self._db_down = True
        self._db_reason = exc.reason
        self.services.status.raise_problem(
            Problem.DATABASE_UNWRITABLE, f"the database is {exc.reason}"
        )
        if not self._outage:
            self._outage = True
            logger.warning(
                "Broadcast delivery paused: the database is %s; results are kept in memory and"
                " written when it is back",
                exc.reason,
            )

    async def _flush(self) -> bool:
        """Write every buffered result in one transaction; False if the database refused."""
        async with self._flush_lock:
            if not self._results:
                return True
            if self._db_down:  # the worker's backoff decides when to try again
                return False
            batch = list(self._results.values())
            try:
                await self.services.broadcasts.record(batch)
            except DatabaseUnavailable as exc:
                self._note_db_error(exc)
                return False
            finally:
                self._changed.set()
            for o in batch:
                del self._results[(o.broadcast_id, o.chat_id)]
            self._unrecorded -= len(batch)
            self._written()
            return True

    def _written(self) -> None:
        """A write went through."""
        if self._outage:
            self._outage = False
            logger.warning("Broadcast delivery resumed: the database is writable again")
            self.services.status.clear_problem(Problem.DATABASE_UNWRITABLE)

    async def _take_slot(self) -> bool:
        """Wait until fewer than `window` sends are unrecorded (False: stopping meanwhile);
        DatabaseDown if none can be."""
        while True:
            if self._db_down:
                raise DatabaseDown
            if self.stopping():
                return False
            if self._unrecorded < self.window:
                self._unrecorded += 1
                self.stats.max_unrecorded = max(self.stats.max_unrecorded, self._unrecorded)
                return True
            self._changed.clear()
            await self._changed.wait()
