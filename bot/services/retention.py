"""Retention as plain values: the day each resident last used the bot (written at most once a
day per chat, best effort), and deleting everyone unseen for a year with all their data.

/privacy promises deletion 12 months after last use; bot/handlers/retention.py calls these on
every update and once a night. Each feature's erase comes in as a plain callable for one chat
id (as for /forget, bot/services/residents.py), so this module knows no feature and no Telegram.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import date, datetime, timedelta

from bot.plumbing.runtime import SeenCache
from storage.db import QUICK_BUSY_MS, Database, DatabaseUnavailable
from storage.residents import Residents

logger = logging.getLogger(__name__)

RETENTION_DAYS = 365
SEEN_PAUSE = timedelta(seconds=30)  # after a refused write, no last-seen writes for this long


async def note_seen(
    db: Database, residents: Residents, cache: SeenCache, chat_id: int, now: datetime, today: date
) -> None:
    """Record `today` as the chat's last-seen day, once a day. It waits only briefly for a
    database lock; a refusal is logged, not raised, and pauses these writes for SEEN_PAUSE (the
    day is written on one of the resident's later updates)."""
    day = today.isoformat()
    if cache.day != day:
        cache.day, cache.chats = day, set()
    if chat_id in cache.chats:
        return
    if cache.paused_until is not None and now < cache.paused_until:
        return  # during a long lock every update would otherwise pay the wait again
    try:
        with db.busy_timeout(QUICK_BUSY_MS):
            await residents.mark_seen(chat_id, day)
    except DatabaseUnavailable as exc:
        cache.paused_until = now + SEEN_PAUSE
        logger.info("Last-seen days not recorded for a while (database %s)", exc.reason)
        return
    # Noted for the day whether or not they are a resident: one who signs up later today is
    # recorded as seen by the sign-up itself (ResidentStore.upsert), so chats that are not
    # residents cost no database write per update either.
    cache.chats.add(chat_id)


async def purge_expired(
    residents: Residents, forget: Callable[[int], Awaitable[None]], today: date
) -> int:
    """Delete every resident unseen for RETENTION_DAYS before `today` (`forget`: one chat's
    data, every feature's part and the resident's row); how many were deleted."""
    cutoff = today - timedelta(days=RETENTION_DAYS)
    removed = 0
    while True:
        chats = await residents.expired(cutoff.isoformat())
        if not chats:
            break
        for chat_id in chats:
            await forget(chat_id)
            removed += 1
    if removed:
        logger.info("Retention: deleted %d residents unseen for %d days", removed, RETENTION_DAYS)
    return removed
