"""/campaigns: current and upcoming crime-prevention campaigns with their tips."""

from __future__ import annotations

from datetime import timedelta

from telegram import Update

from bot.context import BotContext
from bot.features import Feature
from bot.handlers.common import now, reply, texts
from bot.handlers.registry import Command
from bot.render.text import campaign_text, split_message

UPCOMING_DAYS = 60


async def campaigns_command(update: Update, context: BotContext) -> None:
    """Send current campaigns, then those starting within the next two months."""
    s = context.services
    t = texts(context)
    today = now(context).astimezone(s.config.tz).date()
    runs = []
    for c in s.content.campaigns:
        run = c.occurrence(today)
        if run and run[0] <= today + timedelta(days=UPCOMING_DAYS):
            runs.append((run, c))
    runs.sort(key=lambda x: x[0][0])
    if not runs:
        await reply(update, t.get("campaigns.none"))
        return
    blocks = [t.get("campaigns.header")] + [campaign_text(t, c, run, today) for run, c in runs]
    for part in split_message(blocks):
        await reply(update, part)


FEATURE = Feature(name="campaigns", commands=(Command("campaigns", campaigns_command),))
