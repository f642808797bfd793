"""Small in-memory state the bot keeps between updates: bounded, and rebuilt empty at start.

Nothing here is the source of truth (the database is); losing it to a restart costs at most one
extra write or one missed shortcut.
"""

from __future__ import annotations

from collections import deque
from datetime import datetime

SIGNPOSTED_REMEMBERED = 4096  # signposted update ids kept for the handlers after the check


class SeenCache:
    """Which residents' last-seen day was already written today (one dictionary lookup per
    update instead of a write), and when writes may resume after the database refused one."""

    def __init__(self) -> None:
        self.day = ""
        self.chats: set[int] = set()
        self.paused_until: datetime | None = None


class Signposted:
    """The ids of recent updates that got the safeguarding answer."""

    def __init__(self) -> None:
        self._order: deque[int] = deque()
        self._ids: set[int] = set()

    def add(self, update_id: int) -> None:
        if len(self._order) >= SIGNPOSTED_REMEMBERED:
            self._ids.discard(self._order.popleft())
        self._order.append(update_id)
        self._ids.add(update_id)

    def __contains__(self, update_id: int) -> bool:
        return update_id in self._ids
