"""The paced outbox sender: broadcasts go out at Telegram's pace, resumably, behind replies.

Two pieces:

* `bot.telegram.pacing.Pacer`, the bot's python-telegram-bot rate limiter: replies to residents
first,
  broadcast sends in the bulk lane at Telegram's pace (a send holds its slot from start to
  answer, an adaptive margin, retry_after honoured exactly, one message a second per chat).
  Its module docstring explains the design.
* `Delivery`, which reads due broadcasts from the database, writes their outbox with one
  INSERT ... SELECT, and keeps a small bounded window of sends in flight (never a gather over
  recipients). Every row is marked 'sending' (claimed) before its request; its outcome (sent,
  blocked, failed ...) goes into an in-memory pending-results buffer that is written at once.

Database faults. When the database refuses a write (locked past the busy timeout, read-only,
disk full), the outcomes stay in the buffer, no new request goes out, and the worker waits
(0.5 s, doubling, at most 10 s) and tries again, writing the buffer first; it carries on by
itself when the database is back. A delivered message is never recorded as failed because of
the database, and the worker never spins: one try per wait.

Duplicates: the bound. A restart resends every row still 'sending'. Only rows whose request may
have reached Telegram but whose result is not yet written can arrive twice: those in flight
plus those confirmed and waiting in the buffer. Both together never exceed `window` (the sender
takes a slot per request and frees it only when the result is written), i.e.
max(4, ceil(rate_per_second x 0.25)) = 8 at the default 30/s. Normally the buffer is written
after every send, so a hard kill repeats about the requests in flight; during a database outage
up to `window` confirmed results can wait in memory. Separately, a request that times out may
have been delivered (Telegram cannot say): its retry can repeat that one message.

Waiting goes through an injectable monotonic clock and sleep, so tests run a whole broadcast in
virtual time without sleeping.

Where the code is: this module holds the worker (which broadcast next, the database backoff
loop) and `install`; `Delivery` inherits one broadcast's sending loop (bot/delivery_broadcast.py),
one message's send-and-classify with photo handling (bot/delivery_message.py), and the results
buffer with its outage handling (bot/delivery_results.py).
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Awaitable, Callable
from datetime import datetime

from telegram.ext import Application

from bot.context import Services
from bot.delivery_broadcast import EXPIRY_GRACE, BroadcastSender
from bot.delivery_message import (
    BACKOFF_BASE,
    BULK,
    MAX_ATTEMPTS,
    MAX_FLOOD_RETRIES,
    Languages,
    photo_source,
)
from bot.delivery_results import (
    DB_RETRY_FIRST,
    DB_RETRY_MAX,
    STOP_CHECK,
    DatabaseDown,
    RunStats,
)
from bot.telegram.pace_parts import retry_after
from bot.telegram.pacing import Pacer, Sleep
from storage.broadcasts import Broadcast, Outcome
from storage.db import DatabaseUnavailable

__all__ = [
    "BACKOFF_BASE",
    "BULK",
    "DB_BUSY_MS",
    "DB_RETRY_FIRST",
    "DB_RETRY_MAX",
    "EXPECTED_LATENCY",
    "EXPIRY_GRACE",
    "MAX_ATTEMPTS",
    "MAX_FLOOD_RETRIES",
    "STOP_CHECK",
    "DatabaseDown",
    "Delivery",
    "RunStats",
    "install",
    "photo_source",
    "retry_after",
]

logger = logging.getLogger(__name__)

EXPECTED_LATENCY = 0.25  # seconds per Bot API round trip the in-flight window is sized for
DB_BUSY_MS = 200  # how long delivery's own statements wait for another connection's lock


class Delivery(BroadcastSender):
    """Sends due broadcasts one after another through the outbox.

    Results are written through a small in-memory buffer: each send's outcome goes into it and
    is written at once (one transaction per flush). If the database refuses (locked, read-only,
    full), the outcome stays in memory, no further request goes out, and the worker waits with a
    capped exponential backoff, writing the buffer first when the database is back. So a
    delivered message is never recorded as failed because of the database, and at most `window`
    sends are ever unrecorded at once: in flight, or confirmed and waiting in the buffer. Those
    are the only messages a hard kill can make the restarted bot send again.
    """

    def __init__(self, app: Application, limiter: Pacer, *, paced_by_bot: bool) -> None:
        self.app = app
        self.limiter = limiter
        # Whether the bot's own rate limiter is this one (then sends pass rate_limit_args).
        self.paced_by_bot = paced_by_bot
        rate = limiter.rate
        # The in-flight window, and the bound on messages a hard kill can repeat.
        self.window = max(4, math.ceil(rate * EXPECTED_LATENCY))
        self.sleep: Sleep = limiter.sleep
        self._run_lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None
        self._again = False
        self._stop = False
        self._bound_to_running_app = False
        self._photo_ids: dict[int, str] = {}
        self._languages: dict[int, Languages] = {}
        self._in_flight: set[asyncio.Task[None]] = set()  # sends whose request is out
        self.stats = RunStats()
        # The pending-results buffer: outcomes known but not yet written, by (broadcast, chat).
        self._results: dict[tuple[int, int], Outcome] = {}
        self._unrecorded = 0  # sends taken (in flight or buffered) and not yet written
        self._changed = asyncio.Event()  # a send ended or a flush ended
        self._flush_lock = asyncio.Lock()
        self._db_down = False  # the last write was refused: send nothing more until one works
        self._outage = False  # for the log: paused ... resumed
        self._db_reason = "unavailable"
        self.db_busy_ms = DB_BUSY_MS
        # The broadcast service hooks in here (delivery imports nothing above it):
        # a broadcast moved to the end of quiet hours (its job is rebuilt), and one too late to
        # send (expired, officers told; returns whether it was this call that expired it).
        self.on_deferred: Callable[[Broadcast], Awaitable[None]] | None = None
        self.on_expired: Callable[[Broadcast, datetime, float], Awaitable[bool]] | None = None
        # Admin alerts hear of every send's fate: (went out?, why not), for "failing for N min".
        self.on_send_result: Callable[[bool, str], None] | None = None
        # Told the status of every broadcast message's outcome (metrics).
        self.on_outcome: Callable[[str], None] | None = None

    def use_virtual_time(self) -> None:
        self.limiter.use_virtual_time()
        self.sleep = self.limiter.sleep

    # ------------------------------------------------------------ the worker

    def kick(self) -> None:
        """Make sure a worker is sending whatever is due (cheap to call often)."""
        if self._task is not None and not self._task.done():
            self._again = True
            return
        if self.app.running:
            # Application.stop() waits for create_task tasks, after it has set running=False:
            # the worker sees that, finishes the sends in flight and records them, then returns.
            self._bound_to_running_app = True
            self._task = self.app.create_task(self._worker(), name="broadcast-delivery")
        else:
            self._task = asyncio.create_task(self._worker(), name="broadcast-delivery")

    async def wait_idle(self) -> None:
        """Tests and shutdown: wait for the worker to run out of due broadcasts."""
        while self._task is not None and not self._task.done():
            await asyncio.shield(self._task)

    async def stop(self) -> None:
        self._stop = True
        self._changed.set()  # a worker waiting for a free slot sees the stop
        await self.wait_idle()

    def abandon(self) -> int:
        """Stopping and the Bot API is not answering: give up the sends still in flight.

        Their rows stay 'sending' and are sent again after the restart (Telegram may or may not
        have them: the one place a stop can repeat a message); every result already known is
        still written by the worker, which then returns. Returns how many were given up.
        """
        self._stop = True
        self._changed.set()  # a worker waiting for a free slot sees the stop
        pending = [t for t in self._in_flight if not t.done()]
        for task in pending:
            task.cancel()
        return len(pending)

    async def _worker(self) -> None:
        while True:
            self._again = False
            await self.run_due()
            if not self._again or self.stopping():
                return

    async def run_due(self) -> None:
        """Send every due broadcast, oldest first, until none is due (or we are stopping).

        A database that refuses a statement makes the worker wait (capped exponential backoff,
        through the injectable sleep) and then carry on where it was, without a restart.
        """
        # Delivery's writes can always wait for the next try (results stay in memory), so they
        # give up on a lock quickly rather than hold the connection that updates are queued on.
        db = self.services.db
        async with self._run_lock:
            with db.busy_timeout(self.db_busy_ms):
                await self._run_due()
            if self._results:
                # Stopping during an outage: one last try, with the full busy timeout.
                self._db_down = False
                with db.busy_timeout(db.busy_ms):
                    await self._flush()
            if self._results:
                logger.warning(
                    "Stopping with %d delivered broadcast messages not recorded (the database is"
                    " unavailable): they will be sent again after the restart",
                    len(self._results),
                )

    async def _run_due(self) -> None:
        s = self.services
        failures = 0  # database refusals in a row, since the last broadcast that got through
        passed: set[int] = set()  # broadcasts that cannot finish in this run: the sweep retries
        while not self.stopping():
            try:
                self._db_down = False  # nothing is in flight here: (try to) write again
                if not await self._flush():
                    raise DatabaseDown
                now = s.clock.now()
                self.stats.polls += 1
                b = await s.broadcasts.next_due(now, sorted(passed))
                if b is None:
                    return
                if await self._expire_if_late(b, now):
                    continue
                if not await self._send_broadcast(b):
                    passed.add(b.id)
                failures = 0
            except (DatabaseDown, DatabaseUnavailable) as exc:
                if isinstance(exc, DatabaseUnavailable):
                    self._note_db_error(exc)
                failures += 1
                await self._wait_for_database(failures)


# ---------------------------------------------------------------- wiring


def install(app: Application, services: Services) -> Delivery:
    """Create the Delivery, using the bot's own Pacer when one is installed."""
    bot_limiter = getattr(app.bot, "rate_limiter", None)
    if isinstance(bot_limiter, Pacer):
        limiter, paced = bot_limiter, True
    else:
        limiter = Pacer.from_settings(services.config.settings.broadcast)
        paced = False
    return Delivery(app, limiter, paced_by_bot=paced)
