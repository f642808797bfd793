"""The console's chat side: /console (officers) sends a one-time sign-in link, and an invitation
made in the console is opened here as /start invite-<token> (bot/handlers/start.py hands it on).

The link is the only secret: it goes to the officer's own private chat, works once, for 10
minutes, and only while they are still an officer (bot/services/access.py).
"""

from __future__ import annotations

import logging

from telegram import BotCommand, BotCommandScopeChat, Update
from telegram.error import TelegramError

from bot.context import BotContext
from bot.features import Feature
from bot.handlers.common import chat_id, now, reply, texts
from bot.handlers.registry import Command, allowed
from bot.render.text import e
from bot.services import access

logger = logging.getLogger(__name__)

INVITE_PREFIX = access.INVITE_PREFIX


async def console_command(update: Update, context: BotContext) -> None:
    """Officers: a one-time link that signs this officer in to the web console."""
    s = context.services
    t = texts(context)
    server = s.console_server
    if server is None:
        await reply(update, t.get("console.off"))
        return
    token = await access.issue_signin(s.console, s.roster, chat_id(update), now(context))
    if token is None:  # the role was checked by the command's guard; removed meanwhile
        await reply(update, t.get("console.refused"))
        return
    await reply(update, t.get("console.link", url=e(server.signin_url(token)), minutes=10))


async def accept_invite(update: Update, context: BotContext, token: str) -> None:
    """/start invite-<token>: whoever opens a live invitation becomes an officer."""
    s = context.services
    t = texts(context)
    user = chat_id(update)
    outcome = await access.accept_invite(s.console, s.roster, token, user, now(context))
    if outcome == "refused":
        await reply(update, t.get("console.invite_refused"))
        return
    if outcome == "already":
        await reply(update, t.get("console.invite_already"))
        return
    role = s.roster.role_of(user)
    await reply(update, t.get("console.invite_joined", role=e(role or "officer")))
    await _publish_menu(context, user)


async def _publish_menu(context: BotContext, user: int) -> None:
    """The new officer's command menu now, not at the next start."""
    s = context.services
    t = texts(context)
    role = s.roster.role_of(user)
    menu = [  # as bot/app.py's command_menu: s.commands is in menu order already
        BotCommand(c.name, t.get(c.text_key))
        for c in s.commands
        if c.in_menu and allowed(c.audience, role)
    ]
    try:
        await context.bot.set_my_commands(menu, scope=BotCommandScopeChat(user))
    except TelegramError as exc:
        logger.info("New officer's command menu not set: %s", exc)


FEATURE = Feature(
    name="console",
    commands=(Command("console", console_command, audience="officer"),),
    tables_without_personal_data={
        "console_officers": "officers invited through the console (staff, not residents)",
        "console_links": "one-time sign-in and invitation links, hashed (staff only)",
        "console_sessions": "officers' console sessions, hashed (staff only)",
        "console_audit": "officers' console actions, for accountability (staff only)",
    },
)
