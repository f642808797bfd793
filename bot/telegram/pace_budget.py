"""The pacer's budget (split from bot/telegram/pacing.py, which explains the design): what is
counted, and granting and freeing a slot. How sends wait for a slot, replies first, is the
Pacer's (bot/telegram/pacing.py)."""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Awaitable, Callable
from typing import Any

from bot.telegram.limits import PAID_LIMIT, TELEGRAM_LIMIT
from bot.telegram.pace_parts import MIN_FRACTION, Margin, Ticket, Window
from bot.telegram.reply_order import CHAT_INTERVAL, REPLY_CHAT_BURST, ReplyOrder

logger = logging.getLogger("bot.telegram.pacing")  # the pacer's log, as before the split

CHAT_MEMORY = 4096  # per-chat entries kept before the stale ones are dropped
# The part of the free budget bulk sends keep while they have work, however many replies wait.
# 0.4 rather than 1/3: a slot is held for one window *after* its answer, so 10 slots give a
# little under 10 sends a second; 12 keep a broadcast above 10/s with round trips of up to
# 200 ms, and leave replies 18/s, more than the per-chat budget lets 100 flooding accounts use
# (bot/telegram/processing.py: one message per 6 s each once their burst is spent).
BULK_SHARE = 0.4

Sleep = Callable[[float], Awaitable[None]]
Monotonic = Callable[[], float]


class Budget:
    """What the pacer counts: the windows of the budget, each chat's last answer, the slots
    open, the AIMD margin, the bulk lane's pause; granting (`_open`) and freeing (`_close`) a
    slot. The lanes that wait for slots are the Pacer's (bot/telegram/pacing.py)."""

    def __init__(
        self,
        rate: float = float(TELEGRAM_LIMIT),
        *,
        limit: int = TELEGRAM_LIMIT,
        paid: bool = False,
        paid_rate: float = float(PAID_LIMIT),
        clock: Monotonic = time.monotonic,
        sleep: Sleep = asyncio.sleep,
        reply_chat_burst: int = REPLY_CHAT_BURST,
    ) -> None:
        self.paid = paid
        # Bulk sends per second; Delivery sizes its in-flight window from this.
        self.rate = float(min(paid_rate, PAID_LIMIT)) if paid else float(rate)
        self.limit = limit
        self.clock = clock
        self.sleep = sleep
        self._order = ReplyOrder(reply_chat_burst)  # which waiting reply goes next
        self.margin = Margin()  # AIMD's share of the budget and the round trips' minimum
        self.flood_pauses = 0  # pauses the sender asked for (429s on bulk sends)
        self.floods = 0  # 429 answers seen, any lane
        self._free = Window(limit)  # sends that are not paid: Telegram's free limit
        # With paid broadcasts, every send also counts against the paid limit; bulk sends only
        # against that one.
        self._all = Window(int(self.rate)) if paid else self._free
        # Replies' own count, capped at their share while bulk sends wait (free mode only: a
        # paid broadcast has its own, much larger budget).
        self._replies = Window(max(1, limit - math.ceil(limit * BULK_SHARE)))
        # Bulk sends' own count: below their share they do not wait for replies.
        self._bulk_win = Window(math.ceil(limit * BULK_SHARE))
        self._spacing = 1.0 / self.rate
        self._bulk_tat = -math.inf  # GCRA: when the next bulk send is due at the average pace
        self._paused_until = -math.inf
        self._chat_answer: dict[int, float] = {}  # chat -> last answer (inf while in flight)
        self._tickets: dict[asyncio.Task[Any], Ticket] = {}  # bulk slots taken by a task
        self._bulk_open = 0  # bulk sends granted and not answered
        self._bulk_waiting = 0  # bulk sends waiting for a slot
        self._bulk_answered = -math.inf  # when the last bulk send was answered
        self._bulk_lock = asyncio.Lock()
        self._replies_waiting = 0
        self._changed = asyncio.Event()  # a send was answered or a reply was granted

    @property
    def chat_load(self) -> Callable[[int], float]:
        """How busy a chat is by what it sends (bot/telegram/processing.py: messages spent from
        its budget), added to its replies' rank: set by bot/telegram/flood.py."""
        return self._order.chat_load

    @chat_load.setter
    def chat_load(self, load: Callable[[int], float]) -> None:
        self._order.chat_load = load

    @property
    def reply_chat_burst(self) -> int:
        """Replies to one chat that may go at once before the 1/s rule holds them."""
        return self._order.chat_burst

    def use_virtual_time(self) -> None:
        """Tests: waiting advances a virtual clock instead of sleeping."""
        now = [0.0]

        async def sleep(delay: float) -> None:
            now[0] += max(delay, 0.0)
            await asyncio.sleep(0)

        self.clock = lambda: now[0]
        self.sleep = sleep
        # Here every wait of any task moves the one clock on, so a request's "round trip" is
        # other tasks' waits, not latency: nothing of it is certain.
        self.margin.learn_rtt = False
        self._free.clear()
        self._all.clear()
        self._replies.clear()
        self._bulk_win.clear()
        self._chat_answer.clear()
        self._order.clear()
        self.margin.clear()
        self._tickets.clear()
        self._bulk_tat = self._paused_until = -math.inf

    # ------------------------------------------------------------ what the budget allows

    @property
    def fraction(self) -> float:
        """AIMD: the share of the budget in use (window = 1 s / fraction)."""
        return self.margin.fraction

    @property
    def window(self) -> float:
        """Seconds an answered send keeps its slot: 1 s stretched by the AIMD margin."""
        return self.margin.window

    @property
    def certain(self) -> float:
        """The part of every round trip that cannot move a send (the path's minimum, guarded)."""
        return self.margin.certain

    def _hold(self) -> float:
        return self.margin.hold()

    def _windows(self, bulk: bool) -> tuple[Window, ...]:
        if self._all is self._free:
            return (self._free,) if bulk else (self._free, self._replies)
        return (self._all,) if bulk else (self._free, self._all)

    @property
    def _sharing(self) -> bool:
        """Whether replies are held to their share: bulk sends have work (free mode)."""
        return self._all is self._free and (self._bulk_waiting > 0 or self._bulk_open > 0)

    def _replies_may_go(self, now: float) -> bool:
        """A reply may go now and its share has room: a bulk send beyond its own share lets it
        go first. (A reply held only by its own chat's pace does not hold bulk sends.)"""
        head = self._order.head()
        if head is None or head.eligible > now:
            return False
        if self._all is not self._free:
            return True
        return self._replies.count(now, self._hold()) < self._replies.capacity

    def _ready_at(self, windows: tuple[Window, ...], now: float) -> float:
        hold = self._hold()
        return max(w.free_at(now, hold) for w in windows)

    def _chat_ready_at(self, chat_id: int | None) -> float:
        if chat_id is None:
            return -math.inf
        answered = self._chat_answer.get(chat_id)
        if answered is None:
            return -math.inf
        return answered - self.certain + CHAT_INTERVAL / self.fraction + 1e-6

    def _open(
        self, chat_id: int | None, windows: tuple[Window, ...], now: float, bulk: bool = False
    ) -> Ticket:
        for w in windows:
            w.open += 1
        self._bulk_open += bulk
        if chat_id is not None:
            self._chat_answer[chat_id] = math.inf
            if len(self._chat_answer) > CHAT_MEMORY:
                horizon = now - CHAT_INTERVAL * 2 / MIN_FRACTION
                self._chat_answer = {c: t for c, t in self._chat_answer.items() if t > horizon}
                self._order.forget(now)
        return Ticket(chat_id, windows, bulk)

    def _close(self, ticket: Ticket) -> None:
        """The send was answered (or given up): its slots now expire a window from now."""
        if ticket.closed:
            return
        ticket.closed = True
        now = self.clock()
        for w in ticket.windows:
            w.open -= 1
            w.answers.append(now)
        if ticket.bulk:
            self._bulk_open -= 1
            self._bulk_answered = now
        if ticket.sent_at is not None:
            self.margin.answered(now, now - ticket.sent_at)
        if ticket.chat_id is not None:
            self._chat_answer[ticket.chat_id] = now
        self._changed.set()

    def _flooded(self, delay: float) -> None:
        """A 429: AIMD's multiplicative half, once per answer."""
        self.floods += 1
        now = self.clock()
        old = self.fraction
        self.margin.cut(now)
        logger.warning(
            "Telegram asked the bot to wait %.0f s (429): budget %.0f%% -> %.0f%%",
            delay,
            old * 100,
            self.fraction * 100,
        )

    def pause(self, delay: float) -> None:
        """429 on a bulk send: hold the bulk lane for exactly as long as Telegram asked."""
        self.flood_pauses += 1
        self._hold_lane(delay)

    def _hold_lane(self, delay: float) -> None:
        self._paused_until = max(self._paused_until, self.clock() + delay)
        # A pause is no evidence that the budget is right: the creep starts again after it.
        self.margin.clean_since = max(self.margin.clean_since, self._paused_until)
