"""The broadcast wizard's draft (kept in the officer's chat_data, in memory: a draft lost to a
restart is simply started again) and the officers' typed UK date and time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.content.keys import TextKey
from bot.context import BotContext
from bot.domain.broadcasts import parse_uk_datetime
from bot.handlers.common import now
from bot.telegram.limits import MAX_MESSAGE
from storage.model import Audience

DRAFT = "broadcast_draft"
MAX_TEXT = MAX_MESSAGE
MAX_AHEAD = timedelta(days=366)  # a broadcast is planned at most a year ahead


@dataclass
class Draft:
    """An officer's broadcast being put together."""

    step: str = "content"  # content | text | image | audience | nags | time | preview | retime
    retime_id: int | None = None  # the scheduled broadcast whose time is being changed
    text: str | None = None  # final HTML, as residents will see it
    campaign: str | None = None  # the campaign message picked, if one was (its `on:` day)
    message: str | None = None
    image: str | None = None
    audience: Audience = field(default_factory=Audience)
    picks: list[str] = field(default_factory=list)
    send_at: datetime | None = None
    send_now: bool = False
    urgent: bool = False


def draft_of(context: BotContext) -> Draft | None:
    d = context.chat_data.get(DRAFT) if context.chat_data is not None else None
    return d if isinstance(d, Draft) else None


def parse_time(context: BotContext, raw: str) -> datetime | TextKey:
    """A typed UK date and time ahead (within MAX_AHEAD), or the text key saying what is wrong."""
    current = now(context)
    at = parse_uk_datetime(raw, current, context.services.config.tz)
    if at is None:
        return "broadcast.bad_time"
    if at <= current:
        return "broadcast.time_past"
    if at > current + MAX_AHEAD:
        return "broadcast.time_too_far"
    return at
