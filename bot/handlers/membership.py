"""my_chat_member: a resident who blocks the bot becomes inactive; unblocking re-activates."""

from __future__ import annotations

from telegram import ChatMember, Update
from telegram.ext import Application, ChatMemberHandler

from bot.context import BotContext
from bot.handlers.common import now


async def on_my_chat_member(update: Update, context: BotContext) -> None:
    """Track whether the bot can still message this private chat."""
    change = update.my_chat_member
    if change is None or change.chat.type != "private":
        return
    status = change.new_chat_member.status
    active = status not in (ChatMember.BANNED, ChatMember.LEFT)
    await context.services.residents.set_active(change.chat.id, active, now(context))


def register(app: Application) -> None:
    app.add_handler(ChatMemberHandler(on_my_chat_member, ChatMemberHandler.MY_CHAT_MEMBER))
