"""The Bot API transport: python-telegram-bot's BaseRequest over keep-alive HTTP/1.1
connections of our own, with httptools (the C HTTP parser uvicorn uses) reading the answers.

Why not the default HTTPXRequest: httpcore's pool scans every queued request against every
connection on each assignment (quadratic; encode/httpcore #1035), so with many updates in flight
CPU per request climbs from under 1 ms to 4-11 ms (see ../shared/PERFORMANCE.md). Why not
aiohttp's client (this module's first version): a general client pays per request for what the
Bot API never needs (cookies, redirects, tracing hooks, header multidicts, a timeout object and a
payload writer), and was the largest single share of the bot's CPU after python-telegram-bot's
own (bench/README.md, section 6). The Bot API is one origin answering small JSON documents over
keep-alive connections: a request here is one write of head and body, and its answer is parsed
in C as it arrives. Connections are handed out in O(1) (idle ones LIFO; at the pool's limit a
request waits for the next free one, at most `pool_timeout`).

Proxies: with `proxy` (config telegram.proxy, an http://[user:password@]host:port URL) every
connection is a CONNECT tunnel through it, TLS to the Bot API inside (the proxy sees only the
host name); a proxy that refuses or asks for a password is named as the cause, and its URL is
never shown (it may hold the password).

What it does not do: redirects, compression, HTTP/2, socks or https:// proxies (the Bot API
needs none of them).
Answers are capped in size (MAX_ANSWER; getUpdates MAX_UPDATES_ANSWER, bot/telegram/polling.py): a
server that sends more (a broken proxy, an endless body) gets the connection closed once the cap
is passed, and the call fails with NetworkError, which the usual retry paths handle. Without it an
endless answer grew the bot to 5 GB in 30 s (issue 20).
A connection is never reused after a request that did not finish (timed out, cancelled, broken
answer), and one idle longer than KEEPALIVE_S is closed rather than reused. A request is never
sent twice: a connection that breaks mid-request raises NetworkError, as aiohttp did.

Lean answers: python-telegram-bot turns the answer to every send or edit into a full Message
(sender, chat, entities, keyboard, link-preview options: ~100 us of CPU per reply, a third of a
reply's cost in the profile). The bot reads only the message id, chat, date, text or caption and
the media of its own messages (bot/delivery.py: message_id, photo file id), so those answers are
cut to that before parsing (`lean_answers`, on by default; a handler that needs the rest of its
own message can turn it off).

JSON both ways goes through orjson when it is installed (a few times faster than the standard
library, and it encodes nested parameters in one pass instead of python-telegram-bot's
json.dumps per parameter), else the standard library; the two give the same Python values.

Where the code is: this module is python-telegram-bot's BaseRequest adapter (`BotApiRequest`:
timeouts, the request head, one exchange); the connections and their pool are in
bot/telegram/http_pool.py, the JSON codec, lean answers and multipart uploads in
bot/telegram/http_codec.py.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Callable
from typing import Any

from telegram.error import NetworkError, TelegramError, TimedOut
from telegram.request import BaseRequest, RequestData

from bot.telegram.http_codec import (
    KEPT_FIELDS,
    decode_json,
    encode_json,
    lean_message,
    multipart,
)
from bot.telegram.http_pool import KEEPALIVE_S, MAX_ANSWER, AsyncPool, Connection, Origin
from bot.telegram.proxy import Proxy

__all__ = [
    "KEEPALIVE_S",
    "KEPT_FIELDS",
    "MAX_ANSWER",
    "USER_AGENT",
    "AsyncPool",
    "BotApiRequest",
    "Connection",
    "Origin",
    "decode_json",
    "encode_json",
    "lean_message",
    "multipart",
]

USER_AGENT = b"safermk-bot (python-telegram-bot)"


class BotApiRequest(BaseRequest):
    """python-telegram-bot's request layer on AsyncPool; one instance per purpose (updates,
    sending), each with its own connections."""

    __slots__ = (
        "_connect", "_origins", "_pool", "_pool_wait", "_read", "_write", "lean_answers", "observe",
        "max_answer",
    )  # fmt: skip

    def __init__(
        self,
        connection_pool_size: int = 64,
        read_timeout: float | None = 10.0,
        write_timeout: float | None = 10.0,
        connect_timeout: float | None = 10.0,
        pool_timeout: float | None = 10.0,
        *,
        lean_answers: bool = True,
        ssl_context: ssl.SSLContext | None = None,
        proxy: str | None = None,
        max_answer: int = MAX_ANSWER,
    ) -> None:
        self.lean_answers = lean_answers
        self.max_answer = max_answer  # bytes of one answer read at most
        self._read = read_timeout
        self._write = write_timeout
        self._connect = connect_timeout
        self._pool_wait = pool_timeout
        self._pool = AsyncPool(connection_pool_size, ssl_context, Proxy(proxy) if proxy else None)
        # Parsed targets by method URL (a few dozen methods).
        self._origins: dict[str, Origin] = {}
        # Told of every exchange: (method URL, HTTP status), status 0 when no answer came
        # (network, timeout). The composition root hooks readiness and metrics in here.
        self.observe: Callable[[str, int], None] | None = None

    def parse_json_payload(self, payload: bytes) -> dict[str, Any]:  # type: ignore[override]
        """Decode an answer; a sent or edited Message keeps only what the bot reads of it.

        (BaseRequest.post, which calls this, is final: the answer is recognised by its shape,
        a result with a message_id and a chat, rather than by the method's name.)
        """
        answer = decode_json(payload)
        if self.lean_answers and isinstance(answer, dict):
            result = answer.get("result")
            if isinstance(result, dict) and "message_id" in result and "chat" in result:
                answer["result"] = lean_message(result)
        return answer

    @property
    def read_timeout(self) -> float | None:
        return self._read

    async def initialize(self) -> None:
        return None  # connections are opened on first use

    async def shutdown(self) -> None:
        self._pool.close()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        read, write, connect, pool = self._timeouts(
            read_timeout, write_timeout, connect_timeout, pool_timeout
        )
        wait = read
        if request_data is None:
            body, ctype = b"", None
        elif request_data.contains_files:
            body, ctype = multipart(request_data)
            wait = None if read is None or write is None else read + write
        else:
            # Nested values (keyboards, options) as JSON objects, in one encoding pass;
            # the Bot API accepts them as well as PTB's JSON-encoded strings.
            body, ctype = encode_json(request_data.parameters), b"application/json"
        return await self._exchange(url, method, body, ctype, wait, connect, pool)

    def _timeouts(self, read: Any, write: Any, connect: Any, pool: Any) -> tuple[Any, ...]:
        """The call's timeouts, this transport's own where python-telegram-bot left them."""
        default = BaseRequest.DEFAULT_NONE
        return (
            self._read if read is default else read,
            self._write if write is default else write,
            self._connect if connect is default else connect,
            self._pool_wait if pool is default else pool,
        )

    async def _exchange(
        self,
        url: str,
        method: str,
        body: bytes,
        ctype: bytes | None,
        wait: float | None,
        connect: float | None,
        pool: float | None,
    ) -> tuple[int, bytes]:
        """One request on a pooled connection: its (status, body), shown to `observe`."""
        observe = self.observe
        if observe is None:
            return await self._send(url, method, body, ctype, wait, connect, pool)
        try:
            answer = await self._send(url, method, body, ctype, wait, connect, pool)
        except TelegramError:  # NetworkError, TimedOut: no answer
            observe(url, 0)
            raise
        observe(url, answer[0])
        return answer

    async def _send(
        self,
        url: str,
        method: str,
        body: bytes,
        ctype: bytes | None,
        wait: float | None,
        connect: float | None,
        pool: float | None,
    ) -> tuple[int, bytes]:
        origin = self._origins.get(url)
        if origin is None:
            origin = Origin(url)
            if len(self._origins) < 256:
                self._origins[url] = origin
        head = b"%s %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: %s\r\nContent-Length: %d\r\n" % (
            method.encode("ascii"),
            origin.target,
            origin.host_header,
            USER_AGENT,
            len(body),
        )
        if ctype is not None:
            head += b"Content-Type: %s\r\n" % ctype
        try:
            conn = await self._pool.acquire(origin, connect, pool)
        except TimeoutError as err:
            raise TimedOut("Timed out connecting to the Bot API") from err
        except OSError as err:
            # The URL (which contains the token) is never put in the message.
            raise NetworkError(
                f"Could not connect to the Bot API ({err.__class__.__name__})"
            ) from err
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[tuple[int, bytes]] = loop.create_future()
        timer = None if wait is None else loop.call_later(wait, _expire, waiter)
        try:
            conn.send(head + b"\r\n" + body, waiter, self.max_answer)
            answer = await waiter
        except BaseException:
            conn.close()  # mid-request (timed out, cancelled, broken): never reused
            raise
        finally:
            if timer is not None:
                timer.cancel()
        self._pool.release(conn)
        return answer


def _expire(waiter: asyncio.Future[tuple[int, bytes]]) -> None:
    if not waiter.done():
        waiter.set_exception(TimedOut("Timed out waiting for the Bot API"))
