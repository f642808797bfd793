"""The pacer: every Bot API send of the bot goes out within Telegram's budget, replies first.

`Pacer` is a python-telegram-bot `BaseRateLimiter` (installed with
`ApplicationBuilder.rate_limiter`) shared with the broadcast sender, which takes a slot with
`acquire(chat_id)` before each bulk send and passes `rate_limit_args={"lane": "bulk"}`
(bot.delivery uses `rate`, `clock`, `sleep`, `acquire`, `pause`, `flood_pauses` and
`use_virtual_time`).

Why a new design. Telegram counts a send when it *arrives*; the bot only knows when it started
the request and when the answer came back. Counting sends at their start (as the old limiter
did) lets a few milliseconds of jitter put a 31st send into Telegram's second: at 30/s that gave
80 x 429 in 3,000 messages, and each 429 stopped the lane. Here:

* **Start-to-answer window.** A send holds a slot of the budget from the moment it is granted
  until one window length after its answer (open sends count in full). Wherever the server
  counted it inside that span, no sliding second of the server's can hold more than the budget:
  for any server second, the last send to start saw every other send of that second either open
  or answered less than a window ago. The part of the round trip every request takes (the
  path's minimum over the last minute, less a guard) cannot move a send, so it is taken off
  the span: what remains is only the uncertainty (jitter).
* **An adaptive safety margin (AIMD)**, so a bot sharing its token settles just below the real
  limit instead of hitting it again and again: `Margin` in bot/telegram/pace_parts.py.
* **retry_after, exactly.** A 429 pauses the bulk lane until the answer's time plus
  `retry_after`, no less and no longer; when it lifts, bulk sends resume at their pace
  (1 / rate on average, at most BULK_BURST at once), never all together.
* **Replies first, never starved; broadcasts never starved either.** Calls that are not bulk
  sends (replies to residents) are counted in the same budget, and while a broadcast is sending
  they take a slot as soon as the budget has one, ahead of any bulk send waiting, up to their
  share: while bulk sends wait, replies hold at most `limit - ceil(limit x BULK_SHARE)` slots
  (18 of 30), so a broadcast keeps at least 12 of every 30 however many residents write (a
  flood from 60 accounts used to take all 30 and stop a broadcast; issue 20). Within their
  share replies still go first, spaced at 18/s (not in bursts). When no broadcast is sending
  they are never held: Telegram's 30/s is a limit on bulk notifications, and a bot answering
  a rush of residents must not be slowed to it. They are not held by the bulk lane's pause
  either, and a reply refused with 429 is retried after the wait Telegram asked for (a
  resident never loses an answer to flood control).
* **Replies fairly among chats.** Waiting replies go least-busy chat first (`chat_load`: what
  the chat sent lately, from the update processor, plus its recent replies), so a resident
  asking one thing is not answered after a flooding account's backlog; a backlog left when a
  broadcast ends drains within the budget rather than all at once. Which reply goes next, and
  each chat's own pace, live in bot/telegram/reply_order.py.
* **One message per second per chat.** A bulk send waits until one second after the chat's last
  send was answered; replies to one chat may burst (a handler's answer is often two or three
  messages) up to `reply_chat_burst`, then are held to one a second.
* **Paid broadcasts.** With `paid`, bulk sends carry allow_paid_broadcast=True and the budget
  for all sends is `paid_rate` (up to 1,000/s); sends that are not paid (replies) still keep to
  the free 30/s among themselves.

Waiting goes through an injectable monotonic clock and sleep (`use_virtual_time()` for tests).
Bulk waiters queue on one lock, so one of them sleeps at a time (a virtual clock advanced by
each sleep stays meaningful). `estimate()`, the officer's preview (duration and Stars), is in
bot/telegram/estimate.py and importable from here.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Callable, Coroutine
from typing import Any

from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

from bot.telegram.estimate import Estimate as Estimate  # re-exported: the officer's preview
from bot.telegram.estimate import estimate as estimate
from bot.telegram.limits import PAID_LIMIT
from bot.telegram.limits import STARS_PER_PAID_MESSAGE as STARS_PER_PAID_MESSAGE
from bot.telegram.limits import TELEGRAM_LIMIT as TELEGRAM_LIMIT
from bot.telegram.pace_budget import BULK_SHARE as BULK_SHARE
from bot.telegram.pace_budget import CHAT_MEMORY as CHAT_MEMORY
from bot.telegram.pace_budget import Budget
from bot.telegram.pace_budget import Monotonic as Monotonic
from bot.telegram.pace_budget import Sleep as Sleep
from bot.telegram.pace_parts import Ticket, Window, counted, retry_after
from bot.telegram.reply_order import REPLY_CHAT_BURST as REPLY_CHAT_BURST

logger = logging.getLogger(__name__)

BULK_LANE = "bulk"
Answer = bool | dict[str, Any] | list[dict[str, Any]]  # what a Bot API call returns

# Bulk sends are spaced at 1 / rate on average, with at most this many at once: slots of the
# budget free up unevenly under jitter, and strict spacing would waste some; after a pause only
# this many go together, then one by one (no thundering herd).
BULK_BURST = 3
REPLY_RETRIES = 3  # 429s a reply survives (waiting as asked each time) before giving up


class Pacer(Budget, BaseRateLimiter[dict[str, Any]]):
    """Telegram's budget shared by replies (first) and broadcast sends (paced, paused on 429)."""

    @classmethod
    def from_settings(cls, broadcast: Any) -> Pacer:
        """From config.yaml's broadcast section (bot.plumbing.config.BroadcastSection)."""
        return cls(
            broadcast.rate_per_second,
            paid=bool(getattr(broadcast, "paid", False)),
            paid_rate=float(getattr(broadcast, "paid_rate_per_second", PAID_LIMIT)),
        )

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    # ------------------------------------------------------------ the bulk lane

    async def acquire(self, chat_id: int | None) -> None:
        """Wait for a bulk slot (FIFO among bulk sends, after every waiting reply).

        The slot belongs to the calling task until its send is answered: the next bulk request
        this task makes (with rate_limit_args={"lane": "bulk"}) uses it. A slot the task never
        uses is counted as sent when the task ends or takes another one (never too few counted).
        """
        task = asyncio.current_task()
        if task is not None and (stale := self._tickets.pop(task, None)) is not None:
            self._close(stale)
        self._bulk_waiting += 1
        try:
            ticket = await self._bulk_slot(chat_id)
        finally:
            self._bulk_waiting -= 1
        if task is not None:
            self._tickets[task] = ticket
            task.add_done_callback(self._task_done)

    async def _bulk_slot(self, chat_id: int | None) -> Ticket:
        async with self._bulk_lock:
            windows = self._windows(bulk=True)
            while True:
                now = self.clock()
                ready = max(
                    self._paused_until,
                    self._bulk_tat - (BULK_BURST - 1) * self._spacing / self.fraction,
                    self._chat_ready_at(chat_id),
                    self._ready_at(windows, now),
                )
                # Replies first, except into the bulk sends' own share (BULK_SHARE).
                replies_first = self._replies_may_go(now) and (
                    self._all is not self._free
                    or self._bulk_win.count(now, self._hold()) >= self._bulk_win.capacity
                )
                if ready <= now and not replies_first:
                    break
                if ready == math.inf or (ready <= now and replies_first):
                    # Only an answer (or a reply being served) can free what we wait for.
                    self._changed.clear()
                    await self._changed.wait()
                else:
                    await self.sleep(ready - now)
            self.margin.creep(now)
            self._bulk_tat = max(self._bulk_tat, now) + self._spacing / self.fraction
            counted = windows + (self._bulk_win,) if self._all is self._free else windows
            return self._open(chat_id, counted, now, bulk=True)

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        ticket = self._tickets.pop(task, None)
        if ticket is not None:
            self._close(ticket)

    # ------------------------------------------------------------ the reply lane

    def broadcasting(self, now: float) -> bool:
        """Whether a broadcast is sending: a bulk send waits, is open, or still holds a slot."""
        return (
            self._bulk_waiting > 0
            or self._bulk_open > 0
            or now < self._bulk_answered + self._hold()
        )

    def _reply_ready_at(self, windows: tuple[Window, ...], now: float) -> float:
        """When the budget lets a reply go: at once outside a broadcast (unless replies are
        already waiting: a backlog left by a broadcast drains within the budget rather than all
        at once into 429s); within the replies' share while bulk sends wait; else within the
        whole budget."""
        if not self.broadcasting(now) and not self._order.waiters:
            return now
        if self._sharing:
            # Spaced like bulk sends (at most BULK_BURST at once): grants in bursts would free
            # their slots in bursts a window later, and a reply arriving between two bursts
            # would wait up to a second for the next one.
            paced = self._order.due(self._reply_spacing, BULK_BURST)
            return max(self._ready_at(windows, now), paced)
        return self._ready_at(tuple(w for w in windows if w is not self._replies), now)

    @property
    def _reply_spacing(self) -> float:
        return 1.0 / (self._replies.capacity * self.fraction)

    def _reply_granted(self, now: float) -> None:
        if self._sharing:
            self._order.space(now, self._reply_spacing)

    async def _reply_slot(self, chat_id: int | None) -> Ticket:
        """A slot for a reply, fairly among chats.

        Waiting replies are served least-busy chat first (issue 20: a quiet resident's answer
        waited behind a flood's). A chat's rank is its recent replies (a count decaying with
        REPLY_MEMORY_S, taken when the reply asked) plus `chat_load`, what it has been sending
        lately (the update processor's budget spent). So a resident asking one thing goes
        ahead of every account that floods, and among busy chats the least busy goes first;
        equal ranks go in the order asked.
        Separately, the chat's own pace (a burst of `reply_chat_burst`, then one a second, in
        real time) says from when a reply may go; a reply held by it holds the line behind it
        for at most that second (the per-chat budget, bot/telegram/processing.py, keeps such chats
        rare).
        """
        windows = self._windows(bulk=False)
        now = self.clock()
        order = self._order
        key, eligible = order.ask(chat_id, now)
        if order.head() is None and eligible <= now and self._reply_ready_at(windows, now) <= now:
            self._reply_granted(now)
            return self._open(chat_id, windows, now)
        me = order.join(chat_id, key, eligible)
        self._replies_waiting += 1
        try:
            while True:
                await order.wait_turn(me)
                now = self.clock()
                ready = max(self._reply_ready_at(windows, now), eligible)
                if ready <= now:
                    break
                if ready == math.inf:
                    self._changed.clear()
                    await self._changed.wait()
                else:
                    await self.sleep(ready - now)
        finally:
            order.leave(me)
            self._replies_waiting -= 1
            self._changed.set()  # a bulk send waiting behind this reply may go now
        self._reply_granted(now)
        return self._open(chat_id, windows, now)

    # ------------------------------------------------------------ every request

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, Answer]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: dict[str, Any] | None,
    ) -> Answer:
        if not counted(endpoint):
            return await callback(*args, **kwargs)
        chat = data.get("chat_id")
        chat_id = chat if isinstance(chat, int) else None
        if rate_limit_args and rate_limit_args.get("lane") == BULK_LANE:
            return await self._bulk_request(callback, args, kwargs, data, chat_id)
        attempt = 0
        while True:
            ticket = await self._reply_slot(chat_id)
            try:
                ticket.sent_at = self.clock()
                return await callback(*args, **kwargs)
            except RetryAfter as exc:
                delay = retry_after(exc)
                self._flooded(delay)
                attempt += 1
                if attempt > REPLY_RETRIES:
                    raise
            finally:
                self._close(ticket)
            await self.sleep(delay)  # exactly as long as Telegram asked, then try again

    async def _bulk_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, Answer]],
        args: Any,
        kwargs: dict[str, Any],
        data: dict[str, Any],
        chat_id: int | None,
    ) -> Answer:
        task = asyncio.current_task()
        ticket = self._tickets.pop(task, None) if task is not None else None
        if ticket is None:  # a bulk send whose sender did not acquire(): take the slot now
            await self.acquire(chat_id)
            ticket = self._tickets.pop(task, None) if task is not None else None
        if self.paid:
            data["allow_paid_broadcast"] = True  # the request is built from `data` after this
        if ticket is not None:
            ticket.sent_at = self.clock()
        try:
            return await callback(*args, **kwargs)
        except RetryAfter as exc:
            delay = retry_after(exc)
            self._flooded(delay)
            # The sender calls pause() too; this holds the lane even if it did not.
            self._hold_lane(delay)
            raise
        finally:
            if ticket is not None:
                self._close(ticket)
