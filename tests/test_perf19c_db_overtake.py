"""Statements on the event loop's connection do not queue behind one going through aiosqlite's
thread (storage/db.py): a read runs while a write waits there for another program's lock, and a
resident's row that came back through the thread is not kept (another task's statement on the
loop may have changed it meanwhile), so the next read asks the database."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import UTC, datetime

from storage.db import Database
from storage.residents import Residents

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
CHAT = 424242


async def test_a_read_runs_on_the_loop_while_a_write_waits_in_the_thread(tmp_path):
    db = await Database(tmp_path / "bot.sqlite3", busy_ms=5000).open()
    await db.execute("CREATE TABLE t (v INTEGER)")
    await db.execute("INSERT INTO t VALUES (1)")
    other = sqlite3.connect(db.path, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    # Refused at once on the loop's connection (the other program holds the write lock), the
    # write waits for it in the thread...
    write = asyncio.ensure_future(db.execute("INSERT INTO t VALUES (2)"))
    while not write.done() and not db._lock.locked():
        await asyncio.sleep(0)
    try:
        # ... and a read does not queue behind it: it runs on the loop and sees the table as
        # committed (through the thread it would wait for the write, which waits for the lock
        # that is only released below).
        rows = await db.fetchall("SELECT v FROM t")
        assert [r[0] for r in rows] == [1]
        assert not write.done()
    finally:
        other.execute("COMMIT")
        other.close()
    assert await write == 1
    assert [r[0] for r in await db.fetchall("SELECT v FROM t ORDER BY v")] == [1, 2]
    await db.close()


async def test_a_row_that_came_back_through_the_thread_is_not_kept(tmp_path):
    db = await Database(tmp_path / "bot.sqlite3", busy_ms=5000).open()
    residents = Residents(db)
    await residents.touch(CHAT, NOW)
    assert CHAT in db.kept_residents  # written on the loop's connection: kept
    other = sqlite3.connect(db.path, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    change = asyncio.ensure_future(residents.set_consent(CHAT, True, NOW))
    while not change.done() and not db._lock.locked():
        await asyncio.sleep(0)
    other.execute("COMMIT")
    await change  # through the thread, after the other program's commit
    assert CHAT not in db.kept_residents
    # Another program changes the row: the next read asks the database and sees it.
    other.execute("UPDATE residents SET remind_meetings = 0 WHERE chat_id = ?", (CHAT,))
    other.close()
    resident = await residents.get(CHAT)
    assert resident is not None and resident.consent and not resident.remind_meetings
    assert CHAT in db.kept_residents  # read on the loop's connection: kept again
    await db.close()


async def test_without_the_loops_connection_rows_through_the_thread_are_kept(tmp_path):
    db = await Database(tmp_path / "bot.sqlite3", on_loop=False).open()
    residents = Residents(db)
    await residents.touch(CHAT, NOW)
    await residents.set_consent(CHAT, True, NOW)
    kept = await residents.get(CHAT)
    assert kept is not None and kept.consent and CHAT in db.kept_residents
    await db.close()
