"""Broadcasts, outbox, audit and ratings repository: every SQL statement of the broadcast feature.

BroadcastStore is made of three parts, each in its own module: the broadcasts themselves
(storage/broadcast_schedule.py), the outbox the sender works through (storage/outbox.py), and
what was sent and how it was rated (storage/broadcast_reports.py), and its text per language
(storage/broadcast_texts.py). Rows and shared SQL pieces are
storage/broadcast_types.py's, re-exported here so callers import them from one place.

Times are storage.db's one timestamp format; rows become dataclasses through storage.db.from_row.
"""

from __future__ import annotations

from storage.broadcast_reports import BroadcastReports
from storage.broadcast_schedule import BroadcastSchedule
from storage.broadcast_texts import BroadcastTexts
from storage.broadcast_types import AuditRow, Broadcast, Claimed, Outcome, Rating, Received
from storage.db import Database
from storage.outbox import Outbox

__all__ = [
    "AuditRow",
    "Broadcast",
    "BroadcastStore",
    "Claimed",
    "Outcome",
    "Rating",
    "Received",
]


class BroadcastStore(BroadcastSchedule, Outbox, BroadcastReports, BroadcastTexts):
    def __init__(self, db: Database) -> None:
        self.db = db
