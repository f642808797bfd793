"""Update processing: concurrent across residents, strictly in order within one chat, and fair
when someone floods the bot.

python-telegram-bot's `concurrent_updates(True)` gives no ordering at all, and its slowness here
came from the HTTP pool (see bot/telegram/http.py), not from concurrency itself. This processor
chains each
chat's updates: an update waits for the previous update of the same chat to finish, while updates
of other chats run alongside. The Application creates the processing tasks in arrival order and
asyncio starts tasks in creation order, so the chain order is the arrival order.

Fair under load (issue 20). One account sending hundreds of messages used to be answered one by
one for minutes (each answer paced at one a second), its own /stop waiting behind the backlog, and
sixty such accounts took Telegram's whole budget from everyone else. So each chat has a budget:

* **A token bucket**: BURST messages at once, then one every REFILL_S seconds (10 a minute);
  a button press costs half a message (PRESS_COST: 16 at once, then one every 3 s). A person
  typing, or tapping through a survey, stays well inside it; only floods reach it. The check is
  a few float operations per update: no database call.
* **Over budget**, the resident gets one slow-down line (`on_slow_down`, once until the bucket is
  full again), and only their newest message waits for the next token; an older one still
  waiting is dropped unanswered (`dropped` counts them). So a burst of 300 is answered 8 + 1
  times, not 300 times at one a second.
* **Danger is never dropped**: a message the safeguarding check would answer (`urgent`, the
  understanding layer, asked only for messages that would otherwise be dropped) is handled at
  once, whatever the budget.
* **/stop and /forget jump the queue** (`priority`): they run right after the update being
  handled, ahead of the chat's backlog, and never wait for the budget.
* **A bounded backlog**: at most BACKLOG updates of one chat wait in line; beyond that the oldest
  that is neither danger nor /stop is dropped (`backlog_dropped`).
* Officers (`exempt`) and updates that are not a message or a button press are not budgeted.

The hooks are plain callables set by the composition root (bot/telegram/flood.py); the defaults
budget
everything and recognise nothing, so this module knows nothing of content or config.

It also picks the event loop the bot runs on (`new_event_loop`): uvloop where it is installed
(Linux and macOS), asyncio's own otherwise or when SAFERMK_UVLOOP=0.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

logger = logging.getLogger(__name__)

BURST = 8  # messages a chat may send at once before the budget holds it
REFILL_S = 6.0  # then one message per this many seconds (10 a minute)
PRESS_COST = 0.5  # a button press spends half a message's token
BACKLOG = 16  # updates of one chat waiting in line, beyond the one being handled
CHAT_MEMORY = 10_000  # chats whose budget is remembered before idle, refilled ones are forgotten

UVLOOP_SWITCH = "SAFERMK_UVLOOP"  # "0" (or "false", "no", "off") runs on asyncio's own loop


def uvloop_wanted(env: Mapping[str, str] | None = None) -> bool:
    """Whether the environment leaves uvloop on (the default)."""
    value = (os.environ if env is None else env).get(UVLOOP_SWITCH, "1")
    return value.strip().lower() not in ("0", "false", "no", "off")


def new_event_loop(env: Mapping[str, str] | None = None) -> asyncio.AbstractEventLoop:
    """A new event loop for the bot: uvloop's when installed and not switched off.

    uvloop runs the same asyncio code with its I/O, timers and task scheduling in C; the bot's
    Bot API traffic spends much of its CPU there (bench/README.md, section 6).
    """
    if uvloop_wanted(env):
        try:
            import uvloop
        except ImportError:
            logger.debug("uvloop is not installed: asyncio's own event loop")
        else:
            return uvloop.new_event_loop()
    return asyncio.new_event_loop()


def chat_key(update: object) -> int | None:
    """The chat (or, for inline queries and the like, the user) an update belongs to."""
    if isinstance(update, Update):
        if update.effective_chat is not None:
            return update.effective_chat.id
        if update.effective_user is not None:
            return update.effective_user.id
    return None


def budgeted(update: object) -> bool:
    """Whether an update spends the chat's budget: what a person sends (messages, presses)."""
    return isinstance(update, Update) and (
        update.message is not None
        or update.edited_message is not None
        or update.callback_query is not None
    )


def cost(update: Update) -> float:
    """Tokens an update spends: a button press half a message's (someone tapping through a
    survey answers faster than anyone types, and each press is one small answer)."""
    return PRESS_COST if update.callback_query is not None else 1.0


def _never(update: Update) -> bool:
    return False


async def _say_nothing(chat_id: int) -> None:
    return None


class _Turn:
    """An update waiting in its chat's line: its future says go (True) or dropped (False)."""

    __slots__ = ("future", "keep", "update")

    def __init__(self, future: asyncio.Future[bool], update: Update, keep: bool) -> None:
        self.future = future
        self.update = update
        self.keep = keep  # never dropped from a full line (/stop, officers)


class _Chat:
    """One chat's line and budget."""

    __slots__ = ("busy", "deferred", "line", "stamp", "tokens", "urgent_line", "warned")

    def __init__(self, now: float, burst: float) -> None:
        self.busy = False  # one of its updates is being handled
        self.line: deque[_Turn] = deque()  # waiting, in arrival order
        self.urgent_line: deque[_Turn] = deque()  # /stop, /forget: ahead of `line`
        self.tokens = burst
        self.stamp = now
        self.warned = False  # told to slow down since the bucket was last full
        self.deferred: asyncio.Future[bool] | None = None  # the newest surplus message

    def refill(self, now: float, burst: float, refill_s: float) -> None:
        if self.tokens < burst:
            self.tokens = min(burst, self.tokens + (now - self.stamp) / refill_s)
        self.stamp = now
        if self.tokens >= burst:
            self.warned = False

    @property
    def idle(self) -> bool:
        return not self.busy and not self.line and not self.urgent_line and self.deferred is None


class PerChatOrderedProcessor(BaseUpdateProcessor):
    """Run updates of different chats concurrently, each chat's own updates one after another,
    within each chat's budget."""

    def __init__(
        self,
        max_concurrent_updates: int = 256,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        burst: int | None = None,
        refill_s: float = REFILL_S,
        backlog: int | None = None,
    ) -> None:
        super().__init__(max_concurrent_updates)
        self.clock = clock
        self.sleep = sleep
        # The budget (None: none) and the bound on a chat's line (None: unbounded); the bot
        # sets BURST, REFILL_S and BACKLOG (bot/telegram/flood.py).
        self.burst = burst
        self.refill_s = refill_s
        self.backlog = backlog
        # Hooks (bot/telegram/flood.py): not budgeted (officers); jumps the line (/stop); never
        # dropped
        # (danger); the one slow-down line.
        self.exempt: Callable[[Update], bool] = _never
        self.priority: Callable[[Update], bool] = _never
        self.urgent: Callable[[Update], bool] = _never
        self.on_slow_down: Callable[[int], Awaitable[None]] = _say_nothing
        self.dropped = 0  # surplus messages dropped unanswered (a newer one was answered)
        self.backlog_dropped = 0  # dropped because the chat's line was full
        self.slowed = 0  # slow-down lines sent
        self._chats: dict[int, _Chat] = {}
        self._sweep_at = CHAT_MEMORY
        self._stopping = False
        self._side_tasks: set[asyncio.Task[None]] = set()
        self._running: set[asyncio.Task[Any]] = set()  # tasks inside process_update

    def cancel_all(self) -> int:
        """Stopping and out of time: cancel every update still being handled or waiting."""
        self.release()
        tasks = [t for t in self._running if not t.done()]
        for task in tasks:
            task.cancel()
        return len(tasks)

    @property
    def chats_in_flight(self) -> int:
        return sum(1 for c in self._chats.values() if not c.idle)

    def load(self, chat_id: int) -> float:
        """How much of its budget a chat has spent lately (0: none or not budgeted)."""
        chat = self._chats.get(chat_id)
        if chat is None or self.burst is None:
            return 0.0
        since = (self.clock() - chat.stamp) / self.refill_s
        return max(0.0, self.burst - min(float(self.burst), chat.tokens + since))

    def release(self) -> None:
        """Stopping: answer every waiting surplus message now rather than hold the shutdown."""
        self._stopping = True
        for chat in self._chats.values():
            if chat.deferred is not None and not chat.deferred.done():
                chat.deferred.set_result(True)

    async def process_update(  # type: ignore[misc]  # final only in typing
        self, update: object, coroutine: Awaitable[Any]
    ) -> None:
        """Check the budget, join the chat's line, then take a concurrency slot.

        Everything up to joining the line happens synchronously in the task's first step, so
        the line's order is the order the Application created the tasks in, and an update
        waiting for its own chat never holds one of the slots other chats need.
        """
        task = asyncio.current_task()
        if task is not None:
            self._running.add(task)
            task.add_done_callback(self._running.discard)
        key = chat_key(update)
        if key is None or not isinstance(update, Update):
            await super().process_update(update, coroutine)
            return
        chat = self._chats.get(key)
        if chat is None:
            chat = self._chats[key] = _Chat(self.clock(), float(self.burst or 0))
        exempt = self.exempt(update)  # officers: neither budgeted nor dropped
        priority = not exempt and self.priority(update)
        try:
            if (
                self.burst is not None
                and not (exempt or priority or self._stopping)
                and budgeted(update)
                and not self._spend(chat, cost(update))
                and not self.urgent(update)
                and not await self._wait_for_budget(key, chat, cost(update))
            ):
                _discard(coroutine)
                return
            if not await self._join(chat, update, priority, keep=exempt or priority):
                _discard(coroutine)
                return
        except asyncio.CancelledError:
            _discard(coroutine)  # cancelled while waiting (shutdown): it never ran
            if chat.idle:
                self._chats.pop(key, None)
            raise
        try:
            await super().process_update(update, coroutine)
        finally:
            self._next(key, chat)

    # ------------------------------------------------------------ the budget

    def _spend(self, chat: _Chat, price: float) -> bool:
        """Take a token if there is one (a newer message makes a waiting surplus one moot)."""
        self._refill(chat)
        if chat.tokens < price:
            return False
        chat.tokens -= price
        if chat.deferred is not None and not chat.deferred.done():
            chat.deferred.set_result(False)
        return True

    async def _wait_for_budget(self, key: int, chat: _Chat, price: float) -> bool:
        """Over budget: tell them once, then wait for a token unless a newer message comes."""
        if not chat.warned:
            chat.warned = True
            self.slowed += 1
            self._spawn(self.on_slow_down(key))
        if chat.deferred is not None and not chat.deferred.done():
            chat.deferred.set_result(False)  # this one is newer: the older surplus is dropped
        mine: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        chat.deferred = mine
        try:
            while not mine.done():
                self._refill(chat)
                if chat.tokens >= price:
                    chat.tokens -= price
                    mine.set_result(True)
                    break
                wait = (price - chat.tokens) * self.refill_s
                sleeper = asyncio.ensure_future(self.sleep(wait))
                try:
                    await asyncio.wait((mine, sleeper), return_when=asyncio.FIRST_COMPLETED)
                finally:
                    sleeper.cancel()
        finally:
            if chat.deferred is mine:
                chat.deferred = None
        if mine.cancelled() or not mine.result():
            self.dropped += 1
            return False
        return True

    def _refill(self, chat: _Chat) -> None:
        chat.refill(self.clock(), float(self.burst or 0), self.refill_s)

    def _full(self, chat: _Chat) -> bool:
        self._refill(chat)
        return chat.tokens >= (self.burst or 0)

    def _spawn(self, coroutine: Awaitable[None]) -> None:
        task = asyncio.ensure_future(coroutine)
        self._side_tasks.add(task)
        task.add_done_callback(self._side_done)

    def _side_done(self, task: asyncio.Task[None]) -> None:
        self._side_tasks.discard(task)
        if not task.cancelled() and (exc := task.exception()) is not None:
            logger.warning("Could not send the slow-down line: %s", type(exc).__name__)

    # ------------------------------------------------------------ the chat's line

    async def _join(self, chat: _Chat, update: Update, priority: bool, keep: bool) -> bool:
        """Wait for the chat's turn: True to run, False if dropped from a full line."""
        if not chat.busy:
            chat.busy = True
            return True
        turn = _Turn(asyncio.get_running_loop().create_future(), update, keep)
        (chat.urgent_line if priority else chat.line).append(turn)
        if self.backlog is not None and len(chat.line) > self.backlog:
            self._trim(chat)
        try:
            return await turn.future
        except asyncio.CancelledError:
            if turn.future.done() and not turn.future.cancelled() and turn.future.result():
                chat.busy = True  # it was our turn: pass it on
                self._next_of(chat)
            raise

    def _trim(self, chat: _Chat) -> None:
        """The line is full: drop its oldest update that is neither danger nor /stop."""
        for turn in chat.line:
            if not turn.future.done() and not turn.keep and not self.urgent(turn.update):
                chat.line.remove(turn)
                turn.future.set_result(False)
                self.backlog_dropped += 1
                return

    def _next(self, key: int, chat: _Chat) -> None:
        self._next_of(chat)
        if chat.idle:
            if self._full(chat):
                del self._chats[key]
            elif len(self._chats) > self._sweep_at:
                self._sweep()

    def _next_of(self, chat: _Chat) -> None:
        for line in (chat.urgent_line, chat.line):
            while line:
                turn = line.popleft()
                if not turn.future.done():
                    turn.future.set_result(True)
                    return
        chat.busy = False

    def _sweep(self) -> None:
        """Forget idle chats whose budget is full again (bounded memory under many chats)."""
        for key, chat in list(self._chats.items()):
            if chat.idle and self._full(chat):
                del self._chats[key]
        self._sweep_at = max(CHAT_MEMORY, 2 * len(self._chats))

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        await coroutine

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        for task in list(self._side_tasks):
            task.cancel()
        if self._side_tasks:
            await asyncio.wait(self._side_tasks)


def _discard(coroutine: Awaitable[Any]) -> None:
    """Close a dropped update's coroutine, never started (no 'never awaited' warning)."""
    close = getattr(coroutine, "close", None)
    if close is not None:
        close()
