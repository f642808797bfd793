"""Erasure that is real: after a transaction that erased personal data, no copy of the old rows
may stay on disk (issue 20). `Database` gets `erased()`, `erasing()` and `scrub()` from here.

With `PRAGMA secure_delete=ON` (set and checked at open) SQLite zeroes deleted cells and freed
pages in the pages it writes; but in WAL mode it writes them to the -wal file, and the frames
holding the rows as they were before the DELETE stay in that file until overwritten, maybe days
later (a checkpoint without TRUNCATE copies pages into the database but leaves the file's bytes
in place). A TRUNCATE checkpoint copies the zeroed pages into the database and cuts the -wal to
zero bytes. It costs a write of the pages changed since the last checkpoint and an fsync: fine
for /forget and retention (rare) and for finishing an anonymous survey (a few a day).

A reader holding an old snapshot (an export, a backup) blocks it: each try waits only briefly,
because the checkpoint holds the one connection every update needs, and the tries are spaced
out without holding it.
"""

from __future__ import annotations

import contextvars
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

logger = logging.getLogger(__name__)

SCRUB_BUSY_MS = 250  # how long one checkpoint waits for readers
SCRUB_TRIES = 4
SCRUB_PAUSE = 0.2  # seconds before the second try, then four times longer each time

# Set inside erasing(): this task's erasures are scrubbed once, at the end of the block.
_deferred: contextvars.ContextVar[bool] = contextvars.ContextVar("scrub_deferred", default=False)


class Scrubbing:
    """The scrubbing policy; the class using it provides one checkpoint attempt."""

    path: Path
    scrub_owed: bool  # an erasure whose old copies may still be in the WAL
    _sleep: Callable[[float], Awaitable[None]]  # between tries (tests inject one)

    async def _checkpoint_truncate(self) -> bool:
        raise NotImplementedError

    async def erased(self) -> None:
        """Storage calls this after a transaction that erased personal data: scrub now, or at
        the end of the enclosing `erasing()` block of this task."""
        self.scrub_owed = True
        if not _deferred.get():
            await self.scrub()

    @asynccontextmanager
    async def erasing(self) -> AsyncIterator[None]:
        """Erasures inside the block are scrubbed once, when it ends (/forget erases several
        features' rows; one checkpoint is enough)."""
        if _deferred.get():
            yield
            return
        token = _deferred.set(True)
        try:
            yield
        finally:
            _deferred.reset(token)
            if self.scrub_owed:
                await self.scrub()

    async def scrub(self) -> bool:
        """Checkpoint the WAL into the database and truncate it; False if readers kept
        blocking it after every try (logged; the next erasure tries again)."""
        pause = SCRUB_PAUSE
        for attempt in range(1, SCRUB_TRIES + 1):
            if await self._checkpoint_truncate():
                self.scrub_owed = False
                return True
            if attempt < SCRUB_TRIES:
                await self._sleep(pause)  # without the lock: the bot carries on meanwhile
                pause *= 4
        logger.warning(
            "Erased rows may stay in %s-wal until the next erasure: readers kept the "
            "checkpoint from finishing",
            self.path.name,
        )
        return False
