"""Numbered, append-only migrations: storage/sql/NNN_name.sql, applied in order at start."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime
from importlib import resources
from typing import Any, Protocol


class Tx(Protocol):
    """What migrating needs of a transaction (storage/db.py: Tx, which imports this module)."""

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int: ...

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> Sequence[Sequence[Any]]: ...


_NAME = re.compile(r"^(\d{3})_([a-z0-9_]+)\.sql$")


def migration_files() -> list[tuple[int, str, str]]:
    """(version, name, sql) for every migration shipped with the package, in order."""
    found = []
    for entry in resources.files("storage").joinpath("sql").iterdir():
        m = _NAME.match(entry.name)
        if m:
            found.append((int(m.group(1)), m.group(2), entry.read_text(encoding="utf-8")))
    found.sort()
    versions = [v for v, _, _ in found]
    if len(set(versions)) != len(versions):
        raise RuntimeError(f"two migrations share a number: {versions}")
    return found


def _statements(sql: str) -> list[str]:
    # Migrations hold plain DDL/DML separated by semicolons at line ends (no triggers).
    chunks = [s.strip() for s in re.split(r";\s*(?:\n|$)", sql)]
    return [c for c in chunks if re.sub(r"--[^\n]*", "", c).strip()]


async def apply_migrations(tx: Tx) -> list[str]:
    """Apply every migration not yet recorded; return the names applied."""
    await tx.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
    )
    done = {r[0] for r in await tx.fetchall("SELECT version FROM schema_migrations")}
    applied = []
    for version, name, sql in migration_files():
        if version in done:
            continue
        for statement in _statements(sql):
            await tx.execute(statement)
        await tx.execute(
            "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
            (version, name, datetime.now(UTC).isoformat(timespec="seconds")),
        )
        applied.append(f"{version:03d}_{name}")
    return applied
