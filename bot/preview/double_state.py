"""The Bot API double's state (bot/preview/double.py): the call log and its test helpers, the
updates waiting for getUpdates, the people and their chats (the people's side: `user_message`,
`press`, `block`), files, command menus, the rate rules' memory, and who follows the changes
(`subscribe`, `observe`).
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import random
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from bot.preview.double_model import (
    BOT_USER,
    SENDS,
    Call,
    ChatLog,
    Failure,
    Listener,
    Observer,
    Responder,
    Rules,
    StoredFile,
)
from bot.preview.double_text import received_message, telegram_length

# The name the double has always logged under (the code moved, the logger did not).
logger = logging.getLogger("bot.preview.double")


class DoubleState:
    """What the double remembers, and the people's side that adds to it."""

    def __init__(
        self,
        rules: Rules | None = None,
        *,
        history: bool | None = None,
        record: bool = True,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.rules = rules or Rules.off()
        # The chat history (messages, files, menus) is kept for the preview and the messages
        # rule; the test double keeps only `calls`, so benchmarks do not grow without bound.
        self.history = self.rules.messages if history is None else (history or self.rules.messages)
        self.clock = clock
        self.record = record  # keep every Call (tests); a long benchmark turns it off
        self.calls: list[Call] = []
        self.responder: Responder | None = None
        self.failures: dict[str, list[Failure]] = {}
        # Added before each answer but getUpdates's (so the rate rules count a send when it
        # "arrives", after the delay). A (low, high) pair draws every request's delay uniformly
        # from that range: jitter that can reorder requests, as a real network does.
        self.latency: float | tuple[float, float] = 0.0
        self.random = random.Random(1)
        self.send_times: list[tuple[float, int]] = []  # (monotonic, chat_id) of successful sends
        # updates waiting for getUpdates
        self.pending: list[dict[str, Any]] = []
        self.delivered_up_to = 0  # the bot acknowledged every update up to this id
        self.last_update_id = 0
        self._update_ids = itertools.count(1)
        self._new_update = asyncio.Event()
        self._tick = asyncio.Event()
        # people and chats
        self.users: dict[int, dict[str, Any]] = {}
        self.known_chats: set[int] = set()
        self.blocked: set[int] = set()
        self.chats: dict[int, ChatLog] = {}
        self._next_message_id: dict[int, int] = {}
        self._queries: dict[str, int] = {}  # unanswered callback query id -> chat id
        self._query_ids = itertools.count(1)
        self._albums = itertools.count(1)
        self.files: dict[str, StoredFile] = {}
        self.commands: dict[tuple[str, int | None], list[dict[str, str]]] = {}
        # rate limits
        self._window: deque[float] = deque()  # free (not paid) sends in the last second
        self._all: deque[float] = deque()  # every accepted send in the last second
        self.billed = 0  # paid sends accepted above the free per_second (0.1 Star each)
        self._observers: list[Observer] = []
        self._now = 0.0  # the clock when the request being handled arrived
        self._chat_tat: dict[int, float] = {}  # per chat: theoretical arrival time (GCRA)
        self._listeners: list[Listener] = []

    # ------------------------------------------------------------------ test helpers

    def fail_next(self, method: str, failure: Failure, times: int = 1) -> None:
        """The next `times` calls of `method` get `failure` (before any rule is checked)."""
        self.failures.setdefault(method, []).extend([failure] * times)

    def sent(self, method: str | None = None, chat_id: int | None = None) -> list[Call]:
        return [
            c
            for c in self.calls
            if (method is None or c.method == method) and (chat_id is None or c.chat_id == chat_id)
        ]

    def texts(self, chat_id: int | None = None) -> list[str]:
        return [
            c.text
            for c in self.calls
            if c.method in SENDS and (chat_id is None or c.chat_id == chat_id)
        ]

    def clear(self) -> None:
        self.calls.clear()

    async def wait_for(self, predicate: Callable[[], bool], timeout: float = 30.0) -> None:
        """Wait (event-driven, no polling sleeps) until `predicate()` holds after some request."""
        async with asyncio.timeout(timeout):
            while not predicate():
                self._tick.clear()
                await self._tick.wait()

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call `listener(event)` on every change a person would see; returns an unsubscribe."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    def set_clock(self, clock: Callable[[], float]) -> None:
        """Use another clock (e.g. a test's virtual one); the rate rules' memory, kept in the
        old clock's time, starts afresh."""
        self.clock = clock
        self._window.clear()
        self._all.clear()
        self._chat_tat.clear()

    def observe(self, observer: Observer) -> Callable[[], None]:
        """Call `observer(method, params, status, now)` after every answered request but
        getUpdates (benchmarks count sends and 429s this way); returns an unsubscribe."""
        self._observers.append(observer)
        return lambda: self._observers.remove(observer) if observer in self._observers else None

    def _emit(self, event: dict[str, Any]) -> None:
        for listener in list(self._listeners):
            try:
                listener(event)
            except Exception:  # a broken page must never break the bot's requests
                logger.exception("Preview listener failed")

    # ------------------------------------------------------------------ the people's side

    def add_user(self, user_id: int, first_name: str = "Resident", language: str = "en") -> None:
        """A person who has opened the chat with the bot (so the bot may write to them)."""
        self.users[user_id] = {
            "id": user_id,
            "is_bot": False,
            "first_name": first_name,
            "language_code": language,
        }
        self.known_chats.add(user_id)

    def _user(self, chat_id: int) -> dict[str, Any]:
        return self.users.get(chat_id, {"id": chat_id, "is_bot": False, "first_name": "Resident"})

    def _chat(self, chat_id: int) -> dict[str, Any]:
        return {
            "id": chat_id,
            "type": "private" if chat_id > 0 else "group",
            "first_name": self._user(chat_id)["first_name"],
        }

    def newest_message_id(self, chat_id: int) -> int | None:
        """The id of the newest message in the chat, from either side (None: no message yet)."""
        n = self._next_message_id.get(chat_id)
        return n - 1 if n is not None else None

    def _message_id(self, chat_id: int) -> int:
        # Telegram numbers the messages of a private chat in one sequence for both sides.
        n = self._next_message_id.get(chat_id, 1000)
        self._next_message_id[chat_id] = n + 1
        return n

    def log(self, chat_id: int) -> ChatLog:
        if chat_id not in self.chats:
            self.chats[chat_id] = ChatLog()
        return self.chats[chat_id]

    def push(self, update: dict[str, Any]) -> int:
        """Queue an update for getUpdates; returns its update_id."""
        update = dict(update)
        update["update_id"] = self.last_update_id = next(self._update_ids)
        for key in ("message", "callback_query", "my_chat_member", "edited_message"):
            part = update.get(key)
            if isinstance(part, dict):
                chat = part.get("chat") or (part.get("message") or {}).get("chat")
                if chat and "id" in chat:
                    self.known_chats.add(int(chat["id"]))
        self.pending.append(update)
        self._new_update.set()
        self._tick.set()
        return update["update_id"]

    def user_message(
        self,
        chat_id: int,
        text: str | None = None,
        *,
        location: tuple[float, float] | None = None,
    ) -> dict[str, Any]:
        """The person types `text` (or shares a location) in their chat with the bot."""
        if chat_id not in self.users:
            self.add_user(chat_id)
        msg: dict[str, Any] = {
            "message_id": self._message_id(chat_id),
            "date": int(time.time()),
            "chat": self._chat(chat_id),
            "from": self._user(chat_id),
        }
        if text is not None:
            msg["text"] = text
            if text.startswith("/"):
                command = text.split()[0]
                msg["entities"] = [
                    {"type": "bot_command", "offset": 0, "length": telegram_length(command)}
                ]
        if location is not None:
            msg["location"] = {"latitude": location[0], "longitude": location[1]}
        if self.history:
            self.log(chat_id).messages[msg["message_id"]] = msg
            self._emit({"type": "message", "chat_id": chat_id, "message": msg})
        self.push({"message": msg})
        return msg

    def press(self, chat_id: int, message_id: int, data: str) -> str:
        """The person taps an inline button with callback `data` under `message_id`."""
        stored = self.log(chat_id).messages.get(message_id) if self.history else None
        if self.rules.messages and stored is None:
            raise KeyError(f"no message {message_id} in chat {chat_id}")
        message = (
            received_message(stored)
            if stored
            else {
                "message_id": message_id,
                "date": int(time.time()),
                "chat": self._chat(chat_id),
                "from": BOT_USER,
                "text": "…",
            }
        )
        message.pop("_parse_mode", None)
        query_id = f"{chat_id}-{next(self._query_ids)}"
        self._queries[query_id] = chat_id
        self.push(
            {
                "callback_query": {
                    "id": query_id,
                    "from": self._user(chat_id),
                    "chat_instance": str(chat_id),
                    "data": data,
                    "message": message,
                }
            }
        )
        return query_id

    def block(self, chat_id: int, blocked: bool = True) -> None:
        """The person blocks (or unblocks) the bot: sends fail with 403 and the bot is told."""
        was = chat_id in self.blocked
        if blocked:
            self.blocked.add(chat_id)
        else:
            self.blocked.discard(chat_id)
        if was == blocked:
            return
        old, new = ("member", "kicked") if blocked else ("kicked", "member")

        def member(status: str) -> dict[str, Any]:
            m: dict[str, Any] = {"user": BOT_USER, "status": status}
            if status == "kicked":
                m["until_date"] = 0
            return m

        self.push(
            {
                "my_chat_member": {
                    "chat": self._chat(chat_id),
                    "from": self._user(chat_id),
                    "date": int(time.time()),
                    "old_chat_member": member(old),
                    "new_chat_member": member(new),
                }
            }
        )
        self._emit({"type": "blocked", "chat_id": chat_id, "blocked": blocked})

    def commands_for(self, chat_id: int) -> list[dict[str, str]]:
        """The command menu this person sees: their chat's scope first, then the defaults."""
        for scope in (("chat", chat_id), ("all_private_chats", None), ("default", None)):
            if scope in self.commands:
                return self.commands[scope]
        return []
