"""getUpdates read ahead (bot/telegram/http.py: PollingRequest) against the Bot API double over HTTP on
127.0.0.1: a full batch makes the next one be fetched at once and handed to the next call;
never two getUpdates at a time; nothing acknowledged while the Updater is stopping; and a real
Application stopped in the middle of a stream and started again handles every update once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from telegram import Bot, Update
from telegram.error import NetworkError
from telegram.ext import ApplicationBuilder, ContextTypes, TypeHandler

from bot.preview.double import BotApiDouble
from bot.preview.transport import BotApiServer
from bot.telegram.http import BotApiRequest
from bot.telegram.polling import PollingRequest
from tests import builders as b

TOKEN = "123456789:" + "P" * 35


class Recorded:
    """Every getUpdates the double answered: (offset, timeout), and the most at once."""

    def __init__(self, api: BotApiDouble) -> None:
        self.calls: list[tuple[int, float]] = []
        self.in_flight = 0
        self.most_in_flight = 0
        self.arrived = asyncio.Event()
        self.fail_once: set[int] = set()  # offsets answered 500 the first time
        inner: Callable[[dict[str, Any]], Awaitable[dict[str, Any]]] = api.get_updates

        async def get_updates(params: dict[str, Any]) -> dict[str, Any]:
            self.calls.append((int(params.get("offset") or 0), float(params.get("timeout") or 0)))
            self.arrived.set()
            offset = int(params.get("offset") or 0)
            if offset in self.fail_once:
                self.fail_once.discard(offset)
                raise RuntimeError("the double answers 500")
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
            try:
                return await inner(params)
            finally:
                self.in_flight -= 1

        api.get_updates = get_updates  # type: ignore[method-assign]

    async def next_call(self) -> None:
        self.arrived.clear()
        await asyncio.wait_for(self.arrived.wait(), 5)


@pytest.fixture
async def server() -> AsyncIterator[BotApiServer]:
    s = await BotApiServer(BotApiDouble()).start()
    yield s
    await s.stop()


def push(server: BotApiServer, n: int, chats: int = 10) -> None:
    for i in range(n):
        server.push(b.text_update(1000 + i % chats, f"message {i}"))


async def settle() -> None:
    """Let every task that is ready run (no timed waits)."""
    for _ in range(50):
        await asyncio.sleep(0)


def polling_bot(server: BotApiServer) -> tuple[Bot, PollingRequest]:
    polling = PollingRequest()
    bot = Bot(
        TOKEN, base_url=f"{server.url}/bot", request=BotApiRequest(), get_updates_request=polling
    )
    return bot, polling


def ids(updates: tuple[Update, ...]) -> list[int]:
    return [u.update_id for u in updates]


async def test_a_full_batch_is_followed_by_the_next_one_at_once_and_handed_over(
    server: BotApiServer,
) -> None:
    seen = Recorded(server.api)
    push(server, 250)
    bot, polling = polling_bot(server)
    first = await bot.get_updates(offset=0, timeout=0)
    assert ids(first) == list(range(1, 101))
    await seen.next_call()  # the read-ahead, asking for what follows
    assert seen.calls == [(0, 0), (101, 0)]
    second = await bot.get_updates(offset=101, timeout=0)
    assert ids(second) == list(range(101, 201))
    await seen.next_call()
    third = await bot.get_updates(offset=201, timeout=0)
    assert ids(third) == list(range(201, 251))
    await settle()
    assert seen.calls == [(0, 0), (101, 0), (201, 0)], "a short batch: no read-ahead"
    assert await bot.get_updates(offset=251, timeout=0) == ()
    assert seen.calls[-1] == (251, 0)
    assert seen.most_in_flight == 1
    assert server.delivered_up_to == 250
    await polling.shutdown()


async def test_a_different_call_cancels_the_read_ahead_and_is_answered_itself(
    server: BotApiServer,
) -> None:
    seen = Recorded(server.api)
    push(server, 150)
    bot, polling = polling_bot(server)
    await bot.get_updates(offset=0, timeout=0)
    # Asked with another timeout before the read-ahead came back: it is dropped, not reused.
    again = await bot.get_updates(offset=101, timeout=1)
    assert ids(again) == list(range(101, 151))
    assert seen.calls[-1] == (101, 1)
    await polling.shutdown()


async def test_a_failed_read_ahead_is_the_next_calls_failure_and_the_call_after_it_works(
    server: BotApiServer,
) -> None:
    seen = Recorded(server.api)
    seen.fail_once.add(101)
    push(server, 150)
    bot, polling = polling_bot(server)
    await bot.get_updates(offset=0, timeout=0)
    await seen.next_call()
    with pytest.raises(NetworkError):
        await bot.get_updates(offset=101, timeout=0)
    assert ids(await bot.get_updates(offset=101, timeout=0)) == list(range(101, 151))
    assert [c[0] for c in seen.calls] == [0, 101, 101]
    await polling.shutdown()


async def test_nothing_is_read_ahead_or_acknowledged_while_the_updater_is_stopping(
    server: BotApiServer,
) -> None:
    seen = Recorded(server.api)
    push(server, 150)
    bot, polling = polling_bot(server)
    polling.polling = lambda: False
    assert len(await bot.get_updates(offset=0, timeout=0)) == 100
    await settle()
    assert seen.calls == [(0, 0)]
    assert server.delivered_up_to == 0, "the batch is still unconfirmed: Telegram would resend it"
    assert ids(await bot.get_updates(offset=101, timeout=0)) == list(range(101, 151))
    await polling.shutdown()


async def test_an_application_stopped_mid_stream_and_started_again_handles_every_update_once(
    server: BotApiServer,
) -> None:
    push(server, 450, chats=30)
    handled: list[int] = []

    async def run_until(enough: Callable[[], bool]) -> None:
        polling = PollingRequest(read_timeout=5)
        app = (
            ApplicationBuilder()
            .token(TOKEN)
            .base_url(f"{server.url}/bot")
            .request(BotApiRequest())
            .get_updates_request(polling)
            .build()
        )
        polling.polling = lambda: app.updater is not None and app.updater.running
        stopped = asyncio.Event()

        async def note(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
            handled.append(update.update_id)
            if enough():
                stopped.set()

        app.add_handler(TypeHandler(Update, note))
        await app.initialize()
        await app.updater.start_polling(timeout=1)  # type: ignore[union-attr]
        await app.start()
        await asyncio.wait_for(stopped.wait(), 30)
        await app.updater.stop()  # type: ignore[union-attr]
        await app.stop()
        await app.shutdown()

    # Stopped while read-aheads are in flight (after 150 of 450), then run to the end.
    await run_until(lambda: len(handled) >= 150)
    assert len(handled) < 450
    await run_until(lambda: len(set(handled)) >= 450)
    assert sorted(set(handled)) == list(range(1, 451)), "none lost"
    assert len(handled) == len(set(handled)), "none handled twice"
    assert server.delivered_up_to == 450
