"""Retention: remember the day each resident last used the bot; delete those gone a year.
What is written and deleted is bot/services/retention.py's; this module wires it to updates
and to jobs.

/privacy promises deletion 12 months after last use; this module keeps that promise. The
"last seen" day is noted in memory at most once a day per chat (signing up counts as being
seen), so it costs one set lookup per update; a job writes the noted days every minute in one
transaction (and the database writes what is left when it closes). The write is best effort: it
waits only briefly for a database lock, and a refusal is logged, not shown; the days stay noted
for the next minute. A kill -9 loses at most the last minute's days: the resident's next day
of use is noted again, and retention counts a year, not a minute.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import time
from functools import partial
from typing import Any

from telegram import Update
from telegram.ext import JobQueue, TypeHandler

from bot.context import BotContext, Services
from bot.features import Feature, Handler, daily
from bot.handlers.privacy import forget_everything
from bot.handlers.registry import Group
from bot.services import retention


async def note_seen(update: Update, context: BotContext) -> None:
    """Record today's date for the sender's private chat (once a day)."""
    chat = update.effective_chat
    if chat is None or chat.type != "private":
        return
    s = context.services
    today = s.clock.now().astimezone(s.config.tz).date()
    retention.note_seen(s.residents, s.seen, chat.id, today)


async def flush_seen(services: Services) -> int:
    """Write the last-seen days noted since the last flush (best effort)."""
    return await retention.flush_seen(services.db, services.residents)


async def _flush_job(context: BotContext) -> None:
    await flush_seen(context.services)


async def purge_expired(services: Services) -> int:
    """Delete every resident unseen for a year (retention.RETENTION_DAYS), with their
    features' data."""
    today = services.clock.now().astimezone(services.config.tz).date()
    return await retention.purge_expired(
        services.residents, partial(forget_everything, services), today
    )


async def _purge_job(context: BotContext) -> None:
    await purge_expired(context.services)


def _handlers(services: Services) -> Sequence[Handler]:
    return ((TypeHandler(Update, note_seen, block=True), Group.SEEN),)


def _jobs(jq: JobQueue[Any], services: Services) -> None:
    daily(jq, _purge_job, time(3, 30, tzinfo=services.config.tz), "retention:purge")
    jq.run_repeating(
        _flush_job, retention.SEEN_FLUSH_S, first=retention.SEEN_FLUSH_S, name="retention:seen"
    )


FEATURE = Feature(name="retention", handlers=_handlers, jobs=_jobs)
