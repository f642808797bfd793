"""/reload (admins): validate content/ like `safermk-bot check-content`; on success swap it in
and re-plan the campaign calendar, otherwise list the problems and keep the old content."""

from __future__ import annotations

from telegram import Update

from bot.context import BotContext
from bot.features import Feature
from bot.handlers.common import reply, texts
from bot.handlers.registry import Command
from bot.render.text import e
from bot.scheduling import reload_content


async def reload_command(update: Update, context: BotContext) -> None:
    """Admins: validate and reload content/, then re-plan the campaign calendar."""
    t = texts(context)
    problems = await reload_content(context.application)
    if problems:
        shown = "\n".join(e(p) for p in problems[:30])
        await reply(update, t.get("broadcast.reload_failed", count=len(problems), problems=shown))
        return
    c = context.services.content
    await reply(update, t.get("broadcast.reloaded", nags=len(c.nags), campaigns=len(c.campaigns)))


FEATURE = Feature(name="reload", commands=(Command("reload", reload_command, audience="admin"),))
