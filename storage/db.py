"""One aiosqlite connection (WAL, foreign keys on) shared by the whole bot, and its failures.

Every statement goes through one asyncio lock: with a single connection, a statement issued by one
task while another holds a transaction open would otherwise join (and could be rolled back with)
that transaction.

Failures are sorted for the callers: a database that cannot be opened at start raises
`DatabaseError` (one line naming the file and the problem, the connection closed so the process
can exit); a statement that fails because the database is locked, read-only, full or unreadable
right now raises `DatabaseUnavailable` (nothing was written; try again later). A write that is
not critical (e.g. a resident's "last seen" day) can ask for a shorter wait on a lock with
`Database.busy_timeout(ms)`, so an update never stalls for the full busy timeout behind it.

A single statement outside a transaction (`execute`, `fetchone`, `fetchall`) runs on the event
loop's own second connection when the main one is idle, without a hand-off to aiosqlite's
thread, and goes through the thread as before when that connection finds the file locked
(storage/db_loop.py).

Erased data does not linger: open() turns `secure_delete` on (and refuses a build that cannot),
and storage calls `erased()` after each erasure, which checkpoints and truncates the -wal
(storage/scrub.py).
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import os
import sqlite3
import time
from collections.abc import (
    AsyncIterator,
    Awaitable,
    Callable,
    Iterable,
    Iterator,
    Sequence,
)
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import aiosqlite

from storage.db_errors import (
    DatabaseError,
    DatabaseUnavailable,
    open_problem,
    reason_of,
    translate,
)
from storage.db_loop import LoopConnection, retry_there
from storage.kept import Kept
from storage.migrations import apply_migrations
from storage.rows import from_row, from_ts, sql_in, ts
from storage.scrub import SCRUB_BUSY_MS, Scrubbing

logger = logging.getLogger(__name__)

# Callers import these from here, as before the split.
__all__ = [
    "BUSY_MS",
    "QUICK_BUSY_MS",
    "Database",
    "DatabaseError",
    "DatabaseUnavailable",
    "Tx",
    "from_row",
    "from_ts",
    "open_problem",
    "reason_of",
    "sql_in",
    "ts",
]

BUSY_MS = 5000  # how long a statement waits for another connection's lock by default
QUICK_BUSY_MS = 100  # for writes that may be skipped (best effort)
CHECKPOINT_EVERY = 500  # writes on the loop's connection between two passive checkpoints
KEPT_RESIDENTS = 50_000  # resident rows kept in memory (storage/residents.py), ~1 KB each

_THERE = object()  # a statement the loop's connection left to aiosqlite's thread

# A per-task override of the busy timeout (see Database.busy_timeout).
_busy_override: contextvars.ContextVar[int | None] = contextvars.ContextVar(
    "busy_override", default=None
)


def _private(path: Path) -> None:
    """The database file readable by the bot's user only (0600), like the survey secret. SQLite
    gives its -wal and -shm files the database file's permissions when it creates them; files
    left by an older version are tightened too. A failure here is left to the open to report."""
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        os.close(fd)
        for p in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
            if p.exists() and p.stat().st_mode & 0o077:
                p.chmod(0o600)
    except OSError as exc:
        logger.debug("Could not make the database file private: %s", exc.strerror)


async def _pragma_on(conn: aiosqlite.Connection, name: str) -> bool:
    rows = list(await conn.execute_fetchall(f"PRAGMA {name}"))
    return bool(rows and rows[0][0])


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
        rows = list(await self._conn.execute_fetchall(sql, params))
        return rows[0] if rows else None

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        return list(await self._conn.execute_fetchall(sql, params))


class Database(Scrubbing):
    """The bot's SQLite database."""

    def __init__(
        self,
        path: Path | str,
        *,
        busy_ms: int = BUSY_MS,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        on_loop: bool = True,
    ) -> None:
        self.path = Path(path)
        # Single statements on the event loop's own connection when they can (storage/db_loop.py)
        self.on_loop = on_loop and str(path) != ":memory:"
        self._here: LoopConnection | None = None
        self._sleep = sleep  # between scrub tries (tests inject one that does not wait)
        self.scrub_owed = False  # an erasure whose old copies may still be in the WAL
        self.busy_ms = busy_ms
        self._busy_now = busy_ms  # the busy timeout last set on the connection
        self._conn: aiosqlite.Connection | None = None
        self._lock = asyncio.Lock()
        # True while the lock is held by one autocommit statement (not a transaction, a cursor
        # or a PRAGMA): statements may then still run on the loop's connection meanwhile.
        self._single = False
        self._functions: dict[str, tuple[int, Any]] = {}
        # Resident rows kept between statements and last-seen days not yet written, both owned
        # by storage/residents.py; here because every store that writes `residents` (the
        # outbox too) shares this object and must drop the rows it changes.
        self.kept_residents: Kept[int, Any] = Kept(KEPT_RESIDENTS)
        self.kept_strangers: Kept[int, bool] = Kept(KEPT_RESIDENTS)  # chats with no row
        self.seen_owed: dict[int, str] = {}
        # Writes kept in memory by a store, written at close (best effort), by name.
        self.before_close: dict[str, Callable[[], Awaitable[Any]]] = {}
        # Called with the seconds each transaction or read took (waiting for the connection
        # included): the bot's metrics hook in here, since storage imports nothing of the bot.
        self.on_timed: Callable[[float], None] | None = None

    async def open(self) -> Database:
        """Connect, check the file can be written, migrate; DatabaseError with one line if not.

        On any failure the connection is closed again: aiosqlite's worker thread is not a daemon,
        so a connection left open would keep the process alive after the error.
        """
        if str(self.path) != ":memory:":
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise DatabaseError(
                    f"cannot open the database {self.path}: cannot create its folder"
                    f" ({exc.strerror})"
                ) from exc
            _private(self.path)
        try:
            conn = await aiosqlite.connect(str(self.path), isolation_level=None)
        except sqlite3.Error as exc:
            raise DatabaseError(open_problem(self.path, exc)) from exc
        try:
            conn.row_factory = sqlite3.Row
            await conn.execute("PRAGMA journal_mode=WAL")
            await conn.execute("PRAGMA synchronous=NORMAL")
            await conn.execute("PRAGMA foreign_keys=ON")
            # Deleted rows (/forget, retention, unlinked survey answers) are overwritten with
            # zeros rather than left readable in free pages of the file.
            await conn.execute("PRAGMA secure_delete=ON")
            if not await _pragma_on(conn, "secure_delete"):  # a build that cannot: say so now
                raise sqlite3.OperationalError("this SQLite cannot turn secure_delete on")
            await conn.execute(f"PRAGMA busy_timeout={int(self.busy_ms)}")
            self._busy_now = self.busy_ms
            for name, (nargs, func) in self._functions.items():
                await conn.create_function(name, nargs, func, deterministic=True)
            self._conn = conn
            self.kept_residents.clear()
            self.kept_strangers.clear()
            async with self.transaction() as tx:
                applied = await apply_migrations(tx)
                # A read-only file opens without complaint and fails only at the first write:
                # write one header field (to its own value) so that shows now, not mid-broadcast.
                row = await tx.fetchone("PRAGMA user_version")
                await tx.execute(f"PRAGMA user_version = {int(row[0]) if row else 0}")
        except BaseException as exc:
            self._conn = None
            try:
                await conn.close()
            except Exception as close_exc:  # the original problem is the one worth reporting
                logger.debug("Closing the database after a failed open: %s", close_exc)
            if isinstance(exc, sqlite3.Error):
                raise DatabaseError(open_problem(self.path, exc)) from exc
            raise
        if self.on_loop:
            try:
                self._here = LoopConnection(self.path, self._functions)
            except sqlite3.Error as exc:  # the main connection works: carry on without it
                logger.warning("Statements all go through the database thread: %s", exc)
        if applied:
            logger.info("Applied database migrations: %s", ", ".join(applied))
        return self

    def add_function(self, name: str, nargs: int, func: Any) -> None:
        """Make a deterministic Python function callable from SQL (from open() onwards)."""
        self._functions[name] = (nargs, func)

    async def close(self) -> None:
        if self._conn is not None:
            for name, write in self.before_close.items():
                try:
                    await write()
                except Exception as exc:  # noqa: BLE001 - closing must go on
                    logger.warning("Not written at close (%s): %s", name, type(exc).__name__)
        self.kept_residents.clear()
        self.kept_strangers.clear()
        if self._here is not None:
            here, self._here = self._here, None
            here.close()
        if self._conn is not None:
            conn, self._conn = self._conn, None
            await conn.close()

    @property
    def is_open(self) -> bool:
        return self._conn is not None

    @property
    def conn(self) -> aiosqlite.Connection:
        if self._conn is None:
            raise RuntimeError("database is not open")
        return self._conn

    async def set_busy_timeout(self, ms: int) -> None:
        """Change how long statements wait for another connection's lock (default BUSY_MS)."""
        self.busy_ms = ms
        if self._conn is not None:
            async with self._lock:
                await self._apply_busy()

    @staticmethod
    @contextmanager
    def busy_timeout(ms: int) -> Iterator[None]:
        """Statements this task runs inside the block wait at most `ms` for a lock.

        For best-effort writes: they fail fast with DatabaseUnavailable instead of holding the
        connection (and every update queued behind it) for the full busy timeout.
        """
        token = _busy_override.set(ms)
        try:
            yield
        finally:
            _busy_override.reset(token)

    async def _apply_busy(self) -> None:
        """Give the connection this task's busy timeout (called with the lock held).

        Set only when it differs from the last one set, so a run of statements with the same
        timeout costs nothing extra.
        """
        want = _busy_override.get() or self.busy_ms
        if want != self._busy_now:
            await self.conn.execute(f"PRAGMA busy_timeout={int(want)}")
            self._busy_now = want

    async def _rollback(self) -> None:
        # SQLite rolls back by itself on some errors (e.g. SQLITE_FULL); a ROLLBACK then fails
        # with "no transaction is active", which must not hide the original error.
        if not self.conn.in_transaction:
            return
        try:
            await self.conn.execute("ROLLBACK")
        except sqlite3.Error as exc:
            logger.warning("ROLLBACK failed: %s", exc)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Tx]:
        """BEGIN IMMEDIATE … COMMIT, rolled back on any exception (a failed COMMIT included).

        Raises DatabaseUnavailable when the database is locked, read-only, full or unreadable.
        """
        started = time.perf_counter()
        try:
            async with self._lock:
                await self._apply_busy()
                try:
                    await self.conn.execute("BEGIN IMMEDIATE")
                except sqlite3.Error as exc:
                    raise translate(exc) from exc
                try:
                    yield Tx(self.conn)
                except BaseException as exc:
                    await self._rollback()
                    if isinstance(exc, sqlite3.Error) and not isinstance(exc, DatabaseUnavailable):
                        raise translate(exc) from exc
                    raise
                try:
                    await self.conn.execute("COMMIT")
                except sqlite3.Error as exc:
                    # A COMMIT refused (busy, disk full) leaves the transaction open: without
                    # the rollback every later BEGIN would fail ("cannot start a transaction
                    # within a transaction") until the bot restarts.
                    await self._rollback()
                    raise translate(exc) from exc
        finally:
            if self.on_timed is not None:
                self.on_timed(time.perf_counter() - started)

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[Tx]:
        """Run reads (or single autocommit statements) without a transaction."""
        started = time.perf_counter()
        try:
            async with self._lock:
                await self._apply_busy()
                try:
                    yield Tx(self.conn)
                except sqlite3.Error as exc:
                    if isinstance(exc, DatabaseUnavailable):
                        raise
                    raise translate(exc) from exc
        finally:
            if self.on_timed is not None:
                self.on_timed(time.perf_counter() - started)

    async def probe_write(self) -> None:
        """Take the write lock and let it go again (BEGIN IMMEDIATE, ROLLBACK): nothing is
        written, but a database that is read-only, locked past the busy timeout or unreadable
        raises DatabaseUnavailable, as the next real write would (readiness checks)."""
        async with self._lock:
            await self._apply_busy()
            try:
                await self.conn.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                raise translate(exc) from exc
            await self._rollback()

    async def _checkpoint_truncate(self) -> bool:
        """One TRUNCATE checkpoint (storage/scrub.py); True when it completed (nothing left in
        the -wal file)."""
        with self.busy_timeout(SCRUB_BUSY_MS):
            async with self._lock:
                await self._apply_busy()
                try:
                    rows = list(await self.conn.execute_fetchall("PRAGMA wal_checkpoint(TRUNCATE)"))
                except sqlite3.Error as exc:
                    logger.warning("Checkpoint after an erasure failed: %s", exc)
                    return False
        # (busy, frames in the log, frames checkpointed); busy = 1 when readers blocked it.
        return bool(rows) and rows[0][0] == 0

    def _run_here(
        self,
        run: Callable[[LoopConnection, str, Sequence[Any]], Any],
        sql: str,
        params: Sequence[Any],
    ) -> Any:
        """One statement on the event loop's connection (storage/db_loop.py); _THERE when it
        must go through aiosqlite's thread instead (a PRAGMA, the connection busy, the file
        locked)."""
        here = self._here
        if (
            here is None
            or not self.on_loop
            or (self._lock.locked() and not self._single)
            or not here.takes(sql)
        ):
            return _THERE
        started = time.perf_counter()
        try:
            return run(here, sql, params)
        except sqlite3.Error as exc:
            if retry_there(exc):
                return _THERE
            raise translate(exc) from exc
        finally:
            if self.on_timed is not None:
                self.on_timed(time.perf_counter() - started)

    async def _after_here(self) -> None:
        """Every CHECKPOINT_EVERY writes on the loop's connection, a passive checkpoint through
        the thread (that connection never checkpoints by itself: no fsync on the event loop).
        Run before a statement, so that nothing is awaited between a statement run on the loop
        and its caller (storage/residents.py keeps what it returns)."""
        here = self._here
        if here is None or here.writes < CHECKPOINT_EVERY:
            return
        here.writes = 0
        try:
            async with self.reading() as tx:
                await tx.fetchall("PRAGMA wal_checkpoint(PASSIVE)")
        except sqlite3.Error as exc:  # the next one will do; nothing is lost
            logger.info("WAL checkpoint skipped: %s", exc)

    @asynccontextmanager
    async def _one_statement(self, sql: str) -> AsyncIterator[Tx]:
        """`reading()` for one autocommit statement through the thread. While it runs, other
        statements may run on the loop's connection (SQLite keeps the two apart: a write there
        that meets this one's lock is refused at once and comes here), so one slow statement
        does not send every update's statements through the thread behind it. A PRAGMA keeps
        the connection to itself (it may change a setting both connections share)."""
        async with self.reading() as tx:
            self._single = self._here is not None and self._here.takes(sql)
            try:
                yield tx
            finally:
                self._single = False

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        if self._here is not None and self._here.writes >= CHECKPOINT_EVERY:
            await self._after_here()
        n = self._run_here(LoopConnection.execute, sql, params)
        if n is not _THERE:
            return int(n)
        async with self._one_statement(sql) as tx:
            n = await tx.execute(sql, params)
            if self._here is not None:
                self._here.mirror(sql)
            return int(n)

    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Row | None:
        rows, _ = await self.fetchall_where(sql, params)
        return rows[0] if rows else None

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        rows, _ = await self.fetchall_where(sql, params)
        return rows

    async def fetchall_where(
        self, sql: str, params: Sequence[Any] = ()
    ) -> tuple[list[sqlite3.Row], bool]:
        """`fetchall`, and whether no other statement can have changed the database between
        this one and the caller's next step: true when it ran on the loop's connection, or when
        that connection is not in use; through the thread beside it, another task's statement
        may have run on the loop meanwhile."""
        if self._here is not None and self._here.writes >= CHECKPOINT_EVERY:
            await self._after_here()
        rows = self._run_here(LoopConnection.fetchall, sql, params)
        if rows is not _THERE:
            return list(rows), True
        async with self._one_statement(sql) as tx:
            return await tx.fetchall(sql, params), self._here is None or not self.on_loop

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
