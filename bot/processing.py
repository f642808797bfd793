"""Update processing: concurrent across residents, strictly in order within one chat.

python-telegram-bot's `concurrent_updates(True)` gives no ordering at all, and its slowness here
came from the HTTP pool (see bot/http.py), not from concurrency itself. This processor chains each
chat's updates: an update waits for the previous update of the same chat to finish, while updates
of other chats run alongside. The Application creates the processing tasks in arrival order and
asyncio starts tasks in creation order, so the chain order is the arrival order.

It also picks the event loop the bot runs on (`new_event_loop`): uvloop where it is installed
(Linux and macOS), asyncio's own otherwise or when SAFERMK_UVLOOP=0.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Awaitable, Mapping
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

logger = logging.getLogger(__name__)

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


class PerChatOrderedProcessor(BaseUpdateProcessor):
    """Run updates of different chats concurrently, each chat's own updates one after another."""

    def __init__(self, max_concurrent_updates: int = 256) -> None:
        super().__init__(max_concurrent_updates)
        self._tails: dict[int, asyncio.Future[None]] = {}

    @property
    def chats_in_flight(self) -> int:
        return len(self._tails)

    async def process_update(  # type: ignore[misc]  # final only in typing
        self, update: object, coroutine: Awaitable[Any]
    ) -> None:
        """Chain behind the chat's previous update, then take a concurrency slot.

        The chain is joined *before* the semaphore, synchronously in the task's first step, so
        an update waiting for its own chat never holds one of the slots other chats need, and
        the order of the chain is the order the Application created the tasks in.
        """
        key = chat_key(update)
        if key is None:
            await super().process_update(update, coroutine)
            return
        previous = self._tails.get(key)
        mine: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._tails[key] = mine
        try:
            if previous is not None:
                await previous
            await super().process_update(update, coroutine)
        finally:
            mine.set_result(None)
            if self._tails.get(key) is mine:
                del self._tails[key]

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        await coroutine

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None
