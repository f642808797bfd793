"""The database and its write-ahead files are private to the bot's user (issue 20: 0600, like
the survey secret), whether new or left readable by an older version."""

from __future__ import annotations

import stat
from pathlib import Path

from storage.db import Database


def _mode(p: Path) -> int:
    return stat.S_IMODE(p.stat().st_mode)


async def test_a_new_database_and_its_wal_are_0600(tmp_path: Path):
    path = tmp_path / "data" / "bot.sqlite3"
    db = await Database(path).open()
    try:
        await db.execute("CREATE TABLE IF NOT EXISTS t (x INTEGER)")
        await db.execute("INSERT INTO t VALUES (1)")
        for p in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
            assert p.exists() and _mode(p) == 0o600, (p.name, oct(_mode(p)))
    finally:
        await db.close()


async def test_an_old_world_readable_database_is_made_private(tmp_path: Path):
    path = tmp_path / "bot.sqlite3"
    db = await Database(path).open()
    await db.close()
    path.chmod(0o644)
    db = await Database(path).open()
    try:
        assert _mode(path) == 0o600
    finally:
        await db.close()
