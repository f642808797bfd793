"""Admin alerts: a Telegram message to each admin when something needs a person, once per problem.

`OpsStatus` (bot/ops/status.py) says when a problem opens and closes; this module turns that into
at most one message per problem per `alerts.cooldown_minutes` to every admin in the config, and a
short "recovered" line when a problem an admin was told about is over. It also watches for
delivery failing for minutes (the Bot API silent and a stuck outbox are bot/ops/readiness.py's).

Sending is injected (`Send`): this module imports nothing of `telegram`, so the composition root
decides how a message goes out (directly, never through the broadcast outbox, which may be the
thing that is stuck). A send that fails is logged and dropped: an alert must never take the bot
down with it, and the log and /readyz carry the same events.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from bot.ops.status import OpenProblem, OpsStatus, Problem
from bot.plumbing.clock import Clock

logger = logging.getLogger(__name__)

Send = Callable[[int, str], Awaitable[None]]
Render = Callable[[OpenProblem, bool], str]  # (problem, recovered?) -> the message

# Told another way already: an expired broadcast's notice goes to every officer, admins included
# (bot/services/broadcasts.py), so a second message would only repeat it.
TOLD_ELSEWHERE = frozenset({Problem.BROADCAST_EXPIRED})
# How long a stop waits for alerts still being sent (a revoked token or a silent Bot API must not
# hold the process past its 10-second grace).
DRAIN_SECONDS = 3.0


def duration(td: timedelta) -> str:
    """'40 seconds', '6 minutes', '3 hours': for operators, rounded down."""
    seconds = int(td.total_seconds())
    if seconds < 120:
        return f"{seconds} seconds"
    if seconds < 7200:
        return f"{seconds // 60} minutes"
    return f"{seconds // 3600} hours"


class DeliveryWatch:
    """Failing sends with no success since `since`: delivery is failing once that lasts."""

    def __init__(self) -> None:
        self.failing_since: datetime | None = None

    def ok(self) -> None:
        self.failing_since = None

    def failed(self, now: datetime) -> None:
        if self.failing_since is None:
            self.failing_since = now


class AdminAlerts:
    """Listens to `status` and tells `admins` (by Telegram id) through `send`."""

    def __init__(
        self,
        status: OpsStatus,
        clock: Clock,
        admins: Callable[[], list[int]],
        send: Send,
        render: Render,
        *,
        cooldown: timedelta,
        failing_after: timedelta,
    ) -> None:
        self.status = status
        self.clock = clock
        self.admins = admins
        self.send = send
        self.render = render
        self.cooldown = cooldown
        self.failing_after = failing_after
        self.delivery = DeliveryWatch()
        self._last_told: dict[Problem, datetime] = {}
        self._told_open: set[Problem] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self.sent = 0  # alert messages that went out (tests, /metrics)
        status.on_raise.append(self._raised)
        status.on_clear.append(self._cleared)

    # ------------------------------------------------------------ events from the status

    def _raised(self, p: OpenProblem) -> None:
        if p.problem in TOLD_ELSEWHERE:
            return
        now = self.clock.now()
        last = self._last_told.get(p.problem)
        if last is not None and now - last < self.cooldown:
            logger.info("Alert %s not repeated (told %s ago)", p.problem.value, now - last)
            return
        self._last_told[p.problem] = now
        self._told_open.add(p.problem)
        self._spawn(self.render(p, False))

    def _cleared(self, p: OpenProblem) -> None:
        if p.problem in self._told_open:
            self._told_open.discard(p.problem)
            self._spawn(self.render(p, True))

    def _spawn(self, text: str) -> None:
        try:
            task = asyncio.get_running_loop().create_task(self._tell(text), name="admin-alert")
        except RuntimeError:  # no loop (a CLI path): the log line is all there can be
            return
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _tell(self, text: str) -> None:
        for admin in self.admins():
            try:
                await self.send(admin, text)
                self.sent += 1
            except Exception as exc:  # noqa: BLE001 - an alert must never take the bot down
                logger.warning("Could not send an admin alert: %s", type(exc).__name__)

    # ------------------------------------------------------------ slow problems

    def send_result(self, ok: bool, reason: str) -> None:
        """A broadcast send went out (ok) or failed for a reason a retry might fix."""
        if ok:
            self.delivery.ok()
            if self.status.is_open(Problem.DELIVERY_FAILING):
                self.status.clear_problem(Problem.DELIVERY_FAILING)
            return
        now = self.clock.now()
        self.delivery.failed(now)
        since = self.delivery.failing_since
        if since is not None and now - since >= self.failing_after:
            self.status.raise_problem(
                Problem.DELIVERY_FAILING,
                f"broadcast sends have failed for {duration(now - since)} ({reason})",
            )

    async def drain(self) -> None:
        """At stop: give alerts being sent a moment (bounded), then drop them."""
        if not self._tasks:
            return
        _, pending = await asyncio.wait(set(self._tasks), timeout=DRAIN_SECONDS)
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)
