"""Update processing: concurrent across residents, strictly in order within one chat.

python-telegram-bot's `concurrent_updates(True)` gives no ordering at all, and its slowness here
came from the HTTP pool (see bot/http.py), not from concurrency itself. This processor chains each
chat's updates: an update waits for the previous update of the same chat to finish, while updates
of other chats run alongside. The Application creates the processing tasks in arrival order and
asyncio starts tasks in creation order, so the chain order is the arrival order.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor


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
