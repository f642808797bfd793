"""One aiosqlite connection (WAL, foreign keys on) shared by the whole bot.

Every statement goes through one asyncio lock: with a single connection, a statement issued by one
task while another holds a transaction open would otherwise join (and could be rolled back with)
that transaction.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiosqlite

from storage.migrations import apply_migrations

logger = logging.getLogger(__name__)


class Tx:
    """A transaction in progress: statements run on the locked connection."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    # Each aiosqlite call is a hand-off to the database thread, so every method below uses one
    # call where it can (execute_fetchall, no explicit cursor close).

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        cur = await self._conn.execute(sql, params)
        return cur.rowcount

    async def insert(self, sql: str, params: Sequence[Any] = ()) -> int:
        cur = await self._conn.execute(sql, params)
        return cur.lastrowid or 0

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        await self._conn.executemany(sql, rows)

    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Row | None:
        rows = await self._conn.execute_fetchall(sql, params)
        return rows[0] if rows else None

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        return list(await self._conn.execute_fetchall(sql, params))


class Database:
    """The bot's SQLite database."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._conn: aiosqlite.Connection | None = None
        self._lock = asyncio.Lock()
        self._functions: dict[str, tuple[int, Any]] = {}

    async def open(self) -> Database:
        if str(self.path) != ":memory:":
            self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = await aiosqlite.connect(str(self.path), isolation_level=None)
        conn.row_factory = sqlite3.Row
        await conn.execute("PRAGMA journal_mode=WAL")
        await conn.execute("PRAGMA synchronous=NORMAL")
        await conn.execute("PRAGMA foreign_keys=ON")
        await conn.execute("PRAGMA busy_timeout=5000")
        for name, (nargs, func) in self._functions.items():
            await conn.create_function(name, nargs, func, deterministic=True)
        self._conn = conn
        async with self.transaction() as tx:
            applied = await apply_migrations(tx)
        if applied:
            logger.info("Applied database migrations: %s", ", ".join(applied))
        return self

    def add_function(self, name: str, nargs: int, func: Any) -> None:
        """Make a deterministic Python function callable from SQL (from open() onwards)."""
        self._functions[name] = (nargs, func)

    async def close(self) -> None:
        if self._conn is not None:
            await self._conn.close()
            self._conn = None

    @property
    def is_open(self) -> bool:
        return self._conn is not None

    @property
    def conn(self) -> aiosqlite.Connection:
        if self._conn is None:
            raise RuntimeError("database is not open")
        return self._conn

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Tx]:
        """BEGIN IMMEDIATE … COMMIT, rolled back on any exception."""
        async with self._lock:
            await self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield Tx(self.conn)
            except BaseException:
                await self.conn.execute("ROLLBACK")
                raise
            else:
                await self.conn.execute("COMMIT")

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[Tx]:
        """Run reads (or single autocommit statements) without a transaction."""
        async with self._lock:
            yield Tx(self.conn)

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        async with self.reading() as tx:
            return await tx.execute(sql, params)

    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Row | None:
        async with self.reading() as tx:
            return await tx.fetchone(sql, params)

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        async with self.reading() as tx:
            return await tx.fetchall(sql, params)

    async def iterate(
        self, sql: str, params: Sequence[Any] = (), batch: int = 500
    ) -> AsyncIterator[list[sqlite3.Row]]:
        """Yield result rows in batches, using keyset-friendly LIMIT/OFFSET-free cursors.

        The lock is taken per batch so other tasks can use the connection between batches; the
        caller's SQL must therefore be a snapshot-safe read (we rely on WAL readers).
        """
        async with self._lock:
            cur = await self.conn.execute(sql, params)
        try:
            while True:
                async with self._lock:
                    rows = await cur.fetchmany(batch)
                if not rows:
                    return
                yield list(rows)
        finally:
            await cur.close()
