"""Which chat's reply goes next: the least-busy-first queue of waiting replies, each chat's pace.

Split from bot/telegram/pacing.py (issue 21): the pacer decides *when* the budget lets a reply go;
this module decides *which* waiting reply that is, and from when a chat's own pace lets it go.

* **Replies fairly among chats.** Waiting replies go least-busy chat first (`chat_load`: what
  the chat sent lately, from the update processor, plus its recent replies), so a resident
  asking one thing is not answered after a flooding account's backlog; equal ranks go in the
  order asked.
* **A chat's own pace.** Replies to one chat may burst (a handler's answer is often two or three
  messages) up to `chat_burst`, then are held to one a second (CHAT_INTERVAL).
* **Reply spacing while sharing.** While a broadcast sends, the pacer spaces replies like bulk
  sends; `next` is when the next one is due (GCRA), kept here with the rest of the reply state.

No clock of its own and no budget: the pacer passes `now` and the spacing in.
"""

from __future__ import annotations

import asyncio
import itertools
import math
from collections.abc import Callable

# Waiting replies go fewest-recent-replies first; a chat's count halves in about 20 s.
REPLY_MEMORY_S = 30.0
CHAT_INTERVAL = 1.0  # seconds between messages to one chat
REPLY_CHAT_BURST = 20  # replies to one chat that may go at once before the 1/s rule holds them


class ReplyWaiter:
    """A reply waiting for a slot: served in (key, arrival) order."""

    __slots__ = ("chat_id", "done", "eligible", "key", "seq", "turn")

    def __init__(self, chat_id: int | None, key: float, seq: int, eligible: float) -> None:
        self.chat_id = chat_id
        self.key = key  # its chat's recent replies when it asked (fewest first)
        self.seq = seq
        self.eligible = eligible  # real time from which its chat's pace lets it go
        self.turn = asyncio.Event()  # set when it becomes the first in line
        self.done = False


class ReplyOrder:
    """The waiting replies, their chats' recent replies and pace, and the reply spacing."""

    def __init__(self, chat_burst: int = REPLY_CHAT_BURST) -> None:
        self.chat_burst = max(1, chat_burst)
        self.waiters: list[ReplyWaiter] = []  # waiting replies, in the order asked
        # How busy a chat is by what it sends (bot/telegram/processing.py: messages spent from its
        # budget), added to its replies' rank: set by bot/telegram/flood.py (via Pacer.chat_load).
        self.chat_load: Callable[[int], float] = lambda chat_id: 0.0
        self.next = -math.inf  # GCRA: when the next reply is due while sharing
        self._seq = itertools.count()
        self._tat: dict[int, float] = {}  # chat -> reply burst bucket (GCRA)
        # chat -> (replies asked for lately, decaying with REPLY_MEMORY_S; when last counted)
        self._load: dict[int, tuple[float, float]] = {}

    def clear(self) -> None:
        """Forget every chat's pace and load, and the spacing (tests' virtual time)."""
        self._tat.clear()
        self._load.clear()
        self.next = -math.inf

    def forget(self, now: float) -> None:
        """Drop the chats whose pace and load no longer matter (the pacer's memory is full)."""
        self._tat = {c: t for c, t in self._tat.items() if t > now}
        old = now - 5 * REPLY_MEMORY_S
        self._load = {c: v for c, v in self._load.items() if v[1] > old}

    def ask(self, chat_id: int | None, now: float) -> tuple[float, float]:
        """A reply to `chat_id` asks for a slot: its rank key and from when its chat's pace lets
        it go (a burst of `chat_burst`, then one a second, in real time)."""
        burst = (self.chat_burst - 1) * CHAT_INTERVAL
        eligible = now
        key = 0.0
        if chat_id is not None:
            tat = max(self._tat.get(chat_id, now), now)
            self._tat[chat_id] = tat + CHAT_INTERVAL
            eligible = tat - burst
            load, since = self._load.get(chat_id, (0.0, now))
            key = load * math.exp((since - now) / REPLY_MEMORY_S)
            self._load[chat_id] = (key + 1.0, now)
        return key, eligible

    def head(self) -> ReplyWaiter | None:
        """The waiting reply to serve next: least busy chat first, then the order asked.

        A scan rather than a heap: a chat's load changes while its reply waits (its messages
        keep coming), and a few hundred waiters cost microseconds per grant.
        """
        waiters = self.waiters
        if not waiters:
            return None
        load = self.chat_load

        def rank(w: ReplyWaiter) -> tuple[float, int]:
            return (w.key + (load(w.chat_id) if w.chat_id is not None else 0.0), w.seq)

        return min(waiters, key=rank)

    def join(self, chat_id: int | None, key: float, eligible: float) -> ReplyWaiter:
        """Queue a reply that cannot go at once."""
        me = ReplyWaiter(chat_id, key, next(self._seq), eligible)
        self.waiters.append(me)
        return me

    async def wait_turn(self, me: ReplyWaiter) -> None:
        """Return once `me` is first in line."""
        while (head := self.head()) is not me:
            if head is not None:
                head.turn.set()  # ranks moved: make sure the first in line contends
            me.turn.clear()
            await me.turn.wait()  # the reply ahead was served (or gave up)

    def leave(self, me: ReplyWaiter) -> None:
        """`me` was served (or gave up): the next in line contends."""
        me.done = True
        self.waiters.remove(me)
        following = self.head()
        if following is not None:
            following.turn.set()

    def due(self, spacing: float, burst: int) -> float:
        """When the spacing lets the next reply go (at most `burst` at once)."""
        return self.next - (burst - 1) * spacing

    def space(self, now: float, spacing: float) -> None:
        """A reply was granted while sharing: the next is due `spacing` later."""
        self.next = max(self.next, now) + spacing
