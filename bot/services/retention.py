"""Retention as plain values: the day each resident last used the bot (noted in memory at most
once a day per chat, written for everyone in one transaction every minute and at stop), and
deleting everyone unseen for a year with all their data.

/privacy promises deletion 12 months after last use; bot/handlers/retention.py calls these on
every update, every minute and once a night. Each feature's erase comes in as a plain callable
for one chat id (as for /forget, bot/services/residents.py), so this module knows no feature and
no Telegram.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import date, timedelta

from bot.plumbing.runtime import SeenCache
from storage.db import QUICK_BUSY_MS, Database, DatabaseUnavailable
from storage.residents import Residents

logger = logging.getLogger(__name__)

RETENTION_DAYS = 365
SEEN_FLUSH_S = 60.0  # how often the noted last-seen days are written


def note_seen(residents: Residents, cache: SeenCache, chat_id: int, today: date) -> None:
    """Note `today` as the chat's last-seen day, once a day (no database statement: the next
    flush writes it)."""
    day = today.isoformat()
    if cache.day != day:
        cache.day, cache.chats = day, set()
    if chat_id in cache.chats:
        return
    # Noted for the day whether or not they are a resident: one who signs up later today is
    # recorded as seen by the sign-up itself, and a chat that is not a resident changes no row
    # at the flush.
    residents.note_seen(chat_id, day)
    cache.chats.add(chat_id)


async def flush_seen(db: Database, residents: Residents) -> int:
    """Write the noted last-seen days (one transaction, a short wait for a lock); how many.
    A refusal is logged, not raised: the days stay noted and the next flush writes them."""
    try:
        with db.busy_timeout(QUICK_BUSY_MS):
            return await residents.flush_seen()
    except DatabaseUnavailable as exc:
        logger.info("Last-seen days not recorded this time (database %s)", exc.reason)
        return 0


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
