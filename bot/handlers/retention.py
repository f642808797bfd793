"""Retention: remember the day each resident last used the bot; delete those gone a year.

/privacy promises deletion 12 months after last use; this module keeps that promise. The
"last seen" write happens at most once a day per chat (an in-memory note of the chats seen
today; signing up counts as being seen), so it costs one set lookup per update. It is best
effort: it runs before every other handler, so it waits only briefly for a database lock, and a
refusal is logged, not shown, and pauses these writes for 30 seconds (the day is written on one
of the resident's later updates).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import time, timedelta
from typing import Any

from telegram import Update
from telegram.ext import JobQueue, TypeHandler

from bot.context import BotContext, Services
from bot.features import Feature, Handler, daily
from bot.handlers.privacy import forget_everything
from bot.handlers.registry import Group
from storage.db import QUICK_BUSY_MS, DatabaseUnavailable

logger = logging.getLogger(__name__)

RETENTION_DAYS = 365
SEEN_PAUSE = timedelta(seconds=30)  # after a refused write, no last-seen writes for this long


async def note_seen(update: Update, context: BotContext) -> None:
    """Record today's date for the sender's private chat (once a day)."""
    chat = update.effective_chat
    if chat is None or chat.type != "private":
        return
    s = context.services
    today = s.clock.now().astimezone(s.config.tz).date().isoformat()
    cache = s.seen
    if cache.day != today:
        cache.day, cache.chats = today, set()
    if chat.id in cache.chats:
        return
    now = s.clock.now()
    if cache.paused_until is not None and now < cache.paused_until:
        return  # during a long lock every update would otherwise pay the wait again
    try:
        with s.db.busy_timeout(QUICK_BUSY_MS):
            await s.residents.mark_seen(chat.id, today)
    except DatabaseUnavailable as exc:
        cache.paused_until = now + SEEN_PAUSE
        logger.info("Last-seen days not recorded for a while (database %s)", exc.reason)
        return
    # Noted for the day whether or not they are a resident: one who signs up later today is
    # recorded as seen by the sign-up itself (ResidentStore.upsert), so chats that are not
    # residents cost no database write per update either.
    cache.chats.add(chat.id)


async def purge_expired(services: Services) -> int:
    """Delete every resident unseen for RETENTION_DAYS, with their features' data."""
    cutoff = services.clock.now().astimezone(services.config.tz).date() - timedelta(
        days=RETENTION_DAYS
    )
    removed = 0
    while True:
        chats = await services.residents.expired(cutoff.isoformat())
        if not chats:
            break
        for chat_id in chats:
            await forget_everything(services, chat_id)
            removed += 1
    if removed:
        logger.info("Retention: deleted %d residents unseen for %d days", removed, RETENTION_DAYS)
    return removed


async def _purge_job(context: BotContext) -> None:
    await purge_expired(context.services)


def _handlers(services: Services) -> Sequence[Handler]:
    return ((TypeHandler(Update, note_seen, block=True), Group.SEEN),)


def _jobs(jq: JobQueue[Any], services: Services) -> None:
    daily(jq, _purge_job, time(3, 30, tzinfo=services.config.tz), "retention:purge")


FEATURE = Feature(name="retention", handlers=_handlers, jobs=_jobs)
