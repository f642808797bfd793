"""A greeting: the welcome and the area question for someone new or without an area, the menu
for someone with one. Apart from bot/handlers/start.py so that the free-text fallback
(bot/handlers/fallback.py) can greet without importing /start's deep links and surveys."""

from __future__ import annotations

from telegram import Update

from bot.context import BotContext
from bot.handlers.areas import ask_for_area, leave_area_question, send_area_question
from bot.handlers.common import chat_id, now, reply, texts
from bot.handlers.navigation import show_menu


async def welcome(update: Update, context: BotContext) -> None:
    """The first welcome, then the question every other answer depends on: which area."""
    await reply(update, texts(context).get("start.welcome"))
    await ask_for_area(update, context)


async def hello(update: Update, context: BotContext) -> None:
    """ "hi": the welcome for someone new, the menu for someone who has chosen an area.

    One statement, as /start makes: the same upsert records someone new and reads the rest."""
    s = context.services
    resident = await s.residents.touch(chat_id(update), now(context))
    if resident.nag_id is None or resident.nag_id not in s.content.nag_by_id:
        await welcome(update, context)
        return
    await show_menu(update, context, "menu.hello")


async def greet(update: Update, context: BotContext) -> None:
    """A greeting typed while an area question may be open (bot/handlers/fallback.py): what
    leaving the question and then `hello` do, with the fewest writes. Someone with an area:
    exactly that. Someone without one, or someone new: the question left, the resident touched
    and asked again in one statement (Residents.ask_area_again; the same row as the three
    statements it replaces), written before the welcome is sent, as the first of them was."""
    s = context.services
    chat = chat_id(update)
    resident = await s.residents.get(chat)
    if resident is not None and resident.nag_id in s.content.nag_by_id:
        await leave_area_question(update, context)
        await hello(update, context)
        return
    await s.residents.ask_area_again(chat, now(context))
    await reply(update, texts(context).get("start.welcome"))
    await send_area_question(update, context)
