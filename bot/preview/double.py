"""The Bot API double: one in-process stand-in for Telegram's Bot API.

The same object serves the handler tests (through `DoubleRequest`, python-telegram-bot's request
layer answered in-process), the end-to-end tests and benchmarks (through `BotApiServer`, the same
double over HTTP on 127.0.0.1) and `safermk-bot preview` (with every rule on and the chat history
kept for the web page). See bot/preview/transport.py for the two transports.

It records every call (`calls`, `sent()`, `texts()`), fails on demand (`fail_next`, a
`responder`), delays answers (`latency`), serves pushed updates to long-polled getUpdates, and,
rule by rule (`Rules`), refuses what Telegram refuses with Telegram's error code and
description: text and caption lengths, HTML that does not parse, button data and keyboard
sizes, sending faster than 1 message a second to a chat or 30 a second overall (429 with
retry_after), unknown chats and users who blocked the bot, edits of messages that do not exist
or would not change. Handler tests keep the rules off (a rate limit would make them wait); the
preview turns them all on.

Besides the bot's side it plays the people's side for the preview and tests: `user_message`,
`press`, `block` build the updates Telegram would send and keep the chat history per chat, and
`subscribe` lets the preview's web page follow every change live.

The double is split by what changes together; this module is its entry point (every name
callers import is here) and the request flow (`call`, `handle`). double_model.py holds
its vocabulary (Call, Failure, Rules...), double_state.py the state and the people's side,
double_rules.py Telegram's rules (`check`), double_answers.py what each method answers,
double_text.py Telegram's text (visible text, lengths, HTML to entities).
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

from bot.preview.double_answers import DoubleAnswers
from bot.preview.double_model import (
    BOT_USER,
    EDITS,
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
from bot.preview.double_rules import (
    ALBUM_SIZE,
    BLOCKED,
    BUTTON_DATA_INVALID,
    BUTTON_URL_INVALID,
    CANT_EDIT,
    CANT_PARSE,
    CAPTION_TOO_LONG,
    CHAT_NOT_FOUND,
    DELETE_NOT_FOUND,
    EDIT_NOT_FOUND,
    INLINE_ACTIONS,
    INLINE_BUTTONS,
    INLINE_PER_ROW,
    MARKUP_TOO_LONG,
    MAX_CALLBACK_DATA,
    MAX_CAPTION,
    MAX_TEXT,
    NO_TEXT_TO_EDIT,
    NOT_MODIFIED,
    QUERY_INVALID,
    REPLY_BUTTONS,
    REPLY_PER_ROW,
    TEXT_BUTTONS,
    TEXT_EMPTY,
    TOO_LONG,
    WRONG_FILE,
    DoubleRules,
    counted,
)
from bot.preview.double_state import logger
from bot.preview.double_text import as_received, received_message, telegram_length, visible_text

__all__ = [
    "ALBUM_SIZE", "BLOCKED", "BOT_USER", "BUTTON_DATA_INVALID", "BUTTON_URL_INVALID", "CANT_EDIT",
    "CANT_PARSE", "CAPTION_TOO_LONG", "CHAT_NOT_FOUND", "DELETE_NOT_FOUND", "EDITS",
    "EDIT_NOT_FOUND", "INLINE_ACTIONS", "INLINE_BUTTONS", "INLINE_PER_ROW", "LONG_POLL_CAP",
    "MARKUP_TOO_LONG", "MAX_CALLBACK_DATA", "MAX_CAPTION", "MAX_TEXT", "NOT_MODIFIED",
    "NO_TEXT_TO_EDIT", "QUERY_INVALID", "REPLY_BUTTONS", "REPLY_PER_ROW", "SENDS", "TEXT_BUTTONS",
    "TEXT_EMPTY", "TOO_LONG", "WRONG_FILE", "BotApiDouble", "Call", "ChatLog", "Failure",
    "Listener", "Observer", "Responder", "Rules", "StoredFile", "as_received", "counted", "logger",
    "received_message", "telegram_length", "visible_text",
]  # fmt: skip

LONG_POLL_CAP = 2.0  # seconds a getUpdates waits at most, whatever timeout it asked for


def _decode(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in "[{":
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


class BotApiDouble(DoubleRules, DoubleAnswers):
    """Telegram's Bot API, in memory: state and behaviour shared by every transport."""

    async def call(
        self,
        method: str,
        params: dict[str, Any],
        files: dict[str, tuple[str, bytes]] | None = None,
    ) -> tuple[int, dict[str, Any]]:
        """Answer one request as Telegram would, long-polling getUpdates; (status, body)."""
        files = files or {}
        if method == "getUpdates":
            return 200, await self.get_updates(params)
        if delay := self.delay():
            await asyncio.sleep(delay)
        return self.handle(method, params, files)

    def delay(self) -> float:
        """This request's added latency in seconds (drawn from the range when one is set)."""
        if isinstance(self.latency, tuple):
            return self.random.uniform(*self.latency)
        return self.latency

    async def get_updates(self, params: dict[str, Any]) -> dict[str, Any]:
        offset = int(params.get("offset") or 0)
        timeout = float(params.get("timeout") or 0)
        limit = int(params.get("limit") or 100)
        if offset:
            self.pending = [u for u in self.pending if u["update_id"] >= offset]
            if offset - 1 > self.delivered_up_to:
                self.delivered_up_to = offset - 1
                self._tick.set()
        if not self.pending and timeout:
            self._new_update.clear()
            try:
                await asyncio.wait_for(self._new_update.wait(), min(timeout, LONG_POLL_CAP))
            except TimeoutError:
                pass
        return {"ok": True, "result": self.pending[:limit]}

    def handle(
        self, method: str, params: dict[str, Any], files: dict[str, tuple[str, bytes]]
    ) -> tuple[int, dict[str, Any]]:
        """Answer one request (getUpdates without waiting); (status, JSON body)."""
        params = {k: _decode(v) for k, v in params.items()}
        self._now = self.clock()
        if method == "getUpdates":
            return 200, {"ok": True, "result": self.pending[: int(params.get("limit") or 100)]}
        if self.record:
            self.calls.append(Call(method, params, files))
        queued = self.failures.get(method)
        failure = queued.pop(0) if queued else None
        if failure is None and self.responder is not None:
            failure = self.responder(method, params)
        if failure is None:
            failure = self.check(method, params, files)
        if failure is not None:
            self._refused(method, params, failure)
            self._tick.set()
            body: dict[str, Any] = {
                "ok": False,
                "error_code": failure.status,
                "description": failure.description,
            }
            if failure.retry_after is not None:
                body["parameters"] = {"retry_after": failure.retry_after}
            self._observed(method, params, failure.status)
            return failure.status, body
        if method in SENDS and self.record:
            self.send_times.append((time.monotonic(), int(params.get("chat_id", 0))))
        result = self.result(method, params, files)
        self._tick.set()
        self._observed(method, params, 200)
        return 200, {"ok": True, "result": result}

    def _observed(self, method: str, params: dict[str, Any], status: int) -> None:
        if self._observers:
            now = self._now
            for observer in list(self._observers):
                observer(method, params, status, now)

    def _refused(self, method: str, params: dict[str, Any], failure: Failure) -> None:
        chat_id = params.get("chat_id")
        if not self.history or chat_id is None:
            return
        chat_id = int(chat_id)
        log = self.log(chat_id)
        note = {
            "method": method,
            "status": failure.status,
            "description": failure.description,
            "after": max(log.messages, default=0),
        }
        log.refused.append(note)
        self._emit({"type": "refused", "chat_id": chat_id, **note})
