"""Small helpers shared by handlers: the resident's texts, replying, the current time."""

from __future__ import annotations

from datetime import datetime
from typing import TypeVar

from telegram import Message, ReplyKeyboardRemove, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest
from telegram.ext import CallbackQueryHandler

from bot import callback_data as cd
from bot.content import Nag, Texts
from bot.context import BotContext
from bot.handlers.registry import allowed
from bot.render.text import split_message


def texts(context: BotContext) -> Texts:
    # One language today; the resident's stored language picks the file when there are more.
    return context.services.texts("en")


def now(context: BotContext) -> datetime:
    return context.services.clock.now()


async def reply(update: Update, text: str, reply_markup=None) -> Message | None:
    """Send to the update's chat, splitting over-long text; the keyboard goes on the last part."""
    chat = update.effective_chat
    if chat is None:
        return None
    parts = split_message([text])
    sent = None
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        sent = await chat.send_message(
            part, parse_mode=ParseMode.HTML, reply_markup=reply_markup if last else None
        )
    return sent


async def reply_removing_keyboard(update: Update, text: str) -> None:
    chat = update.effective_chat
    if chat is not None:
        await chat.send_message(text, parse_mode=ParseMode.HTML, reply_markup=ReplyKeyboardRemove())


async def answer(update: Update, text: str | None = None) -> None:
    """Answer a button press (stops the spinner); an expired query is not an error."""
    if update.callback_query is None:
        return
    try:
        await update.callback_query.answer(text)
    except BadRequest as exc:
        if "query is too old" not in str(exc).lower() and "invalid" not in str(exc).lower():
            raise


async def edit_or_send(update: Update, text: str, reply_markup=None) -> None:
    """Replace the pressed message's text; fall back to a new message if it cannot be edited."""
    q = update.callback_query
    if q is not None and q.message is not None:
        try:
            await q.edit_message_text(text, parse_mode=ParseMode.HTML, reply_markup=reply_markup)
            return
        except BadRequest as exc:
            if "not modified" in str(exc).lower():
                return
    await reply(update, text, reply_markup)


def officer_id(update: Update, context: BotContext) -> int | None:
    """The sender's user id if they are an officer or admin (checked on every press: buttons
    can be forwarded)."""
    user = update.effective_user
    role = context.services.config.role_of(user.id if user else None)
    return user.id if user is not None and allowed("officer", role) else None


D = TypeVar("D", bound=cd.CallbackData)


def pressed(update: Update, kind: type[D]) -> D | None:
    """The typed data of the pressed button (None if it is not this kind of button)."""
    q = update.callback_query
    return kind.unpack(q.data) if q is not None else None


def on_button(kind: type[cd.CallbackData], callback: object) -> CallbackQueryHandler:
    """One handler for one kind of button."""
    return CallbackQueryHandler(callback, pattern=kind.filter())  # type: ignore[arg-type]


async def pressed_nag(
    update: Update, context: BotContext, kind: type[cd.Area | cd.Calendar | cd.Remind | cd.Meetings]
) -> Nag | None:
    """The NAG named by a pressed button; answers the press (out of date if the NAG is gone)."""
    data = pressed(update, kind)
    nag = context.services.content.nag_by_id.get(data.nag) if data else None
    await answer(update, None if nag else texts(context).get("common.stale_button"))
    return nag
