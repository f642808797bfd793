"""Telegram's side of webhook mode for the benchmarks: post a stream of updates to the bot's
HTTP server over keep-alive connections, one request at a time on each, as Telegram does (up to
setWebhook's max_connections at once, 40 by default).

A bare asyncio protocol rather than an HTTP client library, for the reason bench/fake_api.py is
one: the fake's CPU must stay far below the bot's, so the bot is what is measured.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

SECRET_HEADER = b"X-Telegram-Bot-Api-Secret-Token"


class _Conn(asyncio.Protocol):
    def __init__(self, poster: WebhookPoster) -> None:
        self.poster = poster
        self.buf = bytearray()
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        self._next()

    def _next(self) -> None:
        request = self.poster.next_request()
        if request is None:
            assert self.transport is not None
            self.transport.close()
        elif self.transport is not None:
            self.transport.write(request)

    def data_received(self, data: bytes) -> None:
        self.buf += data
        while True:
            end = self.buf.find(b"\r\n\r\n")
            if end < 0:
                return
            head = bytes(self.buf[:end]).split(b"\r\n")
            length = 0
            for line in head[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            if len(self.buf) < end + 4 + length:
                return
            del self.buf[: end + 4 + length]
            self.poster.answered(int(head[0].split(b" ")[1]))
            self._next()


class WebhookPoster:
    """Post `updates` to `base` + the webhook URL's path with the secret, on `connections`."""

    def __init__(
        self,
        updates: list[dict[str, Any]],
        base: str,
        webhook: dict[str, Any],
        connections: int,
        on_answer: Callable[[int], None],
    ) -> None:
        target = urlsplit(base)
        self.host = target.hostname or "127.0.0.1"
        self.port = target.port or 80
        path = (urlsplit(str(webhook.get("url", ""))).path or "/").encode()
        secret = str(webhook.get("secret_token") or "").encode()
        self.head = (
            b"POST " + path + b" HTTP/1.1\r\nHost: " + self.host.encode()
            + b"\r\nContent-Type: application/json\r\n" + SECRET_HEADER + b": " + secret
            + b"\r\nContent-Length: "
        )  # fmt: skip
        self._updates: Iterator[dict[str, Any]] = iter(updates)
        self.connections = connections
        self.answered = on_answer

    def next_request(self) -> bytes | None:
        update = next(self._updates, None)
        if update is None:
            return None
        body = json.dumps(update, separators=(",", ":")).encode()
        return self.head + str(len(body)).encode() + b"\r\n\r\n" + body

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        for _ in range(self.connections):
            await loop.create_connection(lambda: _Conn(self), self.host, self.port)
