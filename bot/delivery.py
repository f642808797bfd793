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
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from telegram import InlineKeyboardMarkup, InputFile, Message
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.ext import Application

from bot.context import Services, services_of
from bot.domain.broadcasts import effective_send_time, sends_image
from bot.ops.status import Problem
from bot.render.keyboards import rating_keyboard
from bot.telegram.pacing import Pacer, Sleep, retry_after
from storage.broadcasts import Broadcast, Claimed, Outcome
from storage.db import DatabaseUnavailable
from storage.model import OutboxStatus

logger = logging.getLogger(__name__)

BULK = {"lane": "bulk"}  # rate_limit_args of a broadcast send already paced by the sender
MAX_ATTEMPTS = 5  # network errors and 5xx: tries before a row is 'failed'
MAX_FLOOD_RETRIES = 10  # 429s for one row before giving up on it
BACKOFF_BASE = 1.0  # seconds; doubled per attempt
EXPECTED_LATENCY = 0.25  # seconds per Bot API round trip the in-flight window is sized for
DB_RETRY_FIRST = 0.5  # seconds to wait after the database refused a write; doubled per try
DB_RETRY_MAX = 10.0  # ... up to this, for as long as it stays locked, read-only or full
DB_BUSY_MS = 200  # how long delivery's own statements wait for another connection's lock
STOP_CHECK = 1.0  # seconds: a long wait checks this often whether the bot is stopping
EXPIRY_GRACE = timedelta(minutes=5)  # a job firing a little late is not "the bot was down"


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


class Delivery:
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

    @property
    def services(self) -> Services:
        return services_of(self.app)

    @property
    def unrecorded(self) -> int:
        """Sends in flight or confirmed but not yet written (never more than `window`)."""
        return self._unrecorded

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

    def stopping(self) -> bool:
        return self._stop or (self._bound_to_running_app and not self.app.running)

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

    # ------------------------------------------------------------ one broadcast

    def _send_time(self, b: Broadcast, now: datetime) -> datetime:
        """When `b` may go out if it were sent at `now` (the officers' previews use the same)."""
        config = self.services.config
        return effective_send_time(now, b.urgent, config.quiet_hours, config.tz)

    def _quiet_now(self, b: Broadcast, now: datetime) -> bool:
        return self._send_time(b, now) > now

    async def _defer(self, b: Broadcast, now: datetime) -> None:
        s = self.services
        until = self._send_time(b, now)
        await s.broadcasts.set_due(b.id, until, now)
        logger.info("Broadcast %d waits for the end of quiet hours", b.id)
        deferred = await s.broadcasts.get(b.id)
        if deferred is not None and self.on_deferred is not None:
            await self.on_deferred(deferred)

    async def _expire_if_late(self, b: Broadcast, now: datetime) -> bool:
        s = self.services
        max_age = timedelta(hours=s.config.settings.broadcast.max_age_hours)
        if now - b.due_at <= max(max_age, EXPIRY_GRACE):
            return False
        hours = (now - b.due_at).total_seconds() / 3600
        if self.on_expired is not None:
            await self.on_expired(b, now, hours)
        else:
            await s.broadcasts.expire(b.id, now, f"{hours:.1f} hours late")
        return True

    async def _release(self, b: Broadcast, rows: list[Claimed]) -> None:
        """A graceful stop: put claimed rows that were not sent back (best effort)."""
        try:
            await self.services.broadcasts.release(b.id, [r.chat_id for r in rows])
        except DatabaseUnavailable as exc:  # left 'sending': reset_in_flight at the next start
            self._note_db_error(exc)

    async def _send_broadcast(self, b: Broadcast) -> bool:
        """Send the rest of `b`; False if it stopped early (quiet hours, cancelled, stopping).

        Raises DatabaseDown or DatabaseUnavailable when the database refuses; every request
        already made is awaited and its result kept in the buffer first.
        """
        s = self.services
        store = s.broadcasts
        now = s.clock.now()
        if self._quiet_now(b, now):
            await self._defer(b, now)
            return False
        await store.materialise(b, now)
        self._written()
        # Nothing of this broadcast is in flight or buffered now (every earlier pass waited for
        # its sends and the buffer was written first), so rows still 'sending' were claimed and
        # never sent (e.g. a batch cut short by an outage): they go back to the queue.
        await store.requeue_sending(b.id)
        in_flight = self._in_flight
        try:
            while True:
                if self.stopping():
                    return False
                if await store.status_of(b.id) != "sending":
                    return False  # cancelled or expired meanwhile
                if self._quiet_now(b, s.clock.now()):
                    await asyncio.gather(*in_flight)  # bounded: at most `window` tasks
                    if not await self._flush():
                        raise DatabaseDown
                    await self._defer(b, s.clock.now())
                    return False
                self.stats.claims += 1
                batch = await store.claim(b, self.window)
                if not batch:
                    if not in_flight:
                        break
                    # The last sends may give a row back (unsent): wait, write, look again.
                    await asyncio.gather(*in_flight)
                    if not await self._flush():
                        raise DatabaseDown
                    continue
                for i, row in enumerate(batch):
                    if self.stopping() or not await self._take_slot():
                        await self._release(b, batch[i:])
                        return False
                    task = asyncio.create_task(self._send_row(b, row))
                    in_flight.add(task)
                    task.add_done_callback(in_flight.discard)
        finally:
            # Never leave a request unrecorded: wait for the (at most `window`) sends in flight.
            if in_flight:
                await asyncio.gather(*in_flight, return_exceptions=True)
        if not await self._flush():
            raise DatabaseDown
        if await store.finish_if_done(b.id, s.clock.now()):
            logger.info("Broadcast %d finished", b.id)
            self._photo_ids.pop(b.id, None)
            return True
        return False

    # ------------------------------------------------------------ one message

    def _markup(self, b: Broadcast) -> InlineKeyboardMarkup | None:
        if not b.ratings:
            return None
        return rating_keyboard(self.services.texts(), b.id)

    async def _deliver(self, b: Broadcast, row: Claimed) -> Message:
        text = row.text if row.text is not None else (b.text or "")
        rl = BULK if self.paced_by_bot else None
        markup = self._markup(b)
        if b.image and sends_image(b.image, text):
            photo: Any = self._photo_ids.get(b.id) or photo_source(self.services, b.image)
            msg = await self.app.bot.send_photo(
                row.chat_id,
                photo,
                caption=text,
                parse_mode=ParseMode.HTML,
                reply_markup=markup,
                rate_limit_args=rl,
            )
            if msg.photo:  # upload once, then reuse Telegram's file id
                self._photo_ids[b.id] = msg.photo[-1].file_id
            return msg
        return await self.app.bot.send_message(
            row.chat_id, text, parse_mode=ParseMode.HTML, reply_markup=markup, rate_limit_args=rl
        )

    async def _send_row(self, b: Broadcast, row: Claimed) -> None:
        """Send one row and put its outcome in the buffer, then write the buffer."""
        try:
            outcome = await self._send_row_inner(b, row)
        except asyncio.CancelledError:
            # Given up at a stop (abandon): no result; the row stays 'sending' and is sent
            # again after the restart. Its slot is free, so the worker can finish.
            self._unrecorded -= 1
            self._changed.set()
            raise
        except Exception:  # a bug must not leave the row 'sending' and the broadcast stuck
            logger.exception("Broadcast %d: unexpected error on one message", b.id)
            outcome = Outcome(
                b.id, row.chat_id, OutboxStatus.FAILED, row.attempts + 1, "internal error"
            )
        self._count(outcome)
        self._results[(b.id, row.chat_id)] = outcome
        self._changed.set()
        await self._flush()  # during an outage it returns at once: the worker's backoff writes

    def _count(self, outcome: Outcome) -> None:
        if self.on_outcome is not None:
            self.on_outcome(outcome.status)
        st = self.stats
        st.sent += outcome.status == "sent"
        st.blocked += outcome.status in ("blocked", "not_found")
        st.failed += outcome.status == "failed"
        st.skipped += outcome.status == "skipped"

    async def _note_attempt(self, b: Broadcast, row: Claimed, attempts: int, error: str) -> None:
        """Record a failed try that will be retried; skipped while the database is unavailable."""
        if self._db_down:
            return
        try:
            await self.services.broadcasts.set_attempts(b.id, row.chat_id, attempts, error)
        except DatabaseUnavailable as exc:  # the final outcome carries the count anyway
            self._note_db_error(exc)

    async def _send_row_inner(self, b: Broadcast, row: Claimed) -> Outcome:
        store = self.services.broadcasts
        attempts = row.attempts
        floods = 0

        def done(status: OutboxStatus, error: str | None = None, **kw: Any) -> Outcome:
            return Outcome(b.id, row.chat_id, status, attempts + 1, error, **kw)

        while True:
            await self.limiter.acquire(row.chat_id)
            # Checked right before the request: /stop during a broadcast takes effect at once.
            try:
                eligible = await store.still_eligible(b, row.chat_id)
            except DatabaseUnavailable as exc:
                # Cannot tell whether they still want it: do not send; the row goes back.
                self._note_db_error(exc)
                return Outcome(b.id, row.chat_id, OutboxStatus.PENDING, attempts)
            if not eligible:
                return done(OutboxStatus.SKIPPED, "no longer subscribed")
            try:
                msg = await self._deliver(b, row)
            except RetryAfter as exc:
                delay = retry_after(exc)
                self.limiter.pause(delay)
                floods += 1
                self.stats.flood += 1
                if floods > MAX_FLOOD_RETRIES:
                    return done(OutboxStatus.FAILED, "flood control")
                continue  # acquire() waits until the pause is over
            except Forbidden as exc:
                return done(OutboxStatus.BLOCKED, str(exc), at=self.services.clock.now())
            except BadRequest as exc:  # before NetworkError: BadRequest is a subclass of it
                gone = "chat not found" in str(exc).lower()
                return done(OutboxStatus.NOT_FOUND if gone else OutboxStatus.FAILED, str(exc))
            except (TimedOut, NetworkError) as exc:  # also 5xx answers
                # A timed-out request may have reached Telegram: the retry can then repeat it.
                # Telegram offers no way to know, so this is the one at-least-once case.
                if self.on_send_result is not None:
                    self.on_send_result(False, type(exc).__name__)
                attempts += 1
                if attempts >= MAX_ATTEMPTS:
                    return Outcome(b.id, row.chat_id, OutboxStatus.FAILED, attempts, str(exc))
                await self._note_attempt(b, row, attempts, str(exc))
                await self.sleep(BACKOFF_BASE * 2 ** (attempts - 1))
                continue
            except TelegramError as exc:  # e.g. ChatMigrated: nothing a retry would fix
                return done(OutboxStatus.FAILED, str(exc))
            if self.on_send_result is not None:
                self.on_send_result(True, "")
            return done(OutboxStatus.SENT, message_id=msg.message_id, at=self.services.clock.now())


def photo_source(services: Services, image: str) -> Any:
    """A campaign image: its URL, or the file under content/ to upload."""
    if image.startswith(("http://", "https://")):
        return image
    path = Path(services.content.directory) / image
    return InputFile(path.read_bytes(), filename=path.name)


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
