"""The main menu, /settings and plain words.

- The main menu's buttons (bot/handlers/navigation.py draws it): each is an intent id, answered
  here like the same words typed, by the feature that declared it (`Feature.intents`).
- /settings: area, campaign messages and meeting reminders, each a button that changes the
  setting and redraws the same message.
- "stop" typed: asks first (/stop itself acts at once, as the command menu says).
- Free text (bot/handlers/fallback.py) is routed through `answer_intent`.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from telegram import InlineKeyboardMarkup, Update

from bot import callback_data as cd
from bot.content import Texts
from bot.content.keys import TextKey
from bot.context import BotContext, Services
from bot.features import Feature, Handler
from bot.handlers.areas import ask_for_area, consent_keyboard
from bot.handlers.common import (
    answer,
    chat_id,
    edit_or_send,
    now,
    on_button,
    pressed,
    reply,
    require_chat,
    texts,
)
from bot.handlers.navigation import nag_of, show_menu
from bot.handlers.registry import Command, Group
from bot.handlers.stale import ask, moved_on, settle
from bot.render.keyboards import button
from bot.render.text import e
from bot.services import residents
from storage.residents import Resident

logger = logging.getLogger(__name__)


async def answer_intent(update: Update, context: BotContext, intent: str) -> bool:
    """Answer `intent` with the feature that declared it; False if none did."""
    callback = context.services.intent_answers.get(intent)
    if callback is None:
        logger.warning("No feature answers the intent %r (content/intents.yaml)", intent)
        return False
    await callback(update, context)
    return True


async def on_menu_button(update: Update, context: BotContext) -> None:
    data = pressed(update, cd.Menu)
    if data is None or data.intent not in context.services.intent_answers:
        await answer(update, texts(context).get("common.stale_button"))
        return
    await answer(update)
    await answer_intent(update, context, data.intent)


# ---------------------------------------------------------------- /settings


def _on_off(t: Texts, on: bool) -> str:
    return t.get("settings.on" if on else "settings.off")


def settings_screen(
    t: Texts, services: Services, resident: Resident | None
) -> tuple[str, InlineKeyboardMarkup]:
    nag = nag_of(services, resident)
    messages = bool(resident and resident.consent)
    reminders = bool(resident and resident.remind_meetings)
    text = t.get(
        "settings.text",
        area=e(nag.name) if nag else t.get("settings.no_area"),
        messages=_on_off(t, messages),
        reminders=_on_off(t, reminders),
    )
    # Each button sets the value it names (see cd.Setting), so a late or second press is safe.
    rows: list[tuple[TextKey, str, bool]] = [
        ("button.settings_area", "area", False),
        (
            "button.settings_messages_off" if messages else "button.settings_messages_on",
            "messages",
            not messages,
        ),
        (
            "button.settings_reminders_off" if reminders else "button.settings_reminders_on",
            "reminders",
            not reminders,
        ),
    ]
    keyboard = [[button(t.get(label), cd.Setting(item, on))] for label, item, on in rows]
    if len(services.offered()) > 1:  # bot/handlers/languages.py answers it
        label = t.get("button.settings_language", name=t.language.name)
        keyboard.append([button(label, cd.LanguageMenu())])
    return text, InlineKeyboardMarkup(keyboard)


async def settings_command(update: Update, context: BotContext) -> None:
    s = context.services
    resident = await s.residents.get(chat_id(update))
    text, keyboard = settings_screen(texts(context), s, resident)
    await reply(update, text, keyboard)


async def on_setting(update: Update, context: BotContext) -> None:
    """Change one setting and redraw the settings message in place."""
    s = context.services
    t = texts(context)
    data = pressed(update, cd.Setting)
    item = data.item if data else ""
    chat = require_chat(update).id
    if item == "area":
        await answer(update)
        await ask_for_area(update, context)
        return
    setting = residents.setting_of(item)
    if setting is None:
        await answer(update, t.get("common.stale_button"))
        return
    on = bool(data and data.on)
    changed = await residents.change_setting(s.residents, chat, setting, on, now(context))
    if changed.need_area:
        await answer(update, t.get("settings.need_area"))
        return
    toast: TextKey
    if setting == "messages":
        toast = "settings.messages_on" if on else "settings.messages_off"
    else:
        toast = "remind.on" if on else "remind.off"
    await answer(update, t.get(toast))
    text, keyboard = settings_screen(t, s, changed.resident)
    await edit_or_send(update, text, keyboard)


# ---------------------------------------------------------------- plain words


async def stop_words(update: Update, context: BotContext) -> None:
    """ "stop" typed: confirm first (a word in a sentence is not always a request)."""
    t = texts(context)
    resident = await context.services.residents.get(chat_id(update))
    if resident is None or not (resident.consent or resident.remind_meetings):
        await reply(update, t.get("stop.nothing"))
        return
    keyboard = InlineKeyboardMarkup(
        [
            [
                button(t.get("button.stop_yes"), cd.StopMessages(True)),
                button(t.get("button.stop_no"), cd.StopMessages(False)),
            ]
        ]
    )
    await ask(update, context, "stop", t.get("stop.confirm"), keyboard)


async def on_stop_confirm(update: Update, context: BotContext) -> None:
    """Yes or No under the "stop" question, if it is still the current one."""
    if not settle(update, context, "stop"):
        await moved_on(update, context)  # a late Yes must not undo messages turned on since
        return
    data = pressed(update, cd.StopMessages)
    t = texts(context)
    await answer(update)
    if data is None or not data.yes:
        await edit_or_send(update, t.get("stop.kept"))
        return
    await context.services.residents.stop_messages(chat_id(update), now(context))
    await edit_or_send(update, t.get("stop.done"))


async def start_words(update: Update, context: BotContext) -> None:
    """ "start the messages again": the consent question (after the area, if none yet)."""
    t = texts(context)
    resident = await context.services.residents.get(chat_id(update))
    nag = nag_of(context.services, resident)
    if nag is None:
        await ask_for_area(update, context)
    elif resident is not None and resident.consent:
        await reply(update, t.get("consent.already", name=e(nag.name)))
    else:
        keyboard = consent_keyboard(context)
        await ask(update, context, "consent", t.get("consent.ask", name=e(nag.name)), keyboard)


async def thanks_words(update: Update, context: BotContext) -> None:
    await reply(update, texts(context).get("menu.thanks"))


async def change_area_words(update: Update, context: BotContext) -> None:
    await ask_for_area(update, context)


async def menu_command(update: Update, context: BotContext) -> None:
    await show_menu(update, context)


def _handlers(services: Services) -> Sequence[Handler]:
    return (
        (on_button(cd.Menu, on_menu_button), Group.FEATURES),
        (on_button(cd.Setting, on_setting), Group.FEATURES),
        (on_button(cd.StopMessages, on_stop_confirm), Group.FEATURES),
    )


FEATURE = Feature(
    name="menu and settings",
    commands=(
        Command("settings", settings_command),
        Command("menu", menu_command, in_menu=False),
    ),
    handlers=_handlers,
    intents={
        "settings": settings_command,
        "reminders": settings_command,  # "remind me" / "no more reminders": the toggle is there
        "stop": stop_words,
        "subscribe": start_words,
        "thanks": thanks_words,
        "change_area": change_area_words,
    },
)
