"""The database under faults: a file that cannot be used at start-up, and statements refused
because the database is locked, read-only or full while the bot runs.

Start-up: the connection must be closed on any failure (aiosqlite's worker thread is not a
daemon, so a connection left open keeps the process alive forever) and the error is one line.
Running: a refused statement raises DatabaseUnavailable and leaves the connection usable.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from storage.db import Database, DatabaseError, DatabaseUnavailable
from tests.conftest import ROOT, TEST_TOKEN
from tests.fakes.server import FakeBotApiServer


def aiosqlite_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if "_connection_worker_thread" in t.name]


@contextmanager
def read_only(*paths: Path) -> Iterator[None]:
    """Make files or folders read-only for this process, even when it runs as root.

    Root ignores permission bits, so as root the paths are also made immutable (chattr +i),
    which refuses writes to everyone; the attribute is removed again afterwards.
    """
    modes = {p: p.stat().st_mode for p in paths}
    for p in paths:
        os.chmod(p, modes[p] & ~0o222)
    immutable = os.geteuid() == 0
    try:
        if immutable:
            if shutil.which("chattr") is None:
                pytest.skip("running as root without chattr: cannot make a file read-only")
            done = subprocess.run(["chattr", "+i", *map(str, paths)], capture_output=True)
            if done.returncode != 0:
                pytest.skip(f"chattr +i refused here: {done.stderr.decode().strip()}")
        yield
    finally:
        if immutable:
            subprocess.run(["chattr", "-i", *map(str, paths)], capture_output=True)
        for p in paths:
            os.chmod(p, modes[p])


def make_db(path: Path) -> None:
    """A valid, migrated database file, closed again."""

    async def go() -> None:
        await (await Database(path).open()).close()

    asyncio.run(go())


def junk(tmp_path: Path) -> Path:
    path = tmp_path / "junk.sqlite3"
    path.write_bytes(os.urandom(16384))
    return path


async def assert_open_fails(path: Path, *words: str) -> str:
    before = set(aiosqlite_threads())
    db = Database(path)
    async with asyncio.timeout(20):
        with pytest.raises(DatabaseError) as err:
            await db.open()
    message = str(err.value)
    assert "\n" not in message and str(path) in message
    for word in words:
        assert word in message
    assert not db.is_open
    for t in set(aiosqlite_threads()) - before:
        t.join(timeout=5)
        assert not t.is_alive(), "the failed connection's thread was left running"
    return message


async def test_a_file_of_random_bytes_is_refused_in_one_line(tmp_path):
    await assert_open_fails(junk(tmp_path), "not an SQLite database")


async def test_a_read_only_database_file_is_refused_at_start_not_at_the_first_write(tmp_path):
    path = tmp_path / "bot.sqlite3"
    await asyncio.to_thread(make_db, path)
    with read_only(path):
        await assert_open_fails(path, "read-only")


async def test_a_new_database_in_a_read_only_folder_is_refused(tmp_path):
    folder = tmp_path / "locked"
    folder.mkdir()
    with read_only(folder):
        await assert_open_fails(folder / "bot.sqlite3", "cannot open or create")


async def test_an_existing_database_in_a_read_only_folder_is_refused(tmp_path):
    folder = tmp_path / "locked"
    folder.mkdir()
    path = folder / "bot.sqlite3"
    await asyncio.to_thread(make_db, path)
    for extra in folder.glob("bot.sqlite3-*"):  # a clean close leaves no -wal/-shm behind
        extra.unlink()
    with read_only(folder):
        await assert_open_fails(path)


async def test_the_bot_process_exits_with_the_problem_instead_of_hanging(tmp_path):
    """`python -m bot run` on a file that is not a database: it ends, naming the file."""
    server = await FakeBotApiServer().start()
    path = junk(tmp_path)
    cfg = tmp_path / "config.yaml"
    cfg.write_text(
        f'telegram:\n  token: "{TEST_TOKEN}"\nstorage:\n  path: "{path}"\n'
        f'content:\n  dir: "{ROOT / "content"}"\n',
        encoding="utf-8",
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("TELEGRAM_")}
    env["TELEGRAM_API_URL"] = server.url
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        "--config",
        str(cfg),
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        async with asyncio.timeout(60):  # a hang detector, not a timing assertion
            _, err = await proc.communicate()
    except TimeoutError:
        proc.kill()
        await proc.wait()
        raise AssertionError("the bot hung on a database it could not open") from None
    finally:
        await server.stop()
    stderr = err.decode()
    assert proc.returncode == 2
    assert f"cannot open the database {path}: the file is not an SQLite database" in stderr
    assert "Traceback" not in stderr
    assert stderr.strip().splitlines()[-1].startswith("cannot open the database"), "the last word"
    assert TEST_TOKEN not in stderr


# ---------------------------------------------------------------- while running


async def opened(tmp_path: Path) -> Database:
    return await Database(tmp_path / "bot.sqlite3", busy_ms=20).open()


async def test_a_write_refused_by_a_lock_raises_unavailable_and_the_connection_recovers(tmp_path):
    db = await opened(tmp_path)
    other = sqlite3.connect(db.path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another program holds the write lock
    with pytest.raises(DatabaseUnavailable) as err:
        async with db.transaction() as tx:
            await tx.execute("INSERT INTO schema_migrations VALUES (999, 'x', 'y')")
    assert err.value.reason == "locked"
    assert isinstance(err.value, sqlite3.OperationalError), "old except clauses still match"
    with pytest.raises(DatabaseUnavailable):
        await db.execute("UPDATE schema_migrations SET name = name")
    assert await db.fetchone("SELECT COUNT(*) FROM schema_migrations"), "reads still work (WAL)"
    other.execute("COMMIT")
    async with db.transaction() as tx:
        await tx.execute("INSERT INTO schema_migrations VALUES (999, 'x', 'y')")
    other.close()
    await db.close()


async def test_a_commit_refused_for_a_full_disk_is_rolled_back_and_later_writes_work(tmp_path):
    db = await opened(tmp_path)
    pages = (await db.fetchone("PRAGMA page_count"))[0]
    await db.execute(f"PRAGMA max_page_count = {pages}")  # the disk is full: no page to grow
    with pytest.raises(DatabaseUnavailable) as err:
        async with db.transaction() as tx:
            await tx.execute("CREATE TABLE filler (x TEXT)")
            await tx.executemany("INSERT INTO filler VALUES (?)", [("x" * 500,)] * 200)
    assert err.value.reason == "full"
    assert not db.conn.in_transaction, "no transaction is left open after the failure"
    await db.execute("PRAGMA max_page_count = 1073741823")  # space again
    async with db.transaction() as tx:
        await tx.execute("CREATE TABLE filler (x TEXT)")
    await db.close()


async def test_a_short_busy_timeout_applies_only_inside_its_block(tmp_path):
    db = await opened(tmp_path)
    with db.busy_timeout(7):
        assert (await db.fetchone("PRAGMA busy_timeout"))[0] == 7
    assert (await db.fetchone("PRAGMA busy_timeout"))[0] == 20
    await db.close()
