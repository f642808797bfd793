"""The main menu: buttons for what most residents come for (next meeting, their local group,
tips, surveys, settings). A button does exactly what the same words typed would do: each is an
intent id, answered by the feature that declared it (`Feature.intents`, see
bot/handlers/menu.py). Only the newest menu keeps its buttons, so the chat never fills with
old menus. Every flow that ends (an area chosen, consent given, /help) ends here, unless the
resident came in by a door that needed those first (a survey link): then the bot carries on to
where they were going instead (`carry_on`).
"""

from __future__ import annotations

import logging
from functools import lru_cache

from telegram import InlineKeyboardMarkup, Update
from telegram.error import TelegramError

from bot import callback_data as cd
from bot.content import Nag, Texts
from bot.content.keys import TextKey
from bot.context import BotContext, Services
from bot.handlers.common import chat_id, chat_store, reply, require_chat, texts
from bot.render.keyboards import button
from bot.render.text import e
from bot.services import residents
from bot.telegram.sending import edit_buttons
from storage.residents import Resident

logger = logging.getLogger(__name__)

# (intent, button label): two to a row, the last alone.
MENU: tuple[tuple[str, TextKey], ...] = (
    ("next_meeting", "button.menu_meeting"),
    ("my_group", "button.menu_group"),
    ("campaigns", "button.menu_tips"),
    ("surveys", "button.menu_surveys"),
    ("settings", "button.menu_settings"),
)
LAST_MENU = "menu_message_id"  # chat_data: the menu that still has its buttons


@lru_cache(maxsize=16)  # one per language's texts: frozen, and sent as JSON made once (sending.py)
def menu_keyboard(t: Texts) -> InlineKeyboardMarkup:
    buttons = [button(t.get(label), cd.Menu(intent)) for intent, label in MENU]
    return InlineKeyboardMarkup([buttons[i : i + 2] for i in range(0, len(buttons), 2)])


async def send_menu(update: Update, context: BotContext, text: str) -> None:
    """Post `text` with the main menu, and take the buttons off the menu posted before."""
    store = chat_store(context)
    previous = store.pop(LAST_MENU, None)
    if previous is not None:
        try:
            await edit_buttons(context.bot, require_chat(update).id, previous)
        except TelegramError:  # deleted, too old, or already without buttons: nothing to tidy
            logger.debug("Could not take the buttons off an older menu")
    sent = await reply(update, text, menu_keyboard(texts(context)))
    if sent is not None:
        store[LAST_MENU] = sent


async def show_menu(
    update: Update, context: BotContext, key: TextKey = "menu.prompt", nag: Nag | None = None
) -> None:
    """The main menu under a short line (with the resident's area when one is set; a caller
    that already knows the area may pass it). A resident with somewhere to go that waited for
    their area and consent is carried on there instead."""
    t = texts(context)
    resident = await context.services.residents.get(chat_id(update))
    if await carry_on(update, context, resident):
        return
    if key != "menu.prompt":  # only the plain prompt names the area
        await send_menu(update, context, t.get(key))
        return
    if nag is None:
        nag = nag_of(context.services, resident)
    if nag is not None:
        await send_menu(update, context, t.get("menu.prompt_area", name=e(nag.short_name)))
    else:
        await send_menu(update, context, t.get(key))


def nag_of(services: Services, resident: Resident | None) -> Nag | None:
    return residents.nag_of(services.content.nag_by_id, resident)


async def carry_on(update: Update, context: BotContext, resident: Resident | None) -> bool:
    """Carry the resident on to the destination they were asked their area for (a survey link
    opened first), once they have an area and have answered the consent question; True if so.

    The destination is taken from the resident's row in one statement, so a button pressed
    twice carries on once; one no feature declares any more (an older version's) is dropped."""
    s = context.services
    taken = await residents.take_destination(s.residents, s.content.nag_by_id, resident)
    if taken is None:
        return False  # none, or still being asked: the menu, and the destination keeps waiting
    kind, argument = taken
    go = s.destinations.get(kind)
    if go is None:
        logger.info("A pending destination of an unknown kind was dropped: %s", kind)
        return False
    await go(update, context, argument)
    return True
