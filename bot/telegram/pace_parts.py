"""The pacer's parts that change on their own (bot/telegram/pacing.py puts them together):

* `Window`: the sends holding a slot of one budget (open ones, and answered ones until their
  slot expires), and `Ticket`: one granted send and the windows it holds;
* `Margin`: the adaptive safety margin (AIMD: a 429 cuts the share of the budget in use, each
  clean second gives some back) and the round trips' minimum, the part of every round trip
  that cannot move a send;
* `seconds`, `retry_after`, `counted`: reading Telegram's answers and methods.
"""

from __future__ import annotations

import math
from collections import deque
from datetime import timedelta

from telegram.error import RetryAfter

COUNTED_PREFIXES = ("send", "edit", "copy", "forward")
UNCOUNTED = frozenset({"sendChatAction"})  # "typing...": delivers no message

BACKOFF = 0.85  # a 429 multiplies the budget fraction by this
CREEP = 0.01  # each clean second adds this much of the budget back
MIN_FRACTION = 0.5  # never slower than half the budget because of 429s
RTT_HORIZON = 60.0  # seconds of round trips the minimum is taken over
# The minimum of a few round trips can sit well above the path's true minimum (jitter both
# ways): until this many answers came back, nothing of a round trip is taken as certain.
RTT_MIN_SAMPLES = 32
GUARD_SECONDS = 0.003  # the "certain" part of a round trip is its minimum less this...
GUARD_FRACTION = 0.1  # ... or less this share of it, whichever is larger


def seconds(value: int | float | timedelta) -> float:
    """RetryAfter.retry_after is an int in older v22 releases and a timedelta in newer ones."""
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def retry_after(exc: RetryAfter) -> float:
    """Seconds Telegram asked us to wait (a timedelta: the bot opts in, see bot/__init__.py)."""
    return seconds(exc.retry_after)


def counted(endpoint: str) -> bool:
    """Whether a Bot API method delivers a message (and so spends the budget)."""
    return endpoint.startswith(COUNTED_PREFIXES) and endpoint not in UNCOUNTED


class Window:
    """Sends holding a slot: the open ones, and the answered ones until they expire."""

    __slots__ = ("answers", "capacity", "open")

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.open = 0  # granted and not answered yet
        self.answers: deque[float] = deque()  # answer times, in order

    def count(self, now: float, hold: float) -> int:
        """Slots in use at `now`, an answered send holding its slot for `hold` seconds."""
        answers = self.answers
        while answers and answers[0] + hold <= now:
            answers.popleft()
        return self.open + len(answers)

    def free_at(self, now: float, hold: float) -> float:
        """When the next slot frees: now if one is free, inf if only an answer can free one."""
        if self.count(now, hold) < self.capacity:
            return now
        answered_needed = self.open + len(self.answers) - self.capacity + 1
        if answered_needed > len(self.answers):
            return math.inf
        return self.answers[answered_needed - 1] + hold

    def clear(self) -> None:
        self.open = 0
        self.answers.clear()


class Ticket:
    """One granted send: which windows it holds, and whether its request has gone out."""

    __slots__ = ("bulk", "chat_id", "closed", "sent_at", "windows")

    def __init__(self, chat_id: int | None, windows: tuple[Window, ...], bulk: bool) -> None:
        self.chat_id = chat_id
        self.windows = windows
        self.bulk = bulk
        self.sent_at: float | None = None
        self.closed = False


class Margin:
    """AIMD's share of the budget in use, and the minimum round trip of the last minute."""

    __slots__ = ("clean_since", "fraction", "learn_rtt", "rtt_samples", "rtts")

    def __init__(self) -> None:
        self.fraction = 1.0  # the share of the budget in use (window = 1 s / fraction)
        self.clean_since = -math.inf  # last time the fraction was cut or crept
        self.rtts: deque[tuple[float, float]] = deque()  # (answer time, rtt), min-queue
        self.rtt_samples = 0
        self.learn_rtt = True

    @property
    def window(self) -> float:
        """Seconds an answered send keeps its slot: 1 s stretched by the AIMD margin."""
        return 1.0 / self.fraction

    @property
    def certain(self) -> float:
        """The part of every round trip that cannot move a send (the path's minimum, guarded)."""
        if self.rtt_samples < RTT_MIN_SAMPLES:
            return 0.0
        low = self.rtts[0][1]
        return max(0.0, low - max(GUARD_SECONDS, GUARD_FRACTION * low))

    def hold(self) -> float:
        # + 1 us: a slot frees strictly after the server's second has passed, whatever the
        # rounding of the two clocks' arithmetic (a virtual clock hits the boundary exactly).
        return self.window - self.certain + 1e-6

    def creep(self, now: float) -> None:
        """AIMD's additive half: give back CREEP of the budget per clean second."""
        if self.fraction < 1.0 and now > self.clean_since:
            self.fraction = min(1.0, self.fraction + CREEP * (now - self.clean_since))
        self.clean_since = now

    def cut(self, now: float) -> None:
        """AIMD's multiplicative half (a 429)."""
        self.fraction = max(MIN_FRACTION, self.fraction * BACKOFF)
        self.clean_since = now

    def answered(self, now: float, rtt: float) -> None:
        """A send's round trip, kept in a min-queue over RTT_HORIZON."""
        if not self.learn_rtt:
            return
        rtts = self.rtts
        while rtts and rtts[-1][1] >= rtt:
            rtts.pop()
        rtts.append((now, rtt))
        self.rtt_samples += 1
        while rtts[0][0] < now - RTT_HORIZON:
            rtts.popleft()

    def clear(self) -> None:
        """Forget the round trips (tests' virtual time: nothing of them is certain)."""
        self.rtts.clear()
        self.rtt_samples = 0
        self.clean_since = -math.inf
