"""The Bot API transport's connections (bot/telegram/http.py): keep-alive HTTP/1.1
connections whose answers httptools parses, and the pool that hands them out in O(1) (idle ones
LIFO; at the pool's limit a request waits for the next free one, at most `pool_timeout`).
"""

from __future__ import annotations

import asyncio
import ssl
import time
from collections import deque
from urllib.parse import urlsplit

import httptools
from telegram.error import NetworkError, TimedOut

from bot.telegram.proxy import Proxy

KEEPALIVE_S = 50.0  # an idle connection older than this is closed, not reused
# Bytes of one answer (head and body) read at most. A send's answer (a Message, up to ten for an
# album) is a few KB; 1 MB leaves room for anything the Bot API answers to a method call.
MAX_ANSWER = 1 << 20


class Origin:
    """Where a URL's requests go, parsed once per URL: scheme, host, port and the request target."""

    __slots__ = ("host", "host_header", "key", "port", "tls", "target")

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise NetworkError("the URL is not valid")  # the URL holds the token: not shown
        self.tls = parts.scheme == "https"
        self.host = parts.hostname
        self.host_header = self.host.encode("idna")  # the Host header's value
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
