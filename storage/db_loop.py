"""Short statements run on the event loop itself, on a second connection to the same file.

aiosqlite hands every statement to its own thread: 50-100 µs of CPU per statement on the
benchmark machine (thread wake-ups, the GIL handed back and forth), several times what SQLite
takes to read or change one row. A single autocommit statement (a resident's row, a count) is
run here instead, by the event loop's thread, on its own `sqlite3` connection in WAL mode with
a zero busy timeout, so it never waits: when the file is locked (another program, or a
transaction of the bot's own connection) SQLite answers SQLITE_BUSY at once, nothing is
written, and storage/db.py sends the same statement through aiosqlite's thread, which waits for
the lock as before. Transactions, PRAGMAs and cursors always go through aiosqlite's connection.

Only used while the bot's own connection is idle (its lock free), so the two connections never
run statements at the same time. Each connection has its own settings: this one is opened with
the same PRAGMAs (WAL, foreign keys, secure_delete) and SQL functions, and a PRAGMA that sets
something on the main connection (`PRAGMA query_only = 1` in the fault tests, say) is set here
too (`mirror`). This connection never checkpoints the WAL by itself (the main one does, at its
commits and after erasures), so no checkpoint's fsync ever runs on the event loop.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any

# SQLite primary result codes for which the statement is simply tried again through the
# aiosqlite thread, which waits for the lock (busy timeout) as every statement did before.
RETRY_THERE = {5, 6}  # SQLITE_BUSY, SQLITE_LOCKED
_SETTING = re.compile(r"\s*PRAGMA\s+\w+\s*=", re.IGNORECASE)


class LoopConnection:
    """The second connection (see the module's docstring)."""

    def __init__(self, path: Path, functions: dict[str, tuple[int, Any]]) -> None:
        conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
        try:
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA busy_timeout=0")
            conn.execute("PRAGMA foreign_keys=ON")
            conn.execute("PRAGMA secure_delete=ON")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA wal_autocheckpoint=0")
            for name, (nargs, func) in functions.items():
                conn.create_function(name, nargs, func, deterministic=True)
        except BaseException:
            conn.close()
            raise
        self._conn = conn
        self.writes = 0  # statements here that changed rows, since the last checkpoint

    @staticmethod
    def takes(sql: str) -> bool:
        """Whether a single statement may run here (not a PRAGMA: those read or set the main
        connection's own settings)."""
        return not sql.lstrip()[:6].upper().startswith("PRAGMA")

    def execute(self, sql: str, params: Sequence[Any]) -> int:
        before = self._conn.total_changes
        cur = self._conn.execute(sql, params)
        try:
            return cur.rowcount
        finally:
            cur.close()
            self.writes += self._conn.total_changes != before

    def fetchall(self, sql: str, params: Sequence[Any]) -> list[sqlite3.Row]:
        before = self._conn.total_changes
        cur = self._conn.execute(sql, params)
        try:
            return cur.fetchall()
        finally:
            cur.close()
            self.writes += self._conn.total_changes != before

    def mirror(self, sql: str) -> None:
        """Apply a PRAGMA that changes a setting (`PRAGMA name = value`) here too."""
        if _SETTING.match(sql) and "busy_timeout" not in sql.lower():
            self._conn.execute(sql).close()

    def close(self) -> None:
        self._conn.close()


def retry_there(exc: sqlite3.Error) -> bool:
    """Whether a refusal here means "locked right now": try again through the thread."""
    code = getattr(exc, "sqlite_errorcode", None)
    return code is not None and code & 0xFF in RETRY_THERE
