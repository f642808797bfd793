"""Anything outside a flow: free text, stickers and photos, unknown commands."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, MessageHandler, filters

from bot.context import BotContext
from bot.handlers.areas import search_text
from bot.handlers.common import answer, reply, texts
from bot.handlers.safety import signposted
from bot.render.text import echo


async def on_text(update: Update, context: BotContext) -> None:
    """Free text: (after the safeguarding check) an area search, then a helpful hint."""
    if signposted(update, context):
        return  # the help just sent is the answer; it is not an area or a question
    text = update.effective_message.text or ""
    if not text.strip():
        await reply(update, texts(context).get("fallback.empty"))
        return
    if await search_text(update, context, text):
        return
    await reply(update, texts(context).get("fallback.text", query=echo(text)))


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


def register_last(app: Application, group: int = 0) -> None:
    """Registered after every feature so that flows see messages first."""
    private = filters.ChatType.PRIVATE
    app.add_handler(MessageHandler(private & filters.COMMAND, on_unknown_command), group)
    app.add_handler(MessageHandler(private & filters.TEXT & ~filters.COMMAND, on_text), group)
    app.add_handler(
        MessageHandler(private & ~filters.TEXT & ~filters.StatusUpdate.ALL, on_other_message), group
    )
    app.add_handler(CallbackQueryHandler(on_unknown_button), group)
