"""Bot API answers are capped in size (bot/telegram/http.py, bot/telegram/polling.py): a server on 127.0.0.1 that
streams an endless body makes the call fail with NetworkError once the cap is passed, memory
stays bounded, and the next call works on a fresh connection."""

from __future__ import annotations

import asyncio
import tracemalloc
from collections.abc import AsyncIterator

import pytest
from telegram import Bot
from telegram.error import NetworkError

from bot.telegram.http import MAX_ANSWER, BotApiRequest
from bot.telegram.polling import MAX_UPDATES_ANSWER, PollingRequest

TOKEN = "123456789:" + "A" * 35
CHUNK = b"x" * 65536
ANSWERS = {
    b"getMe": b'{"ok":true,"result":{"id":1,"is_bot":true,"first_name":"B","username":"b"}}',
    b"getUpdates": b'{"ok":true,"result":[]}',
    b"sendMessage": b'{"ok":true,"result":{"message_id":7,"date":0,'
    b'"chat":{"id":1,"type":"private"}}}',
}


class Endless:
    """Answers getUpdates and sendMessage with a 200 whose chunked body never ends; anything
    else (and everything once `endless` is off) with a small valid answer."""

    def __init__(self) -> None:
        self.endless = True
        self.streamed = 0  # bytes of endless body written, all connections together
        self.server: asyncio.Server | None = None

    async def start(self) -> str:
        self.server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        port = self.server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        assert self.server is not None
        self.server.close()
        await self.server.wait_closed()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":")[1])
                await reader.readexactly(length)
                if not self.endless or b"/getMe " in head:
                    body = ANSWERS[head.split(b" ")[1].rsplit(b"/", 1)[1]]
                    writer.write(
                        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                        b"Content-Length: %d\r\n\r\n%s" % (len(body), body)
                    )
                    await writer.drain()
                    continue
                writer.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
                while True:  # for ever, until the client hangs up
                    writer.write(b"%x\r\n%s\r\n" % (len(CHUNK), CHUNK))
                    self.streamed += len(CHUNK)
                    await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError):
            pass  # the client hung up, or the test is over
        finally:
            writer.close()


@pytest.fixture
async def endless() -> AsyncIterator[tuple[Endless, str]]:
    server = Endless()
    url = await server.start()
    yield server, url
    await server.stop()


async def test_an_endless_answer_to_a_send_fails_cleanly_with_bounded_memory(endless):
    server, url = endless
    request = BotApiRequest(connection_pool_size=4, read_timeout=30)
    bot = Bot(TOKEN, base_url=f"{url}/bot", request=request, get_updates_request=request)
    tracemalloc.start()
    try:
        with pytest.raises(NetworkError, match="larger than 1 MB"):
            await bot.send_message(1, "hi")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 8 * MAX_ANSWER, f"peak {peak} bytes"
    assert server.streamed < 64 * MAX_ANSWER, "the connection was closed, not drained"
    server.endless = False
    sent = await bot.send_message(1, "again")  # a fresh connection works
    assert sent.message_id == 7
    await request.shutdown()


async def test_an_endless_get_updates_answer_fails_at_its_own_larger_cap(endless):
    server, url = endless
    request = PollingRequest(connection_pool_size=2, read_timeout=30)
    assert request.max_answer == MAX_UPDATES_ANSWER > MAX_ANSWER
    bot = Bot(TOKEN, base_url=f"{url}/bot", request=request, get_updates_request=request)
    with pytest.raises(NetworkError, match="larger than 16 MB"):
        await bot.get_updates(timeout=0)
    server.endless = False
    assert await bot.get_updates(timeout=0) == ()
    await request.shutdown()
