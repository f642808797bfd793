"""Single statements on the event loop's own connection (storage/db_loop.py): the same answers
and the same refusals as through aiosqlite's thread; a lock makes them wait there as before;
settings made by PRAGMA hold for both connections; the WAL stays small."""

from __future__ import annotations

import asyncio
import sqlite3
import threading

import pytest

from storage.db import CHECKPOINT_EVERY, Database, DatabaseUnavailable


async def opened(tmp_path, **kw) -> Database:  # noqa: ANN001
    return await Database(tmp_path / "bot.sqlite3", **kw).open()


async def test_statements_give_the_same_rows_on_either_connection(tmp_path):
    fast, slow = await opened(tmp_path), None
    try:
        await fast.execute("CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT)")
        assert await fast.execute("INSERT INTO t VALUES (1, 'a'), (2, 'b')") == 2
        row = await fast.fetchone("UPDATE t SET v = 'c' WHERE k = 2 RETURNING *")
        assert row is not None and dict(row) == {"k": 2, "v": "c"}
        slow = await Database(tmp_path / "bot.sqlite3", on_loop=False).open()
        assert [tuple(r) for r in await slow.fetchall("SELECT * FROM t")] == [(1, "a"), (2, "c")]
        assert await fast.fetchone("SELECT * FROM t WHERE k = 3") is None
        with pytest.raises(sqlite3.IntegrityError):  # a mistake is raised as it is
            await fast.execute("INSERT INTO t VALUES (1, 'again')")
    finally:
        await fast.close()
        if slow is not None:
            await slow.close()


async def test_a_write_waits_for_another_programs_lock_through_the_thread(tmp_path):
    db = await opened(tmp_path, busy_ms=5000)
    await db.execute("CREATE TABLE t (v INTEGER)")
    other = sqlite3.connect(db.path, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    released = threading.Timer(0.2, lambda: other.execute("COMMIT"))
    released.start()
    try:
        # Refused at once on the loop's connection, then written through the thread, which
        # waits for the lock (the busy timeout) as every statement did before.
        assert await db.execute("INSERT INTO t VALUES (1)") == 1
    finally:
        released.join()
        other.close()
    assert (await db.fetchone("SELECT COUNT(*) FROM t"))[0] == 1  # type: ignore[index]
    await db.close()


async def test_a_lock_past_the_busy_timeout_is_refused_as_before(tmp_path):
    db = await opened(tmp_path, busy_ms=20)
    await db.execute("CREATE TABLE t (v INTEGER)")
    other = sqlite3.connect(db.path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(DatabaseUnavailable) as err:
            await db.execute("INSERT INTO t VALUES (1)")
        assert err.value.reason == "locked"
        assert (await db.fetchone("SELECT COUNT(*) FROM t"))[0] == 0  # type: ignore[index]
    finally:
        other.execute("COMMIT")
        other.close()
    await db.close()


async def test_read_only_and_full_set_by_pragma_hold_on_the_loop_too(tmp_path):
    db = await opened(tmp_path)
    await db.execute("CREATE TABLE t (v TEXT)")
    await db.execute("PRAGMA query_only = 1")
    with pytest.raises(DatabaseUnavailable) as err:
        await db.execute("INSERT INTO t VALUES ('x')")
    assert err.value.reason == "read-only"
    await db.execute("PRAGMA query_only = 0")
    pages = (await db.fetchone("PRAGMA page_count"))[0]  # type: ignore[index]
    await db.execute(f"PRAGMA max_page_count = {pages}")
    with pytest.raises(DatabaseUnavailable) as err:
        await db.execute("INSERT INTO t VALUES (?)", ("x" * 100_000,))
    assert err.value.reason == "full"
    await db.execute("PRAGMA max_page_count = 1073741823")
    assert await db.execute("INSERT INTO t VALUES ('x')") == 1
    await db.close()


async def test_statements_during_a_transaction_wait_for_it(tmp_path):
    db = await opened(tmp_path)
    await db.execute("CREATE TABLE t (v INTEGER)")
    seen: list[int] = []

    async def count_meanwhile() -> None:
        seen.append((await db.fetchone("SELECT COUNT(*) FROM t"))[0])  # type: ignore[index]

    async with db.transaction() as tx:
        await tx.execute("INSERT INTO t VALUES (1)")
        reader = asyncio.ensure_future(count_meanwhile())
        await asyncio.sleep(0)
        await tx.execute("INSERT INTO t VALUES (2)")
    await reader
    assert seen == [2], "read after the commit, not half-way through the transaction"
    await db.close()


async def test_the_wal_is_checkpointed_while_writes_run_on_the_loop(tmp_path):
    db = await opened(tmp_path)
    await db.execute("CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT)")
    for i in range(CHECKPOINT_EVERY * 4):
        await db.execute("INSERT INTO t VALUES (?, ?)", (i, "x" * 200))
    wal = db.path.with_name(db.path.name + "-wal").stat().st_size
    assert wal < CHECKPOINT_EVERY * 2 * 4096, f"the -wal grew to {wal} bytes"
    await db.close()
