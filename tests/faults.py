"""Fault injection for the delivery tests and the fault benchmark, all in virtual time.

* `VirtualTime` runs the sender's waits on its limiter's virtual clock and calls hooks after
  every wait, so a fault can open and close at given (virtual) seconds.
* `FaultyRequest` is the fake Bot API transport that can also fail like a network: a connection
  reset (NetworkError) or a connect timeout (TimedOut) before the request reaches the fake, a
  request that hangs until the client's read timeout and is lost, or one the fake answered but
  whose answer never comes back (the at-least-once case: Telegram has the message).
* `DbOutage` makes the bot's real SQLite database refuse writes for a span of virtual time:
  locked (a second connection holds the write lock: SQLITE_BUSY), read-only (the connection's
  `query_only`: SQLITE_READONLY) or full (`max_page_count` pinned to the current size:
  SQLITE_FULL). Each is SQLite's own error path, not an imitation of it.
"""

from __future__ import annotations

import asyncio
import random
import re
import sqlite3
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from telegram.error import NetworkError, TimedOut
from telegram.request import RequestData

from bot.app import build_application, make_services, startup
from bot.content import Content
from bot.delivery import Delivery, RunStats
from bot.domain.broadcasts import fingerprint
from bot.plumbing.clock import FixedClock
from bot.plumbing.config import load_config
from storage.model import Audience, AudienceKind, BroadcastKind, BroadcastSpec
from tests.conftest import ADMIN_ID, LONDON, OFFICER_ID, Harness, close_harness, write_config
from tests.fakes.botapi import Failure, FakeBotApi, FakeRequest, Responder

NO_QUIET = "broadcast:\n  quiet_hours: ''"
TEXT = "Road closed tonight"
Hook = Callable[[float], Awaitable[None]]


class VirtualTime:
    """The sender's clock and sleep, virtual; hooks run after every wait with the new time."""

    def __init__(self, delivery: Delivery) -> None:
        delivery.use_virtual_time()
        self.clock = delivery.limiter.clock
        self.hooks: list[Hook] = []
        self.sleeps = 0
        base = delivery.limiter.sleep

        async def sleep(delay: float) -> None:
            self.sleeps += 1
            await base(delay)
            for hook in list(self.hooks):
                await hook(self.clock())

        self.sleep = sleep
        delivery.limiter.sleep = sleep
        delivery.sleep = sleep

    def now(self) -> float:
        return self.clock()


# A fault for one request: None (answer normally) or one of these.
RESET = "reset"  # connection reset before the request got through
CONNECT_TIMEOUT = "connect-timeout"  # never connected
HANG = "hang"  # sent, no answer until the read timeout; the server never saw it
LOST_ANSWER = "lost-answer"  # the server handled it; the answer never came back
Plan = Callable[[str, dict[str, Any]], str | None]


class FaultyRequest(FakeRequest):
    """The in-process fake transport, failing requests the way a network does."""

    def __init__(self, api: FakeBotApi) -> None:
        super().__init__(api)
        self.plan: Plan | None = None
        self.time: VirtualTime | None = None
        self.faults: Counter[str] = Counter()
        self.lost_answers: list[int] = []  # chats whose message arrived but whose answer was lost

    async def _wait_read_timeout(self) -> None:
        assert self.time is not None, "hangs need virtual time"
        await self.time.sleep(self.read_timeout or 1.0)

    async def do_request(
        self, url: str, method: str, request_data: RequestData | None = None, **kw: Any
    ) -> tuple[int, bytes]:
        api_method = url.rsplit("/", 1)[-1]
        params = dict(request_data.parameters) if request_data else {}
        fault = self.plan(api_method, params) if self.plan else None
        if fault:
            self.faults[fault] += 1
        if fault == RESET:
            raise NetworkError("aiohttp.ClientOSError")  # what bot.telegram.http raises on a reset
        if fault == CONNECT_TIMEOUT:
            raise TimedOut("Timed out talking to the Bot API")
        if fault == HANG:
            await self._wait_read_timeout()
            raise TimedOut("Timed out talking to the Bot API")
        result = await super().do_request(url, method, request_data, **kw)
        if fault == LOST_ANSWER:
            if result[0] == 200:
                self.lost_answers.append(int(params.get("chat_id", 0)))
            await self._wait_read_timeout()
            raise TimedOut("Timed out talking to the Bot API")
        return result


class DbOutage:
    """The bot's database refuses writes from `start` for `duration` virtual seconds."""

    KINDS = ("locked", "read-only", "full")

    def __init__(self, h: Harness, kind: str, start: float, duration: float) -> None:
        assert kind in self.KINDS
        self.h = h
        self.duration = duration
        self.kind = kind
        self.start = start
        self.end = start + duration
        self.state = "waiting"  # -> "on" -> "over"
        self._other: sqlite3.Connection | None = None
        self.opened_at: float | None = None
        self.closed_at: float | None = None
        # What the sender did while the database was unavailable: its counters and the
        # process CPU time, taken when the outage began and when it ended.
        self.stats_on: RunStats | None = None
        self.stats_off: RunStats | None = None
        self.cpu_on = 0.0
        self.cpu_off = 0.0

    async def tick(self, now: float) -> None:
        stats = self.h.services.delivery.stats
        if self.state == "waiting" and now >= self.start:
            self.state = "on"
            self.opened_at = now
            self.stats_on, self.cpu_on = replace(stats), time.process_time()
            await self._apply(True)
        elif self.state == "on" and now >= self.end:
            self.state = "over"
            self.closed_at = now
            self.stats_off, self.cpu_off = replace(stats), time.process_time()
            await self._apply(False)

    def during(self, name: str) -> int:
        """How much a RunStats counter grew while the database was unavailable."""
        assert self.stats_on is not None and self.stats_off is not None
        return getattr(self.stats_off, name) - getattr(self.stats_on, name)

    @property
    def cpu(self) -> float:
        """Process CPU seconds spent while the database was unavailable."""
        return self.cpu_off - self.cpu_on

    async def _apply(self, on: bool) -> None:
        db = self.h.db
        if self.kind == "locked":
            if on:
                # Another program takes the write lock (in a thread: it may have to wait for a
                # transaction of ours to finish, which needs the event loop).
                other = sqlite3.connect(db.path, isolation_level=None, check_same_thread=False)
                await asyncio.to_thread(other.execute, "BEGIN IMMEDIATE")
                self._other = other
            elif self._other is not None:
                self._other.execute("COMMIT")
                self._other.close()
                self._other = None
        elif self.kind == "read-only":
            await db.execute(f"PRAGMA query_only = {int(on)}")
        elif on:
            pages = (await db.fetchone("PRAGMA page_count"))[0]
            await db.execute(f"PRAGMA max_page_count = {pages}")
        else:
            await db.execute("PRAGMA max_page_count = 1073741823")

    async def release(self) -> None:
        """End the outage now (test clean-up)."""
        if self.state == "on":
            self.state = "over"
            await self._apply(False)


async def fault_harness(
    tmp_path: Path,
    content: Content,
    *,
    api: FakeBotApi | None = None,
    extra: str = NO_QUIET,
    busy_ms: int = 10,
) -> tuple[Harness, FaultyRequest, VirtualTime]:
    """make_harness with the faulty transport, virtual time and short lock waits.

    The busy timeouts are real time inside SQLite: they are shortened so that a test with a
    locked database spends milliseconds, not seconds, per refused statement.
    """
    cfg = load_config(write_config(tmp_path, extra), env={})
    clock = FixedClock(datetime(2026, 11, 23, 12, 0, tzinfo=LONDON))
    api = api or FakeBotApi()
    services = make_services(cfg, content, clock)
    request = FaultyRequest(api)
    app = build_application(services, request=request, updates_request=FakeRequest(api))
    h = Harness(app, api, services, clock)

    async def record(update: object, context: Any) -> None:
        h.errors.append(context.error)

    app.add_error_handler(record)
    await app.initialize()
    services.db.busy_ms = busy_ms
    await services.db.open()
    await startup(app)
    delivery = services.delivery
    delivery.db_busy_ms = busy_ms
    vt = VirtualTime(delivery)
    request.time = vt
    return h, request, vt


async def add_residents(h: Harness, ids: range | list[int], consent: int = 1) -> list[int]:
    ids = list(ids)
    ts = h.clock.now().isoformat(timespec="seconds")
    async with h.db.transaction() as tx:
        await tx.executemany(
            "INSERT INTO residents (chat_id, nag_id, consent, active, remind_meetings,"
            " created_at, updated_at) VALUES (?, 'fishermead', ?, 1, 0, ?, ?)",
            [(i, consent, ts, ts) for i in ids],
        )
    return ids


async def officer_broadcast(h: Harness, text: str = TEXT) -> int:
    spec = BroadcastSpec(
        kind=BroadcastKind.OFFICER,
        text=text,
        audience=Audience(AudienceKind.ALL),
        send_at=h.clock.now(),
        created_by=OFFICER_ID,
        fingerprint=fingerprint(text),
    )
    bid, _ = await h.services.broadcasts.create(spec, h.clock.now())
    return bid


def delivered(api: FakeBotApi, text: str = TEXT) -> Counter[int]:
    """How many times each chat received `text` (requests the fake accepted)."""
    return Counter(c.chat_id for c in api.calls if c.method == "sendMessage" and c.text == text)


def accepted(api: FakeBotApi) -> Counter[int]:
    """Successful sends per resident's chat (the fake records only those in send_times); the
    officers' chats are left out (notices and admin alerts go there)."""
    return Counter(chat for _, chat in api.send_times if chat not in (OFFICER_ID, ADMIN_ID))


async def outbox_counts(h: Harness, bid: int) -> dict[str, int]:
    return await h.services.broadcasts.progress(bid)


async def report_counts(h: Harness, bid: int) -> dict[str, int]:
    """The officer's /report, read back as numbers (delivery figures come rounded to a
    multiple of k, "≈40": bot/services/audiences.py)."""
    calls = await h.send(OFFICER_ID, f"/report {bid}")
    # the report itself: a delivery notice to the officer may go out in the same moment
    text = next((c.text for c in reversed(calls) if c.text and "Sent:" in c.text), calls[-1].text)
    out = {}
    for label, key in (("Sent", "sent"), ("Remaining", "remaining"), ("Failed", "failed")):
        m = re.search(rf"{label}: ≈?([\d,]+)", text)
        assert m, f"/report has no '{label}' line"
        out[key] = int(m.group(1).replace(",", ""))
    return out


# ---------------------------------------------------------------- Bot API fault plans


def flood_storm(first: int, retry_afters: list[int]) -> Responder:
    """From the `first`-th send on, one 429 per request with a growing retry_after."""
    seen = [0]
    left = list(retry_afters)

    def responder(method: str, params: dict[str, Any]) -> Failure | None:
        if method != "sendMessage":
            return None
        seen[0] += 1
        if seen[0] >= first and left:
            wait = left.pop(0)
            return Failure(429, f"Too Many Requests: retry after {wait}", retry_after=wait)
        return None

    return responder


def server_outages(windows: list[tuple[float, float]], clock: Callable[[], float]) -> Responder:
    """5xx answers (502, 503, 504 in turn) to every send while the sender's virtual clock is
    inside one of the (start, end) windows, in seconds. An outage lasts a time, not a number of
    requests: counted in requests, whether one message met five errors in a row depended on the
    order the tasks happened to run in (it did, once in a clean-clone CI run)."""
    seen = [0]
    codes = [(502, "Bad Gateway"), (503, "Service Unavailable"), (504, "Gateway Timeout")]

    def responder(method: str, params: dict[str, Any]) -> Failure | None:
        if method != "sendMessage":
            return None
        now = clock()
        if any(a <= now < b for a, b in windows):
            seen[0] += 1
            return Failure(*codes[seen[0] % 3])
        return None

    return responder


def network_faults(kind: str, share: float, seed: int) -> Plan:
    """About `share` of broadcast sends meet network fault `kind` (seeded)."""
    rng = random.Random(seed)

    def plan(method: str, params: dict[str, Any]) -> str | None:
        if method == "sendMessage" and rng.random() < share:
            return kind
        return None

    return plan


# ---------------------------------------------------------------- one scenario


@dataclass
class ScenarioResult:
    """What one fault scenario did, for the tests' assertions and the fault benchmark."""

    name: str
    chats: list[int]
    received: Counter[int]  # messages each resident's chat received (accepted by the fake)
    lost_answers: list[int]  # chats whose message arrived but whose answer was lost
    progress: dict[str, int]  # outbox rows per status
    status: str  # the broadcast's status at the end
    report: dict[str, int]  # the officer's /report, as numbers
    stats: RunStats
    window: int
    virtual_seconds: float
    faults: Counter[str] = field(default_factory=Counter)  # network faults injected
    error_answers: int = 0  # requests the fake answered with an error (429, 5xx)
    outage: DbOutage | None = None

    @property
    def missed(self) -> list[int]:
        return [c for c in self.chats if self.received[c] == 0]

    @property
    def duplicates(self) -> int:
        return sum(n - 1 for n in self.received.values() if n > 1)


async def run_scenario(
    tmp_path: Path,
    content: Content,
    name: str,
    *,
    residents: int = 200,
    db: tuple[str, float, float] | None = None,
    responder: Responder | None = None,
    outages: list[tuple[float, float]] | None = None,
    plan: Plan | None = None,
) -> ScenarioResult:
    """One broadcast to `residents` consenting residents (plus 10 who did not consent) under the
    given faults: `db` = (kind, start, duration) in virtual seconds; `responder` for Bot API
    error answers; `outages` for 5xx windows in virtual seconds; `plan` for network faults."""
    h, request, vt = await fault_harness(tmp_path, content)
    chats = await add_residents(h, range(1000, 1000 + residents))
    await add_residents(h, range(900, 910), consent=0)
    bid = await officer_broadcast(h)
    outage = None
    if db is not None:
        outage = DbOutage(h, *db)
        vt.hooks.append(outage.tick)
    h.api.responder = responder if outages is None else server_outages(outages, vt.now)
    request.plan = plan
    delivery = h.services.delivery
    try:
        async with asyncio.timeout(60):  # a hang detector (real seconds), not a measurement
            await delivery.run_due()
    finally:
        if outage is not None:
            await outage.release()
    h.api.responder = None
    request.plan = None
    received = Counter({c: n for c, n in accepted(h.api).items() if c >= 900})
    seen = sum(1 for c in h.api.calls if c.method == "sendMessage" and (c.chat_id or 0) >= 900)
    out = ScenarioResult(
        name=name,
        chats=chats,
        received=received,
        lost_answers=list(request.lost_answers),
        progress=await h.services.broadcasts.progress(bid),
        status=(await h.services.broadcasts.get(bid)).status,
        report=await report_counts(h, bid),
        stats=replace(delivery.stats),
        window=delivery.window,
        virtual_seconds=vt.now(),
        faults=request.faults,
        error_answers=seen - sum(received.values()),
        outage=outage,
    )
    await close_harness(h)
    return out
