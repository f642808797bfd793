"""my_chat_member: a resident who blocks the bot becomes inactive; unblocking re-activates."""

from __future__ import annotations

from collections.abc import Sequence

from telegram import ChatMember, Update
from telegram.ext import ChatMemberHandler

from bot.context import BotContext, Services
from bot.features import Feature, Handler
from bot.handlers.common import now
from bot.handlers.registry import Group
from bot.services import residents


async def on_my_chat_member(update: Update, context: BotContext) -> None:
    """Track whether the bot can still message this private chat."""
    change = update.my_chat_member
    if change is None or change.chat.type != "private":
        return
    status = change.new_chat_member.status
    active = status not in (ChatMember.BANNED, ChatMember.LEFT)
    await residents.reachable(context.services.residents, change.chat.id, active, now(context))


def _handlers(services: Services) -> Sequence[Handler]:
    member = ChatMemberHandler(on_my_chat_member, ChatMemberHandler.MY_CHAT_MEMBER)
    return ((member, Group.FEATURES),)


FEATURE = Feature(name="blocked or unblocked", handlers=_handlers)
