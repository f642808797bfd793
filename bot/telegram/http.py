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
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import ssl
import time
from collections import deque
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import httptools
from telegram.error import NetworkError, TelegramError, TimedOut
from telegram.request import BaseRequest, RequestData

from bot.telegram.proxy import Proxy

try:  # optional speed-up; the standard library is the fallback
    import orjson
except ImportError:  # pragma: no cover - exercised where orjson is absent
    orjson = None  # type: ignore[assignment]

logger = logging.getLogger(__name__)


def encode_json(value: Any) -> bytes:
    """Encode a request body (str keys; str, int, float, bool, list and dict values)."""
    if orjson is not None:
        try:
            return orjson.dumps(value)
        except TypeError:  # e.g. an integer beyond 64 bits: the standard library takes it
            pass
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def decode_json(payload: bytes) -> Any:
    """Decode an answer; TelegramError (as python-telegram-bot raises) when it is not JSON."""
    if orjson is not None:
        try:
            return orjson.loads(payload)
        except orjson.JSONDecodeError:
            pass  # e.g. invalid UTF-8: the standard path replaces bad bytes, as PTB does
    try:
        return json.loads(payload.decode("utf-8", "replace"))
    except ValueError as exc:
        # Never log the payload: an answer can carry residents' messages.
        logger.error("The Bot API answered with invalid JSON (%d bytes)", len(payload))
        raise TelegramError("Invalid server response") from exc


USER_AGENT = b"safermk-bot (python-telegram-bot)"
KEEPALIVE_S = 50.0  # an idle connection older than this is closed, not reused
# Bytes of one answer (head and body) read at most. A send's answer (a Message, up to ten for an
# album) is a few KB; 1 MB leaves room for anything the Bot API answers to a method call.
MAX_ANSWER = 1 << 20
# What of a Message sent or edited the bot ever reads.
KEPT_FIELDS = (
    "message_id", "date", "edit_date", "message_thread_id", "text", "caption", "photo",
    "document", "location", "video", "animation", "audio", "voice",
)  # fmt: skip


def lean_message(message: dict[str, Any]) -> dict[str, Any]:
    """The fields of a sent message the bot reads: id, chat (id and type), date, text, media."""
    out = {k: message[k] for k in KEPT_FIELDS if k in message}
    chat = message.get("chat")
    if isinstance(chat, dict):
        out["chat"] = {"id": chat.get("id"), "type": chat.get("type", "private")}
    return out


class Origin:
    """Where a URL's requests go, parsed once per URL: scheme, host, port and the request target."""

    __slots__ = ("host", "key", "port", "tls", "target")

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise NetworkError("the URL is not valid")  # the URL holds the token: not shown
        self.tls = parts.scheme == "https"
        self.host = parts.hostname
        self.port = parts.port or (443 if self.tls else 80)
        self.key = (self.tls, self.host, self.port)
        path = parts.path or "/"
        self.target = (path + ("?" + parts.query if parts.query else "")).encode("ascii")


class Connection(asyncio.Protocol):
    """One keep-alive connection: one request at a time, its answer parsed by httptools."""

    def __init__(self, pool: AsyncPool, key: tuple[bool, str, int]) -> None:
        self.pool = pool
        self.key = key
        self.transport: asyncio.Transport | None = None
        self.parser = httptools.HttpResponseParser(self)
        self.waiter: asyncio.Future[tuple[int, bytes]] | None = None
        self.chunks: list[bytes] = []
        self.received = 0  # bytes of the current answer so far
        self.limit = MAX_ANSWER
        self.headers_done = False
        self.closed = False
        self.reusable = False
        self.idle_since = 0.0

    # -- asyncio.Protocol
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        if self.waiter is None:
            # Nothing was asked (an idle connection, or bytes after a complete answer): the
            # server is closing it or out of step; either way it is not used again.
            self.close()
            return
        self.received += len(data)
        if self.received > self.limit:
            # Never reused: the rest of the answer would be read as the next one's.
            self._fail(NetworkError(f"The Bot API's answer was larger than {self.limit >> 20} MB"))
            self.close()
            return
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError:
            self._fail(NetworkError("the answer was not HTTP"))
            self.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        waiter = self.waiter
        if waiter is not None and not waiter.done():
            if self.headers_done:
                # An answer without a length ends with the connection; a cut one fails to parse.
                waiter.set_result((self.parser.get_status_code(), b"".join(self.chunks)))
            else:
                waiter.set_exception(
                    NetworkError("the server closed the connection without answering")
                )
        self.waiter = None
        self.pool.lost(self)

    # -- httptools callbacks
    def on_message_begin(self) -> None:
        if self.waiter is None:  # a second answer to one request: out of step, never reused
            self.close()

    def on_headers_complete(self) -> None:
        self.headers_done = True

    def on_body(self, body: bytes) -> None:
        self.chunks.append(body)

    def on_message_complete(self) -> None:
        waiter = self.waiter
        self.waiter = None
        self.reusable = self.parser.should_keep_alive()
        if waiter is not None and not waiter.done():
            waiter.set_result((self.parser.get_status_code(), b"".join(self.chunks)))

    # -- used by the pool
    def send(
        self, data: bytes, waiter: asyncio.Future[tuple[int, bytes]], limit: int = MAX_ANSWER
    ) -> None:
        self.waiter = waiter
        self.limit = limit
        self.received = 0
        self.chunks = []
        self.headers_done = False
        self.reusable = False
        assert self.transport is not None
        self.transport.write(data)

    def _fail(self, exc: Exception) -> None:
        waiter = self.waiter
        self.waiter = None
        if waiter is not None and not waiter.done():
            waiter.set_exception(exc)

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            if self.transport is not None:
                self.transport.close()
            self.pool.lost(self)


class AsyncPool:
    """Keep-alive connections to the Bot API's origins, at most `limit` open per origin."""

    def __init__(
        self, limit: int, ssl_context: ssl.SSLContext | None = None, proxy: Proxy | None = None
    ) -> None:
        self.limit = max(1, limit)
        self.proxy = proxy
        self._idle: dict[tuple[bool, str, int], list[Connection]] = {}
        self._open: dict[tuple[bool, str, int], set[Connection]] = {}
        self._waiters: dict[tuple[bool, str, int], deque[asyncio.Future[Connection | None]]] = {}
        self._ssl = ssl_context  # the system's trusted CAs unless given (tests: their own CA)

    def ssl_context(self) -> ssl.SSLContext:
        if self._ssl is None:
            self._ssl = ssl.create_default_context()
        return self._ssl

    async def acquire(
        self, origin: Origin, connect_timeout: float | None, pool_timeout: float | None
    ) -> Connection:
        key = origin.key
        idle = self._idle.get(key)
        while idle:
            conn = idle.pop()  # the most recently used: the likeliest to be alive
            if not conn.closed and time.monotonic() - conn.idle_since < KEEPALIVE_S:
                return conn
            conn.close()
        opened = self._open.setdefault(key, set())
        while len(opened) >= self.limit:
            waiter: asyncio.Future[Connection | None] = asyncio.get_running_loop().create_future()
            self._waiters.setdefault(key, deque()).append(waiter)
            try:
                async with asyncio.timeout(pool_timeout):
                    handed = await waiter
            except BaseException as exc:
                # Timed out or cancelled; if a connection (or a free place) was handed over
                # meanwhile, pass it on rather than lose it.
                if waiter.done() and not waiter.cancelled() and waiter.exception() is None:
                    given = waiter.result()
                    if given is not None:
                        self.release(given)
                    else:
                        self._wake(key, None)
                waiter.cancel()
                if isinstance(exc, TimeoutError):
                    raise TimedOut(
                        "Pool timeout: all connections to the Bot API are busy"
                    ) from None
                raise
            if handed is not None:
                return handed  # passed on by a request that just finished with it
        conn = Connection(self, key)
        opened.add(conn)
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(connect_timeout):
                tls = self.ssl_context() if origin.tls else None
                if self.proxy is None:
                    await loop.create_connection(lambda: conn, origin.host, origin.port, ssl=tls)
                else:
                    await loop.create_connection(
                        lambda: conn,
                        sock=await self.proxy.tunnel(origin),
                        ssl=tls,
                        server_hostname=origin.host if tls else None,
                    )
        except BaseException:
            conn.close()
            raise
        return conn

    def release(self, conn: Connection) -> None:
        """A request finished with `conn`: reuse it (next waiter first) or close it."""
        if conn.closed or not conn.reusable:
            conn.close()
            return
        if not self._wake(conn.key, conn):
            conn.idle_since = time.monotonic()
            self._idle.setdefault(conn.key, []).append(conn)

    def lost(self, conn: Connection) -> None:
        """`conn` is closed: free its place and let a waiting request open a new one."""
        opened = self._open.get(conn.key)
        if opened is None or conn not in opened:
            return  # already counted out
        opened.discard(conn)
        idle = self._idle.get(conn.key)
        if idle and conn in idle:
            idle.remove(conn)
        self._wake(conn.key, None)

    def _wake(self, key: tuple[bool, str, int], conn: Connection | None) -> bool:
        """Give the first request still waiting `conn` (or, None, a place to open one)."""
        waiters = self._waiters.get(key)
        while waiters:
            waiter = waiters.popleft()
            if not waiter.done():
                waiter.set_result(conn)
                return True
        return False

    def close(self) -> None:
        for opened in list(self._open.values()):
            for conn in list(opened):
                conn.close()
        for waiters in self._waiters.values():
            for waiter in waiters:
                if not waiter.done():
                    waiter.set_exception(NetworkError("the bot is shutting down"))
        self._idle.clear()
        self._open.clear()
        self._waiters.clear()


def multipart(request_data: RequestData) -> tuple[bytes, bytes]:
    """(body, content type) of a multipart/form-data upload: the parameters, then the files."""
    boundary = secrets.token_hex(16).encode("ascii")
    out: list[bytes] = []
    for name, value in request_data.json_parameters.items():
        out.append(
            b'--%s\r\nContent-Disposition: form-data; name="%s"\r\n\r\n' % (boundary, _quoted(name))
        )
        out.append(value.encode("utf-8") + b"\r\n")
    for name, part in request_data.multipart_data.items():
        filename, content, mime = part  # (file name, bytes or a file, MIME type)
        data = content if isinstance(content, bytes) else content.read()
        out.append(
            b'--%s\r\nContent-Disposition: form-data; name="%s"; filename="%s"\r\n'
            b"Content-Type: %s\r\n\r\n"
            % (
                boundary,
                _quoted(name),
                _quoted(filename or name),
                (mime or "application/octet-stream").encode("ascii"),
            )
        )
        out.append(data + b"\r\n")
    out.append(b"--%s--\r\n" % boundary)
    return b"".join(out), b"multipart/form-data; boundary=" + boundary


def _quoted(value: str) -> bytes:
    """A form field or file name inside double quotes (quotes and line breaks escaped)."""
    return (
        value.replace("\\", "\\\\")
        .replace('"', "%22")
        .replace("\r", "%0D")
        .replace("\n", "%0A")
        .encode("utf-8")
    )


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
            origin.host.encode("idna"),
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
