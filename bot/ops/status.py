"""The bot's view of its own health: open problems and the last good Bot API call.

One `OpsStatus` per running bot (on `Services.status`). The parts that see a problem raise it
(`raise_problem`) and clear it when it is over (`clear_problem`); `/readyz` reports the open
ones, admin alerts (bot/ops/alerts.py) tell admins once per problem, and the log says it too.
Nothing here carries a chat id, a name or message text: a problem is a fixed key and a short
operator-facing detail.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from bot.plumbing.clock import Clock

logger = logging.getLogger(__name__)


class Problem(StrEnum):
    """What can go wrong that an operator must hear about."""

    BROADCAST_EXPIRED = "broadcast_expired"  # a broadcast passed max_age_hours unsent
    DELIVERY_FAILING = "delivery_failing"  # sends have failed for alerts.delivery_failing_minutes
    DATABASE_UNWRITABLE = "database_unwritable"  # locked past the timeout, read-only, full
    TOKEN_REFUSED = "token_refused"  # the Bot API refused the token (revoked)
    BOT_API_UNREACHABLE = "bot_api_unreachable"  # no successful Bot API call for a while
    OUTBOX_STUCK = "outbox_stuck"  # a due outbox row has waited past the threshold
    STOPPED = "stopped"  # the bot stopped itself (a fatal answer from the Bot API, say)


# Problems that make the bot not ready (/readyz answers 503 while one is open). A broadcast
# that expired is worth an alert but says nothing about whether the bot works now.
NOT_READY = frozenset(
    {
        Problem.DELIVERY_FAILING,
        Problem.DATABASE_UNWRITABLE,
        Problem.TOKEN_REFUSED,
        Problem.BOT_API_UNREACHABLE,
        Problem.OUTBOX_STUCK,
        Problem.STOPPED,
    }
)


@dataclass
class OpenProblem:
    problem: Problem
    since: datetime
    detail: str


Listener = Callable[[OpenProblem], None]


class OpsStatus:
    """Open problems and the time of the last successful Bot API call."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.started = clock.now()
        self.last_api_ok: datetime | None = None
        self._open: dict[Problem, OpenProblem] = {}
        # Called once when a problem opens (not again while it stays open): alerts, metrics.
        self.on_raise: list[Listener] = []
        self.on_clear: list[Listener] = []

    def api_ok(self) -> None:
        """A Bot API call succeeded just now."""
        self.last_api_ok = self.clock.now()
        if Problem.BOT_API_UNREACHABLE in self._open:
            self.clear_problem(Problem.BOT_API_UNREACHABLE)
        if Problem.TOKEN_REFUSED in self._open:
            self.clear_problem(Problem.TOKEN_REFUSED)

    def raise_problem(self, problem: Problem, detail: str) -> bool:
        """Open `problem` (True) or keep it open (False: already known, nobody is told again)."""
        if problem in self._open:
            self._open[problem].detail = detail
            return False
        opened = OpenProblem(problem, self.clock.now(), detail)
        self._open[problem] = opened
        logger.warning("Problem: %s: %s", problem.value, detail)
        for listener in self.on_raise:
            listener(opened)
        return True

    def clear_problem(self, problem: Problem) -> bool:
        """Close `problem` (True) if it was open."""
        opened = self._open.pop(problem, None)
        if opened is None:
            return False
        logger.info("Recovered: %s", problem.value)
        for listener in self.on_clear:
            listener(opened)
        return True

    def is_open(self, problem: Problem) -> bool:
        return problem in self._open

    def open_problems(self) -> list[OpenProblem]:
        return sorted(self._open.values(), key=lambda p: p.since)

    def api_silent_for(self) -> timedelta | None:
        """How long since the last successful Bot API call (since start if none yet)."""
        return self.clock.now() - (self.last_api_ok or self.started)

    def not_ready_reasons(self) -> list[str]:
        """One short line per open problem that makes the bot not ready."""
        return [
            f"{p.problem.value}: {p.detail}" for p in self.open_problems() if p.problem in NOT_READY
        ]
