"""Last-seen days noted in memory and written in one transaction by the minute's job (and when
the database closes): shown at once, never lost to a refused flush, and retention reads them."""

from __future__ import annotations

import sqlite3

from bot.handlers.retention import flush_seen, purge_expired
from storage.db import Database
from tests.conftest import Harness, close_harness, make_harness
from tests.test_mydata import json_of

CHAT, OTHER = 424242, 434343
SEEN = "SELECT chat_id, last_seen FROM residents ORDER BY chat_id"


async def two_residents_seen_the_next_day(h: Harness) -> None:
    await h.send(CHAT, "/start nag_fishermead")
    await h.send(OTHER, "/start nag_olney")
    h.clock.advance(days=1)
    await h.send(CHAT, "/nag")
    await h.send(OTHER, "/nag")


async def test_the_minute_job_writes_every_noted_day_in_one_go(harness: Harness):
    h = harness
    await two_residents_seen_the_next_day(h)
    assert [r["last_seen"] for r in await h.rows(SEEN)] == ["2026-11-23"] * 2, "not yet"
    # The bot shows the noted day at once (its own reads see it).
    await h.send(CHAT, "/mydata")
    assert (await json_of(h, CHAT))["you"]["last_used_day"] == "2026-11-24"
    (job,) = h.app.job_queue.get_jobs_by_name("retention:seen")
    await job.run(h.app)
    assert [r["last_seen"] for r in await h.rows(SEEN)] == ["2026-11-24"] * 2
    assert await flush_seen(h.services) == 0, "nothing left to write"


async def test_a_refused_flush_keeps_the_days_for_the_next(harness: Harness):
    h = harness
    await two_residents_seen_the_next_day(h)
    await h.db.execute("PRAGMA query_only = 1")  # SQLITE_READONLY for the flush
    try:
        assert await flush_seen(h.services) == 0
    finally:
        await h.db.execute("PRAGMA query_only = 0")
    assert [r["last_seen"] for r in await h.rows(SEEN)] == ["2026-11-23"] * 2
    other = sqlite3.connect(h.db.path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another program holds the write lock: SQLITE_BUSY
    try:
        assert await flush_seen(h.services) == 0
    finally:
        other.execute("COMMIT")
        other.close()
    assert await flush_seen(h.services) == 2
    assert [r["last_seen"] for r in await h.rows(SEEN)] == ["2026-11-24"] * 2


async def test_the_days_left_are_written_when_the_bot_stops(tmp_path, content):
    h = await make_harness(tmp_path, content)
    await two_residents_seen_the_next_day(h)
    path = h.db.path
    await close_harness(h)
    db = await Database(path).open()
    try:
        rows = [tuple(r) for r in await db.fetchall(SEEN)]
    finally:
        await db.close()
    assert rows == [(CHAT, "2026-11-24"), (OTHER, "2026-11-24")]


async def test_retention_counts_a_day_noted_but_not_yet_written(harness: Harness):
    h = harness
    await h.send(CHAT, "/start nag_fishermead")
    h.clock.advance(days=300)
    await h.send(CHAT, "/nag")  # noted in memory only
    h.clock.advance(days=100)
    assert await purge_expired(h.services) == 0, "the day of use 100 days ago counts"
    assert (await h.rows(SEEN))[0]["last_seen"] == "2027-09-19"
