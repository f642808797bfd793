"""Fair under load: the per-chat budget's policy, wired into the update processor.

bot/telegram/processing.py holds the mechanism (a token bucket per chat, one line per chat, the
newest
surplus message kept); this module says who and what it applies to, from the bot's config and
content: officers are not budgeted, /stop and /forget jump the line, a message the safeguarding
check answers is never dropped, and the slow-down line comes from content/texts.en.yaml.

Why 8 at once, then one every 6 s (10 a minute): a resident typing, or tapping through a survey
(a few seconds per question to read it), never reaches it, while a flood of 300 costs 9 answers
instead of 300. Sixty flooding accounts then need at most 60 x 10 / 60 = 10 replies a second
after their first burst, inside the share of Telegram's 30/s the pacer keeps for replies while a
broadcast sends (18; bot/telegram/pacing.py), and the pacer serves the least busy chats' replies
first
(`Pacer.chat_load` is this processor's `load`), so a resident asking one thing is not answered
after a flood.
"""

from __future__ import annotations

import logging
from typing import Any

from telegram import Update
from telegram.error import Forbidden, TelegramError
from telegram.ext import Application

from bot.context import Services
from bot.handlers.safety import free_text
from bot.telegram.pacing import Pacer
from bot.telegram.processing import BACKLOG, BURST, REFILL_S, PerChatOrderedProcessor

logger = logging.getLogger(__name__)

PRIORITY_COMMANDS = frozenset({"stop", "forget"})  # a resident leaving is never kept waiting


def command_of(update: Update) -> str | None:
    """The /command a message starts with (without @botname), else None."""
    msg = update.message
    text = msg.text if msg is not None else None
    if not text or not text.startswith("/"):
        return None
    return text[1:].split(maxsplit=1)[0].partition("@")[0].lower() if len(text) > 1 else None


def is_priority(update: Update) -> bool:
    return command_of(update) in PRIORITY_COMMANDS


def is_officer(services: Services, update: Update) -> bool:
    user = update.effective_user
    return services.roster.role_of(user.id if user is not None else None) is not None


def is_urgent(services: Services, update: Update) -> bool:
    """Whether the safeguarding check answers this message (its result is memoised, so the
    check the handler makes next costs nothing more)."""
    text = free_text(update)
    return bool(text.strip()) and bool(services.understanding.topics(text))


def install(app: Application[Any, Any, Any, Any, Any, Any], services: Services) -> None:
    """Turn on the budget in the bot's update processor (when it is ours)."""
    processor = app.update_processor
    if not isinstance(processor, PerChatOrderedProcessor):
        return
    processor.burst, processor.refill_s, processor.backlog = BURST, REFILL_S, BACKLOG
    processor.exempt = lambda update: is_officer(services, update)
    processor.priority = is_priority
    processor.urgent = lambda update: is_urgent(services, update)

    async def slow_down(chat_id: int) -> None:
        # Said before any handler has chosen the update's language: the resident's as last
        # known in memory (no database read for a chat that is over its budget).
        lang = services.languages.get(chat_id) or "en"
        if lang not in {x.code for x in services.offered()}:
            lang = "en"
        try:
            await app.bot.send_message(chat_id, services.texts(lang).get("common.slow_down"))
        except Forbidden:
            pass  # blocked the bot meanwhile: nothing to tell them
        except TelegramError as exc:
            logger.info("Slow-down line not sent: %s", type(exc).__name__)

    processor.on_slow_down = slow_down
    pacer = getattr(app.bot, "rate_limiter", None)
    if isinstance(pacer, Pacer):
        # Waiting replies go least-busy chat first: a flooding account's answers wait behind
        # a resident asking one thing.
        pacer.chat_load = processor.load
