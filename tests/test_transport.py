"""The Bot API transport's connections (bot/telegram/http.py) against a raw HTTP server on 127.0.0.1 that
misbehaves on demand: keep-alive reuse, the pool's limit and its waiters, timeouts, broken and
unusual answers, connections closed by the server, cancellation, and TLS. After every fault the
next request must work, no request is ever sent twice, and no connection is left open."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator

import pytest
import trustme
from telegram.error import NetworkError, TimedOut

from bot.telegram.http import AsyncPool, BotApiRequest, Origin

OK = b'{"ok":true,"result":{"n":1}}'


class RawServer:
    """Answers by the request's path: /ok, /hang (never), /garbage, /close (answers, then
    closes), /drop (reads the request, closes without an answer), /nolength (no Content-Length,
    closes), /chunked, /slow (answers once `release` is set)."""

    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        self.tls = tls
        self.connections = 0
        self.open = 0
        self.most_open = 0
        self.requests: list[tuple[str, bytes]] = []
        self.release = asyncio.Event()
        self.writers: list[asyncio.StreamWriter] = []
        self.server: asyncio.Server | None = None
        self.port = 0

    async def start(self) -> RawServer:
        self.server = await asyncio.start_server(self.serve, "127.0.0.1", 0, ssl=self.tls)
        self.port = self.server.sockets[0].getsockname()[1]
        return self

    def url(self, path: str) -> str:
        scheme = "https" if self.tls else "http"
        host = "localhost" if self.tls else "127.0.0.1"
        return f"{scheme}://{host}:{self.port}/bot123:SECRET{path}"

    async def stop(self) -> None:
        for w in self.writers:
            w.close()
        assert self.server is not None
        self.server.close()
        await self.server.wait_closed()

    async def close_idle(self) -> None:
        """Close every connection from the server's side (as an idle timeout would)."""
        for w in self.writers:
            w.close()
        await asyncio.gather(*(w.wait_closed() for w in self.writers), return_exceptions=True)
        self.writers.clear()

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self.open += 1
        self.most_open = max(self.most_open, self.open)
        self.writers.append(writer)
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, ConnectionError):
                    return
                lines = head.decode("latin-1").split("\r\n")
                path = lines[0].split(" ")[1].split("SECRET", 1)[1]
                length = 0
                for line in lines[1:]:
                    name, _, value = line.partition(":")
                    if name.lower() == "content-length":
                        length = int(value)
                body = await reader.readexactly(length)
                self.requests.append((path, body))
                if not await self.answer(path, writer):
                    return
        finally:
            self.open -= 1
            writer.close()

    async def answer(self, path: str, w: asyncio.StreamWriter) -> bool:
        """Write the answer for `path`; False to close the connection."""
        if path == "/hang":
            await asyncio.Event().wait()
        if path == "/drop":
            return False
        if path == "/garbage":
            w.write(b"NOT HTTP AT ALL\r\n\r\n")
            await w.drain()
            return True
        if path == "/slow":
            await self.release.wait()
        if path == "/extra":  # an answer, then bytes nobody asked for
            w.write(
                b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%sHTTP/1.1 408 X\r\n" % (len(OK), OK)
            )
            await w.drain()
            return True
        if path == "/nolength":
            w.write(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n" + OK)
            await w.drain()
            return False
        if path == "/chunked":
            half = len(OK) // 2
            w.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
            for part in (OK[:half], OK[half:]):
                w.write(b"%x\r\n%s\r\n" % (len(part), part))
            w.write(b"0\r\n\r\n")
            await w.drain()
            return True
        close = path == "/close"
        w.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n%s\r\n%s"
            % (len(OK), b"Connection: close\r\n" if close else b"", OK)
        )
        await w.drain()
        return not close


@pytest.fixture
async def server() -> AsyncIterator[RawServer]:
    s = await RawServer().start()
    yield s
    await s.stop()


async def ask(req: BotApiRequest, server: RawServer, path: str = "/ok") -> dict:
    return await req.post(server.url(path), read_timeout=5)


async def test_requests_reuse_one_keep_alive_connection(server: RawServer) -> None:
    req = BotApiRequest()
    for _ in range(20):
        assert await ask(req, server) == {"n": 1}
    assert server.connections == 1
    await req.shutdown()


async def test_the_pool_never_opens_more_than_its_size_and_every_request_is_answered(
    server: RawServer,
) -> None:
    req = BotApiRequest(connection_pool_size=3)
    answers = await asyncio.gather(*(ask(req, server) for _ in range(30)))
    assert answers == [{"n": 1}] * 30
    assert server.most_open <= 3 and server.connections <= 3
    assert len(server.requests) == 30
    await req.shutdown()


async def test_a_timed_out_request_closes_its_connection_and_the_next_one_works(
    server: RawServer,
) -> None:
    req = BotApiRequest(connection_pool_size=1)
    with pytest.raises(TimedOut):
        await req.post(server.url("/hang"), read_timeout=0.05)
    assert await ask(req, server) == {"n": 1}
    assert server.connections == 2, "the timed-out connection is never reused"
    await req.shutdown()


@pytest.mark.parametrize("path", ["/garbage", "/drop"])
async def test_a_broken_answer_is_a_network_error_sent_once_and_the_next_request_works(
    server: RawServer, path: str
) -> None:
    req = BotApiRequest(connection_pool_size=1)
    with pytest.raises(NetworkError) as info:
        await ask(req, server, path)
    assert not isinstance(info.value, TimedOut)
    assert "SECRET" not in str(info.value)
    assert [p for p, _ in server.requests] == [path], "never sent twice"
    assert await ask(req, server) == {"n": 1}
    await req.shutdown()


@pytest.mark.parametrize("path", ["/nolength", "/chunked", "/close", "/extra"])
async def test_unusual_but_valid_answers_parse(server: RawServer, path: str) -> None:
    req = BotApiRequest(connection_pool_size=1)
    assert await ask(req, server, path) == {"n": 1}
    assert await ask(req, server) == {"n": 1}
    if path == "/extra":
        assert server.connections == 2, "a connection with stray bytes is not reused"
    await req.shutdown()


async def test_connections_the_server_closed_while_idle_are_not_reused(server: RawServer) -> None:
    req = BotApiRequest(connection_pool_size=4)
    await asyncio.gather(*(ask(req, server) for _ in range(4)))
    await server.close_idle()
    await asyncio.sleep(0)  # let the client's transports see the close
    assert await ask(req, server) == {"n": 1}
    assert len(server.requests) == 5
    await req.shutdown()


async def test_a_request_waiting_for_a_connection_times_out_then_the_pool_still_works(
    server: RawServer,
) -> None:
    req = BotApiRequest(connection_pool_size=1)
    first = asyncio.create_task(ask(req, server, "/slow"))
    while not server.requests:
        await asyncio.sleep(0)
    with pytest.raises(TimedOut, match="Pool timeout"):
        await req.post(server.url("/ok"), pool_timeout=0.05)
    # Cancelled while waiting: its place in the queue is not kept.
    waiting = asyncio.create_task(ask(req, server))
    await asyncio.sleep(0)
    waiting.cancel()
    server.release.set()
    assert await first == {"n": 1}
    assert await ask(req, server) == {"n": 1}
    assert server.connections == 1
    with pytest.raises(asyncio.CancelledError):
        await waiting
    await req.shutdown()


async def test_shutdown_closes_every_connection(server: RawServer) -> None:
    req = BotApiRequest(connection_pool_size=4)
    await asyncio.gather(*(ask(req, server) for _ in range(4)))
    assert server.open >= 1
    await req.shutdown()
    for _ in range(100):
        if server.open == 0:
            break
        await asyncio.sleep(0)
    assert server.open == 0


async def test_tls_with_the_servers_certificate_checked() -> None:
    ca = trustme.CA()
    cert = ca.issue_cert("localhost")
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(server_ctx)
    server = await RawServer(tls=server_ctx).start()
    try:
        client_ctx = ssl.create_default_context()
        ca.configure_trust(client_ctx)
        req = BotApiRequest(ssl_context=client_ctx)
        assert await ask(req, server) == {"n": 1}
        assert await ask(req, server) == {"n": 1}
        assert server.connections == 1
        await req.shutdown()
        # Without the test CA the certificate is refused: a network error, not an answer.
        strict = BotApiRequest()
        with pytest.raises(NetworkError):
            await ask(strict, server)
        await strict.shutdown()
    finally:
        await server.stop()


async def test_a_connection_handed_to_a_request_cancelled_meanwhile_goes_back_to_the_pool(
    server: RawServer,
) -> None:
    pool = AsyncPool(1)
    origin = Origin(server.url("/ok"))
    conn = await pool.acquire(origin, 1, 1)
    conn.reusable = True  # as after a complete answer
    waiting = asyncio.create_task(pool.acquire(origin, 1, 1))
    await asyncio.sleep(0)  # it is queued for the one connection
    pool.release(conn)  # handed to it ...
    waiting.cancel()  # ... which is cancelled before it could take it
    with pytest.raises(asyncio.CancelledError):
        await waiting
    assert await pool.acquire(origin, 1, 0.05) is conn
    pool.close()
