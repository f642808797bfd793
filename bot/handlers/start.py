"""/start (with deep links for leaflets' QR codes), /help and /stop."""

from __future__ import annotations

import re

from telegram import Update

from bot.context import BotContext
from bot.features import Feature
from bot.handlers.areas import area_chosen, ask_for_area, consent_keyboard
from bot.handlers.common import chat_id, now, reply, texts
from bot.handlers.console import INVITE_PREFIX, accept_invite
from bot.handlers.navigation import send_menu, show_menu
from bot.handlers.registry import Command, allowed
from bot.handlers.stale import ask
from bot.handlers.surveys import start_from_link
from bot.render.text import e

DEEP_LINK = re.compile(r"^(nag|survey)_([a-z0-9_-]{1,40})$")


async def start(update: Update, context: BotContext) -> None:
    """Welcome the resident; a nag_<id> deep link pre-selects that NAG and records the source."""
    s = context.services
    t = texts(context)
    payload = context.args[0] if context.args else ""
    if payload.startswith(INVITE_PREFIX):  # an officer's invitation from the console
        await accept_invite(update, context, payload.removeprefix(INVITE_PREFIX))
        return
    m = DEEP_LINK.match(payload)
    source = None
    nag = None
    if m and m.group(1) == "nag":
        nag = s.content.nag_by_id.get(m.group(2))
        source = f"qr:{m.group(2)}" if nag else None
    elif m and m.group(1) == "survey":
        source = f"survey:{m.group(2)}"
    elif payload:
        source = "link"
    # One statement: a resident who already chose an area is one who has been here before.
    resident = await s.residents.touch(chat_id(update), now(context), source=source)
    if m and m.group(1) == "survey":
        await start_from_link(update, context, m.group(2))
        return
    if nag is not None:
        await reply(update, t.get("start.welcome_qr", name=e(nag.name)))
        await area_chosen(update, context, nag, say_so=False)
        return
    if resident.nag_id and resident.nag_id in s.content.nag_by_id:
        name = s.content.nag_by_id[resident.nag_id].name
        back = t.get("start.welcome_back", name=e(name))
        if not resident.consent:
            # Someone who said no, or sent /stop, can opt in again from here.
            await reply(update, back)
            keyboard = consent_keyboard(context)
            await ask(update, context, "consent", t.get("consent.ask", name=e(name)), keyboard)
            return
        await send_menu(update, context, f"{back} {t.get('menu.prompt')}")
        return
    await welcome(update, context)


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


async def help_command(update: Update, context: BotContext) -> None:
    """What the bot does, in short, with the main menu; officers also get their commands."""
    t = texts(context)
    role = context.services.roster.role_of(
        update.effective_user.id if update.effective_user else None
    )
    lines = [
        f"/{c.name} – {e(t.get(c.text_key))}"
        for c in context.services.commands
        if c.in_menu and c.audience != "resident" and allowed(c.audience, role)
    ]
    if lines:
        await reply(update, t.get("help.officers", commands="\n".join(lines)))
    await send_menu(update, context, t.get("help.text"))


async def stop(update: Update, context: BotContext) -> None:
    """Opt out of campaign messages at once."""
    await context.services.residents.stop_messages(chat_id(update), now(context))
    await reply(update, texts(context).get("stop.done"))


FEATURE = Feature(
    name="start",
    commands=(Command("start", start), Command("help", help_command), Command("stop", stop)),
    intents={"greeting": hello, "help": help_command},
)
