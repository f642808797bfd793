"""The database's failures, sorted for the callers (split from storage/db.py, which
re-exports these names): `DatabaseError` when it cannot be opened (one line naming the file and
the problem), `DatabaseUnavailable` when a statement fails because of the database's state
(locked, read-only, full, unreadable) and the same call may succeed later."""

from __future__ import annotations

import sqlite3
from pathlib import Path

# SQLite primary result codes that mean "the database cannot be used right now", as opposed to
# a mistake in a statement (constraint, syntax) that retrying would not fix.
_UNAVAILABLE = {
    5: "locked",  # SQLITE_BUSY
    6: "locked",  # SQLITE_LOCKED
    8: "read-only",  # SQLITE_READONLY
    10: "unreadable",  # SQLITE_IOERR
    11: "damaged",  # SQLITE_CORRUPT
    13: "full",  # SQLITE_FULL
    14: "unreadable",  # SQLITE_CANTOPEN
    15: "locked",  # SQLITE_PROTOCOL
    26: "damaged",  # SQLITE_NOTADB
}
_OPEN_PROBLEMS = {
    "locked": "another program holds a lock on it",
    "read-only": "the file or its folder is read-only",
    "unreadable": "cannot open or create the file (check that it and its folder are writable)",
    "damaged": "the file is not an SQLite database, or is damaged",
    "full": "the disk is full",
}


class DatabaseError(Exception):
    """The database could not be opened; str() is one line naming the file and the problem."""


class DatabaseUnavailable(sqlite3.OperationalError):
    """A statement failed because the database is locked, read-only, full or unreadable.

    Nothing was written (the transaction was rolled back); the same call may succeed later.
    A subclass of sqlite3.OperationalError, so code that caught that still catches this.
    """

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason  # locked | read-only | full | unreadable | damaged


def reason_of(exc: BaseException) -> str | None:
    """Why SQLite refused, when it is the database's state rather than the statement."""
    code = getattr(exc, "sqlite_errorcode", None)
    if not isinstance(exc, sqlite3.Error) or code is None:
        return None
    return _UNAVAILABLE.get(code & 0xFF)


def translate(exc: sqlite3.Error) -> sqlite3.Error:
    """The error to raise for `exc`: DatabaseUnavailable when retrying later could succeed."""
    if isinstance(exc, DatabaseUnavailable):
        return exc
    reason = reason_of(exc)
    if reason is None:
        return exc
    new = DatabaseUnavailable(str(exc), reason)
    new.sqlite_errorcode = getattr(exc, "sqlite_errorcode", -1)
    new.sqlite_errorname = getattr(exc, "sqlite_errorname", "")
    return new


def open_problem(path: Path, exc: BaseException) -> str:
    """One line for an operator: which file, what is wrong with it."""
    reason = reason_of(exc)
    detail = _OPEN_PROBLEMS.get(reason or "", str(exc))
    return f"cannot open the database {path}: {detail} (SQLite: {exc})"
