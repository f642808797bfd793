"""Broadcasts, outbox, audit and ratings repository (filled in by the broadcasts feature)."""

from __future__ import annotations

from storage.db import Database


class BroadcastStore:
    def __init__(self, db: Database) -> None:
        self.db = db
