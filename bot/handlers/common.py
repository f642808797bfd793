"""Small helpers shared by handlers: the resident's texts, replying, the current time."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from functools import wraps
from typing import Any, TypeVar

from telegram import Chat, Message, ReplyKeyboardRemove, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest
from telegram.ext import CallbackQueryHandler

from bot import callback_data as cd
from bot.content import Nag, Texts
from bot.context import BotContext
from bot.handlers.registry import allowed
from bot.render.text import split_message
from bot.telegram.sending import edit_buttons, edit_text, send_text


class NoChat(Exception):
    """A handler that needs a chat got an update without one (a programming error: every
    message handler is registered for private chats, and `on_button` stops chat-less presses)."""


def require_chat(update: Update) -> Chat:
    chat = update.effective_chat
    if chat is None:
        raise NoChat(type(update).__name__)
    return chat


def chat_id(update: Update) -> int:
    return require_chat(update).id


def message_text(update: Update) -> str:
    """The text of the update's message ("" for none)."""
    msg = update.effective_message
    return (msg.text or "") if msg is not None else ""


def chat_store(context: BotContext) -> dict[Any, Any]:
    """The chat's in-memory data (drafts of a wizard)."""
    if context.chat_data is None:
        raise NoChat("no chat_data")
    return context.chat_data


def texts(context: BotContext) -> Texts:
    """The texts in the language of this update's resident (bot/handlers/languages.py chose it
    first), each key falling back to English."""
    return context.services.texts()


def now(context: BotContext) -> datetime:
    return context.services.clock.now()


async def reply(update: Update, text: str, reply_markup=None) -> int | None:
    """Send to the update's chat, splitting over-long text; the keyboard goes on the last part.
    The id of the last message sent (None without a chat)."""
    chat = update.effective_chat
    if chat is None:
        return None
    parts = split_message([text])
    sent = None
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        sent = await send_text(chat.get_bot(), chat.id, part, reply_markup if last else None)
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
            msg = q.message
            await edit_text(q.get_bot(), msg.chat.id, msg.message_id, text, reply_markup)
            return
        except BadRequest as exc:
            if "not modified" in str(exc).lower():
                return
    await reply(update, text, reply_markup)


async def remove_buttons(update: Update) -> None:
    """Take the inline buttons off the pressed message (it keeps its text)."""
    q = update.callback_query
    if q is not None and isinstance(q.message, Message):
        try:
            await edit_buttons(q.get_bot(), q.message.chat.id, q.message.message_id)
        except BadRequest:  # already without buttons, or too old to edit: nothing to tidy
            pass


def officer_id(update: Update, context: BotContext) -> int | None:
    """The sender's user id if they are an officer or admin (checked on every press: buttons
    can be forwarded)."""
    user = update.effective_user
    role = context.services.roster.role_of(user.id if user else None)
    return user.id if user is not None and allowed("officer", role) else None


D = TypeVar("D", bound=cd.CallbackData)


def pressed(update: Update, kind: type[D]) -> D | None:
    """The typed data of the pressed button (None if it is not this kind of button)."""
    q = update.callback_query
    return kind.unpack(q.data) if q is not None else None


ButtonCallback = Callable[[Update, BotContext], Awaitable[None]]


def on_button(
    kind: type[cd.CallbackData], callback: ButtonCallback
) -> CallbackQueryHandler[Any, Any]:
    """One handler for one kind of button. A press without a chat (a button on an inline message,
    or forged) is answered as out of date and goes no further, so no handler meets one."""

    @wraps(callback)
    async def guarded(update: Update, context: BotContext) -> None:
        if update.effective_chat is None:
            await answer(update, texts(context).get("common.stale_button"))
            return
        await callback(update, context)

    return CallbackQueryHandler(guarded, pattern=kind.filter())


async def pressed_nag(
    update: Update, context: BotContext, kind: type[cd.Area | cd.Calendar | cd.Remind | cd.Meetings]
) -> Nag | None:
    """The NAG named by a pressed button; answers the press (out of date if the NAG is gone)."""
    data = pressed(update, kind)
    nag = context.services.content.nag_by_id.get(data.nag) if data else None
    await answer(update, None if nag else texts(context).get("common.stale_button"))
    return nag
