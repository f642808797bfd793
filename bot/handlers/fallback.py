"""Anything outside a flow: free text, stickers and photos, unknown commands."""

from __future__ import annotations

from collections.abc import Sequence

from telegram import Update
from telegram.ext import CallbackQueryHandler, MessageHandler, filters

from bot.context import BotContext, Services
from bot.features import Feature, Handler
from bot.handlers.areas import ask_again_no_area, leave_area_question, search_text
from bot.handlers.common import answer, chat_id, message_text, reply, texts
from bot.handlers.greeting import greet, hello
from bot.handlers.languages import foreign_words, switch_words
from bot.handlers.menu import answer_intent
from bot.handlers.navigation import send_menu
from bot.handlers.registry import Group
from bot.handlers.safety import signposted
from bot.render.text import echo

MAX_WORDS_TEXT = 500  # characters of a message read for plain words (a long story is not one)


async def on_text(update: Update, context: BotContext) -> None:
    """Free text, after the safeguarding check: plain words (content/intents.yaml), then an
    area search, then a fallback that depends on where the resident is."""
    text = message_text(update)
    intent = context.services.understanding.intent(text[:MAX_WORDS_TEXT])
    if signposted(update, context):
        # The help just sent is the answer; it is not an area or a question. Only a bare "help"
        # (the danger answer came first) also gets the menu, in case they meant the bot's help.
        if intent == "help":
            await answer_intent(update, context, "help")
        return
    if not text.strip():
        await reply(update, texts(context).get("fallback.empty"))
        return
    if await switch_words(update, context, text) or await foreign_words(update, context, text):
        return  # "po polsku"; or words in a language the bot does not speak: no feature guessed
    if intent == "change_area" and await search_text(update, context, text):
        return  # "I don't live in Fishermead any more", "we moved to Olney": the place decides
    if intent == "greeting" and context.services.intent_answers.get(intent) is hello:
        await greet(update, context)  # the area question left and asked again in one write
        return
    if intent is not None:
        if intent != "change_area" and intent in context.services.intent_answers:
            await leave_area_question(update, context)  # "change my area" asks it again
        if await answer_intent(update, context, intent):
            return
    if await search_text(update, context, text):
        return
    await not_understood(update, context, text)


async def not_understood(update: Update, context: BotContext, text: str) -> None:
    """With an area set, the menu (an area question left open has moved on); without one, the
    way to set it (the first thing to do)."""
    t = texts(context)
    resident = await context.services.residents.get(chat_id(update))
    if resident is not None and resident.nag_id is not None:
        await leave_area_question(update, context)
        await send_menu(update, context, t.get("fallback.text", query=echo(text)))
        return
    await ask_again_no_area(update, context, t.get("fallback.no_area", query=echo(text)))


async def on_other_message(update: Update, context: BotContext) -> None:
    """Stickers, photos, voice notes and the like (a worrying caption was answered already)."""
    if signposted(update, context):
        return
    await reply(update, texts(context).get("fallback.not_text"))


async def on_unknown_button(update: Update, context: BotContext) -> None:
    """Any button no feature recognises (forged, from an old version, or malformed): answered,
    so it never spins, and nothing else happens."""
    await answer(update, texts(context).get("common.stale_button"))


async def on_unknown_command(update: Update, context: BotContext) -> None:
    """Also the answer a resident gets for an officer-only command."""
    await reply(update, texts(context).get("fallback.unknown_command"))


def _handlers(services: Services) -> Sequence[Handler]:
    """Registered after every feature, so that flows see messages and buttons first."""
    private = filters.ChatType.PRIVATE
    other = private & ~filters.TEXT & ~filters.StatusUpdate.ALL
    return (
        (MessageHandler(private & filters.COMMAND, on_unknown_command), Group.FEATURES),
        (MessageHandler(private & filters.TEXT & ~filters.COMMAND, on_text), Group.FEATURES),
        (MessageHandler(other, on_other_message), Group.FEATURES),
        (CallbackQueryHandler(on_unknown_button), Group.FEATURES),
    )


FEATURE = Feature(name="fallback", handlers=_handlers)
