"""A fake Telegram Bot API: records every call and answers like Telegram would.

Used two ways: `FakeRequest` plugs into python-telegram-bot's request layer (handler tests), and
`FakeBotApiServer` serves the same fake over HTTP on 127.0.0.1 (end-to-end tests, benchmarks).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from telegram.request import BaseRequest, RequestData

BOT_USER = {
    "id": 7000000001,
    "is_bot": True,
    "first_name": "SaferMK",
    "username": "SaferMKBot",
    "can_join_groups": False,
    "can_read_all_group_messages": False,
    "supports_inline_queries": False,
}


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    files: dict[str, tuple[str, bytes]] = field(default_factory=dict)

    @property
    def chat_id(self) -> int | None:
        v = self.params.get("chat_id")
        return int(v) if v is not None else None

    @property
    def text(self) -> str:
        return str(self.params.get("text") or self.params.get("caption") or "")

    @property
    def buttons(self) -> list[tuple[str, str | None]]:
        """(label, callback_data) of every inline button, row by row."""
        markup = self.params.get("reply_markup") or {}
        out = []
        for row in markup.get("inline_keyboard", []):
            for b in row:
                out.append((b["text"], b.get("callback_data")))
        return out


@dataclass
class Failure:
    status: int
    description: str
    retry_after: int | None = None


Responder = Callable[[str, dict[str, Any]], Failure | None]


def _decode(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in "[{":
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


class FakeBotApi:
    """State and behaviour shared by both transports."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.responder: Responder | None = None
        self.failures: dict[str, list[Failure]] = {}
        self._message_ids = itertools.count(1000)
        self.updates: asyncio.Queue[dict[str, Any]] | None = None
        self.latency = 0.0
        self.send_times: list[tuple[float, int]] = []  # (monotonic, chat_id) for sends

    # ---- test helpers
    def fail_next(self, method: str, failure: Failure, times: int = 1) -> None:
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

    # ---- the API
    def handle(
        self, method: str, params: dict[str, Any], files: dict[str, tuple[str, bytes]]
    ) -> tuple[int, dict[str, Any]]:
        params = {k: _decode(v) for k, v in params.items()}
        if method != "getUpdates":
            self.calls.append(Call(method, params, files))
        queued = self.failures.get(method)
        failure = queued.pop(0) if queued else None
        if failure is None and self.responder is not None:
            failure = self.responder(method, params)
        if failure is not None:
            body: dict[str, Any] = {
                "ok": False,
                "error_code": failure.status,
                "description": failure.description,
            }
            if failure.retry_after is not None:
                body["parameters"] = {"retry_after": failure.retry_after}
            return failure.status, body
        if method in SENDS:
            self.send_times.append((time.monotonic(), int(params.get("chat_id", 0))))
        return 200, {"ok": True, "result": self.result(method, params, files)}

    def _message(self, params: dict[str, Any], **extra: Any) -> dict[str, Any]:
        chat_id = int(params.get("chat_id", 0))
        msg: dict[str, Any] = {
            "message_id": int(params.get("message_id") or next(self._message_ids)),
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "group"},
            "from": BOT_USER,
        }
        msg.update(extra)
        return msg

    def result(
        self, method: str, params: dict[str, Any], files: dict[str, tuple[str, bytes]]
    ) -> Any:
        if method == "getMe":
            return BOT_USER
        if method == "sendMessage":
            return self._message(params, text=params.get("text", ""))
        if method == "sendDocument":
            name = files["document"][0] if "document" in files else "file"
            return self._message(
                params,
                document={"file_id": "doc1", "file_unique_id": "doc1u", "file_name": name},
                caption=params.get("caption"),
            )
        if method == "sendPhoto":
            return self._message(
                params,
                photo=[{"file_id": "ph1", "file_unique_id": "ph1u", "width": 10, "height": 10}],
                caption=params.get("caption"),
            )
        if method in ("editMessageText", "editMessageReplyMarkup", "editMessageCaption"):
            return self._message(params, text=params.get("text", ""))
        if method == "getUpdates":
            return []
        # answerCallbackQuery, setMyCommands, deleteWebhook, deleteMessage, close...
        return True


SENDS = {"sendMessage", "sendDocument", "sendPhoto", "editMessageText"}


class FakeRequest(BaseRequest):
    """python-telegram-bot request layer answered in-process by a FakeBotApi."""

    def __init__(self, api: FakeBotApi) -> None:
        self.api = api

    @property
    def read_timeout(self) -> float | None:
        return 1.0

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    async def do_request(
        self, url: str, method: str, request_data: RequestData | None = None, **_: Any
    ) -> tuple[int, bytes]:
        api_method = url.rsplit("/", 1)[-1]
        params = dict(request_data.parameters) if request_data else {}
        files: dict[str, tuple[str, bytes]] = {}
        if request_data is not None:
            for name, part in request_data.multipart_data.items():
                content = part[1] if isinstance(part[1], bytes) else part[1].read()
                files[name] = (part[0], content)
            for name in files:
                params.pop(name, None)
        if self.api.latency:
            await asyncio.sleep(self.api.latency)
        status, body = self.api.handle(api_method, params, files)
        return status, json.dumps(body).encode()
