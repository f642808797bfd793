"""The pacer (bot/telegram/pacing.py) in virtual time: an event loop whose clock jumps to the next timer,
so thousands of paced sends through a simulated Bot API with network latency and jitter run in
milliseconds, and every figure below is in the loop's (virtual) seconds, never the wall clock.

The simulated server counts a send when it arrives, as Telegram does: after the request's
outbound delay, which jitters independently of the answer's way back.
"""

from __future__ import annotations

import asyncio
import math
import random
import selectors
from collections.abc import Coroutine
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from telegram.error import RetryAfter

from bot.preview.double import Rules
from bot.telegram import pace_parts, pacing
from bot.telegram.pace_parts import BACKOFF, CREEP
from bot.telegram.pacing import Pacer, estimate
from tests.conftest import close_harness, make_harness
from tests.fakes.botapi import FakeBotApi
from tests.test_delivery import officer_broadcast

BULK = {"lane": "bulk"}


# ---------------------------------------------------------------- a virtual-time event loop


class _JumpingSelector(selectors.DefaultSelector):
    """select(timeout) does not block: it moves the clock on by the timeout."""

    def __init__(self, clock: list[float]) -> None:
        super().__init__()
        self.clock = clock

    def select(self, timeout: float | None = None) -> list[Any]:
        if timeout is None:
            raise RuntimeError("deadlock: every task waits and no timer is due")
        self.clock[0] += max(timeout, 0.0)
        return super().select(0)


class VirtualLoop(asyncio.SelectorEventLoop):
    def __init__(self) -> None:
        self.clock = [0.0]
        super().__init__(_JumpingSelector(self.clock))

    def time(self) -> float:
        return self.clock[0]


def run(coro: Coroutine[Any, Any, Any]) -> Any:
    loop = VirtualLoop()
    try:
        return loop.run_until_complete(coro)
    finally:
        loop.close()


def pacer(**kw: Any) -> Pacer:
    loop = asyncio.get_running_loop()
    return Pacer(clock=loop.time, sleep=asyncio.sleep, **kw)


# ---------------------------------------------------------------- a simulated Bot API


class Server:
    """Counts each send at its arrival; answers after the way back. `refuse` decides a 429."""

    def __init__(self, seed: int = 1, base: float = 0.010, jitter: float = 0.030) -> None:
        self.random = random.Random(seed)
        self.base = base  # each way's fixed part
        self.jitter = jitter  # each way's random part: 0..jitter
        self.arrivals: list[tuple[float, int | None, dict[str, Any]]] = []
        self.refuse: set[int] = set()  # indices of sends to answer with 429
        self.retry_after = 1

    def way(self) -> float:
        return self.base + self.random.uniform(0, self.jitter)

    def send(self, data: dict[str, Any]) -> Any:
        async def call() -> dict[str, Any]:
            loop = asyncio.get_running_loop()
            await asyncio.sleep(self.way())
            index = len(self.arrivals)
            self.arrivals.append((loop.time(), data.get("chat_id"), dict(data)))
            await asyncio.sleep(self.way())
            if index in self.refuse:
                raise RetryAfter(timedelta(seconds=self.retry_after))
            return {"message_id": index}

        return call

    def times(self) -> list[float]:
        return [t for t, _, _ in self.arrivals]


def max_in_window(times: list[float], span: float = 1.0) -> int:
    times = sorted(times)
    best = lo = 0
    for hi, t in enumerate(times):
        while t - times[lo] >= span:
            lo += 1
        best = max(best, hi - lo + 1)
    return best


async def bulk_send(p: Pacer, server: Server, chat_id: int) -> None:
    """What bot.delivery does for one row: take a slot, then send in the bulk lane."""
    while True:
        await p.acquire(chat_id)
        data = {"chat_id": chat_id, "text": "x"}
        try:
            await p.process_request(server.send(data), (), {}, "sendMessage", data, BULK)
            return
        except RetryAfter as exc:
            p.pause(pace_parts.retry_after(exc))


async def reply(p: Pacer, server: Server, chat_id: int) -> float:
    """A reply to a resident; returns when its answer came back."""
    data = {"chat_id": chat_id, "text": "hi"}
    await p.process_request(server.send(data), (), {}, "sendMessage", data, None)
    return asyncio.get_running_loop().time()


async def broadcast(p: Pacer, server: Server, chats: range, in_flight: int = 8) -> None:
    """Bounded concurrency, like Delivery's window of sends in flight."""
    queue = iter(chats)

    async def worker() -> None:
        for chat in queue:
            await bulk_send(p, server, chat)

    await asyncio.gather(*(worker() for _ in range(in_flight)))


# ---------------------------------------------------------------- the window


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_no_sliding_second_at_the_server_holds_more_than_the_budget(seed: int) -> None:
    """Jittered latency in both directions, replies at random moments: counted at arrival,
    never more than 30 in any second; and the budget is used, not wasted."""

    async def main() -> tuple[list[float], float]:
        p = pacer(rate=30)
        server = Server(seed, base=0.010, jitter=0.030)
        rnd = random.Random(seed)

        async def residents() -> None:
            for i in range(300):
                await asyncio.sleep(rnd.expovariate(5.0))  # about 5 replies a second
                asyncio.ensure_future(reply(p, server, 5_000_000 + i))

        loop = asyncio.get_running_loop()
        t0 = loop.time()
        await asyncio.gather(broadcast(p, server, range(10_000_000, 10_002_000)), residents())
        return server.times(), loop.time() - t0

    times, elapsed = run(main())
    assert max_in_window(times) <= 30
    rate = len(times) / elapsed
    assert rate >= 28.5, f"{rate:.2f} sends per (virtual) second"


def test_without_the_start_to_answer_window_jitter_overfills_a_second() -> None:
    """The control: the same traffic paced only at its start (the old limiter's rule) breaks
    the server's limit, so the test above can fail."""

    async def main() -> list[float]:
        server = Server(1, base=0.010, jitter=0.030)
        tasks = []
        for chat in range(2000):  # exactly 30 starts in every second
            tasks.append(asyncio.ensure_future(server.send({"chat_id": chat})()))
            await asyncio.sleep(1 / 30)
        await asyncio.gather(*tasks)
        return server.times()

    assert max_in_window(run(main())) > 30


def test_per_chat_sends_are_a_second_apart_at_the_server() -> None:
    async def main() -> list[float]:
        p = pacer(rate=30)
        server = Server(4, base=0.010, jitter=0.030)
        for _ in range(5):
            await bulk_send(p, server, 42)
        return server.times()

    times = run(main())
    assert all(b - a >= 1.0 for a, b in zip(times, times[1:], strict=False))


def test_replies_to_one_chat_may_burst_then_keep_to_one_a_second() -> None:
    async def main() -> list[float]:
        p = pacer(rate=30, reply_chat_burst=3)
        server = Server(5, base=0.0, jitter=0.0)
        return [await reply(p, server, 7) for _ in range(5)]

    granted = run(main())
    assert granted[2] - granted[0] < 0.01, "a handler's three messages go at once"
    assert granted[3] - granted[0] >= 0.99 and granted[4] - granted[3] >= 0.99


# ---------------------------------------------------------------- 429: AIMD and retry_after


def test_a_429_pauses_the_bulk_lane_exactly_as_long_as_asked_then_resumes_one_by_one() -> None:
    async def main() -> tuple[Pacer, Server]:
        p = pacer(rate=30)
        server = Server(6, base=0.015, jitter=0.0)
        server.refuse = {100}
        server.retry_after = 3
        await broadcast(p, server, range(10_000_000, 10_000_300))
        return p, server

    p, server = run(main())
    times = server.times()
    refused_at = times[100]
    answered = refused_at + 0.015  # the 429's answer reached the bot here
    after = [t for t in times if t > refused_at + 0.5]
    # No send left the bot before answer + 3 s; the first arrives one way later.
    assert after[0] >= answered + 3.0 + 0.015 - 1e-9
    assert after[0] <= answered + 3.0 + 0.015 + 0.05, "not held longer than asked"
    first_second = [t for t in after if t < after[0] + 1.0]
    assert len(first_second) <= 30 * 1.0 + pacing.BULK_BURST, "no thundering herd"
    together = [t for t in after if t < after[0] + 0.005]
    assert len(together) <= pacing.BULK_BURST, "at most a small burst, then spaced"
    assert sorted(c for _, c, _ in server.arrivals[101:]) == list(range(10_000_100, 10_000_300))
    assert p.floods == 1 and p.flood_pauses == 1


def test_aimd_cuts_the_budget_on_a_429_and_creeps_back_while_clean() -> None:
    async def main() -> tuple[float, float, float, float]:
        p = pacer(rate=30)
        server = Server(7, base=0.015, jitter=0.0)
        server.refuse = {50}
        loop = asyncio.get_running_loop()
        await broadcast(p, server, range(10_000_000, 10_000_051))
        cut = p.fraction
        t_cut = loop.time()
        await broadcast(p, server, range(10_001_000, 10_001_100))
        mid, t_mid = p.fraction, loop.time()
        await broadcast(p, server, range(10_002_000, 10_002_600))
        return cut, mid, t_mid - t_cut, p.fraction

    cut, mid, clean_seconds, end = run(main())
    assert cut == pytest.approx(BACKOFF, abs=0.002)
    assert mid == pytest.approx(min(1.0, BACKOFF + CREEP * clean_seconds), abs=0.01)
    assert cut < mid < 1.0
    assert end == 1.0


def test_a_reply_refused_with_429_is_retried_after_the_wait_not_lost() -> None:
    async def main() -> tuple[list[float], float, Pacer]:
        p = pacer(rate=30)
        server = Server(8, base=0.0, jitter=0.0)
        server.refuse = {0}
        server.retry_after = 2
        await reply(p, server, 9)
        return server.times(), asyncio.get_running_loop().time(), p

    times, done, p = run(main())
    assert len(times) == 2, "refused once, then delivered"
    assert times[1] - times[0] == pytest.approx(2.0)
    assert p.fraction == pytest.approx(BACKOFF)


# ---------------------------------------------------------------- replies first


def test_replies_go_ahead_of_waiting_bulk_sends_and_are_never_starved() -> None:
    async def main() -> tuple[list[float], Server]:
        p = pacer(rate=30)
        server = Server(9, base=0.015, jitter=0.010)
        waits: list[float] = []
        loop = asyncio.get_running_loop()

        async def residents() -> None:
            await asyncio.sleep(2.0)  # the broadcast has filled the budget
            for i in range(40):
                await asyncio.sleep(0.1)  # 10 replies a second
                t = loop.time()
                await reply(p, server, 5_000_000 + i)
                waits.append(loop.time() - t)

        await asyncio.gather(broadcast(p, server, range(10_000_000, 10_000_400)), residents())
        return waits, server

    waits, server = run(main())
    assert max(waits) < 0.25, "a reply waits at most for the next slot and its round trip"
    times = server.times()
    assert max_in_window(times) <= 30
    during = [c for t, c, _ in server.arrivals if 2.0 <= t <= 6.0]
    assert sum(c >= 10_000_000 for c in during) > 0, "bulk still moves beside 10 replies/s"


def test_a_burst_of_replies_fills_the_budget_and_bulk_waits_for_it() -> None:
    async def main() -> tuple[float, float]:
        p = pacer(rate=30)
        server = Server(10, base=0.0, jitter=0.0)
        loop = asyncio.get_running_loop()
        await asyncio.gather(*(reply(p, server, i) for i in range(30)))
        assert loop.time() == 0.0, "thirty replies at once: none waits"
        await p.acquire(99)
        first = loop.time()
        await p.acquire(99)  # the same chat again
        return first, loop.time()

    first, second = run(main())
    assert first >= 1.0
    assert second >= first + 1.0


# ---------------------------------------------------------------- paid broadcasts


def test_paid_broadcasts_carry_the_flag_and_go_past_thirty_a_second() -> None:
    async def main() -> tuple[list[tuple[float, Any, dict[str, Any]]], float]:
        p = pacer(rate=30, paid=True, paid_rate=1000)
        server = Server(11, base=0.010, jitter=0.010)
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        await broadcast(p, server, range(10_000_000, 10_005_000), in_flight=64)
        return server.arrivals, loop.time() - t0

    arrivals, elapsed = run(main())
    assert all(d.get("allow_paid_broadcast") is True for _, _, d in arrivals)
    assert max_in_window([t for t, _, _ in arrivals]) <= 1000
    assert len(arrivals) / elapsed > 900


def test_paid_mode_keeps_replies_within_the_free_limit() -> None:
    async def main() -> list[tuple[float, Any, dict[str, Any]]]:
        p = pacer(rate=30, paid=True, paid_rate=1000)
        server = Server(12, base=0.010, jitter=0.010)

        async def residents() -> None:
            await asyncio.sleep(0.5)
            await asyncio.gather(*(reply(p, server, 5_000_000 + i) for i in range(90)))

        await asyncio.gather(broadcast(p, server, range(10_000_000, 10_003_000), 64), residents())
        return server.arrivals

    arrivals = run(main())
    replies = [t for t, c, d in arrivals if c < 10_000_000]
    assert not any("allow_paid_broadcast" in d for t, c, d in arrivals if c < 10_000_000)
    assert max_in_window(replies) <= 30, "replies are not paid: the free limit holds for them"
    assert max_in_window([t for t, _, _ in arrivals]) <= 1000


def test_outside_a_broadcast_replies_are_never_held() -> None:
    """Telegram's 30/s limits bulk notifications: a rush of residents is answered at once."""

    async def main() -> float:
        p = pacer(rate=30)
        server = Server(13, base=0.0, jitter=0.0)
        await asyncio.gather(*(reply(p, server, 5_000_000 + i) for i in range(200)))
        return asyncio.get_running_loop().time()

    assert run(main()) == 0.0


def test_the_officers_preview_estimates_duration_and_stars() -> None:
    free = estimate(20_000, rate=30)
    assert free.stars == 0 and free.billed_messages == 0
    assert 11 * 60 <= free.seconds <= 12 * 60  # ~11 minutes at 30/s
    paid = estimate(10_000, paid=True, paid_rate=1000)
    assert 10 <= paid.seconds <= 11
    # Telegram bills what goes above its free 30/s: 0.1 Star for each of those messages.
    assert paid.billed_messages == 10_000 - math.floor(30 * paid.seconds)
    assert paid.stars == pytest.approx(paid.billed_messages * 0.1, abs=0.05)
    assert paid.stars_at_most == 1000.0
    assert estimate(0, paid=True).stars == 0


# ---------------------------------------------------------------- inside the real bot


async def test_the_pacer_sends_a_real_broadcast_through_delivery_without_a_429(
    tmp_path: Path, content: Any
) -> None:
    """The bot's own rate limiter is the Pacer, shared with delivery, against the double with
    Telegram's rate rule on, in the sender's virtual time."""
    api = FakeBotApi(Rules(limits=True, html=True, keyboards=True, rate=True))
    h = await make_harness(tmp_path, content, api=api, config_extra="broadcast:\n  quiet_hours: ''")
    delivery = h.services.delivery
    assert isinstance(delivery.limiter, Pacer) and delivery.paced_by_bot
    delivery.use_virtual_time()
    api.set_clock(delivery.limiter.clock)  # the double's rate rule on the same virtual clock
    ts = h.clock.now().isoformat(timespec="seconds")
    chats = list(range(1000, 1200))
    async with h.db.transaction() as tx:
        await tx.executemany(
            "INSERT INTO residents (chat_id, nag_id, consent, active, created_at, updated_at)"
            " VALUES (?, 'fishermead', 1, 1, ?, ?)",
            [(c, ts, ts) for c in chats],
        )
    await officer_broadcast(h)
    await delivery.run_due()
    delivered = sorted(
        c.chat_id for c in api.sent("sendMessage") if c.text == "Road closed tonight"
    )
    assert delivered == chats, "each once, none refused"
    assert delivery.limiter.floods == 0
    await close_harness(h)
