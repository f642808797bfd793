"""Databases as an earlier version of the bot left them, for migration tests."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from storage.migrations import _statements, migration_files


def database_before(path: Path, version: int) -> sqlite3.Connection:
    """A database with migrations up to `version` - 1 applied, as that version recorded them;
    the caller adds its old rows, then commits and closes."""
    conn = sqlite3.connect(path)
    conn.execute(
        "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL,"
        " applied_at TEXT NOT NULL)"
    )
    for number, name, sql in migration_files():
        if number >= version:
            continue
        for statement in _statements(sql):
            conn.execute(statement)
        conn.execute(
            "INSERT INTO schema_migrations VALUES (?, ?, '2026-11-01T00:00:00')", (number, name)
        )
    return conn
