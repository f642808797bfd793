"""/start (with deep links for leaflets' QR codes), /help and /stop. Officers' plain /start and
/help say what officers can do (their commands), not the residents' welcome and menu; a deep
link still opens as it does for a resident (an officer trying a leaflet's QR code)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from telegram import Update

from bot import callback_data as cd
from bot.context import BotContext, Services
from bot.features import Feature, Handler
from bot.handlers.areas import area_chosen, consent_keyboard
from bot.handlers.common import (
    answer,
    chat_id,
    now,
    on_button,
    pressed,
    remove_buttons,
    reply,
    texts,
)
from bot.handlers.console import INVITE_PREFIX, accept_invite
from bot.handlers.greeting import hello, welcome
from bot.handlers.languages import language_keyboard, set_language
from bot.handlers.navigation import send_menu
from bot.handlers.registry import Command, Group, allowed
from bot.handlers.stale import ask
from bot.handlers.surveys import start_from_link
from bot.render.text import e
from bot.services.languages import ask_language, language_answered
from storage.residents import Resident

DEEP_LINK = re.compile(r"^(nag|survey)_([a-z0-9_-]{1,40})$")


def _officer_commands(update: Update, context: BotContext) -> str | None:
    """The sender's officer commands, one a line; None for a resident."""
    t = texts(context)
    role = context.services.roster.role_of(
        update.effective_user.id if update.effective_user else None
    )
    lines = [
        f"/{c.name} – {e(t.get(c.text_key))}"
        for c in context.services.commands
        if c.in_menu and c.audience != "resident" and allowed(c.audience, role)
    ]
    return "\n".join(lines) if lines else None


async def start(update: Update, context: BotContext) -> None:
    """Welcome the resident; a nag_<id> deep link pre-selects that NAG and records the source."""
    await begin(update, context, context.args[0] if context.args else "")


async def begin(update: Update, context: BotContext, payload: str) -> None:
    """/start with its deep link (after the language question, when one was asked)."""
    s = context.services
    t = texts(context)
    if payload.startswith(INVITE_PREFIX):  # an officer's invitation from the console
        await accept_invite(update, context, payload.removeprefix(INVITE_PREFIX))
        return
    commands = None if payload else _officer_commands(update, context)
    if commands is not None:
        await reply(update, t.get("officer.start", commands=commands))
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
    if await offer_language(update, context, resident, payload):
        return
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


async def offer_language(
    update: Update, context: BotContext, resident: Resident, payload: str
) -> bool:
    """Someone new whose Telegram app uses a language the bot offers: "Polski? / English?"
    first, asked once (the question and the deep link they opened are kept in their row, so
    a restart neither loses nor repeats it; the choice can be changed in /settings)."""
    user = update.effective_user
    code = (user.language_code or "").split("-")[0].lower() if user else ""
    s = context.services
    offered = {x.code for x in s.offered()}
    if code == "en" or code not in offered or resident.language == code or resident.nag_id:
        return False
    if not await ask_language(s.residents, resident, code, payload):
        return False  # asked before
    question = "\n".join(s.texts(x).get("language.offer") for x in (code, "en"))
    await reply(update, question, language_keyboard(s, cd.LanguageStart, code))
    return True


async def on_language_start(update: Update, context: BotContext) -> None:
    """The answer to "Polski? / English?": stored, then the welcome in that language (and the
    deep link they opened); a second press only sets the language."""
    data = pressed(update, cd.LanguageStart)
    s = context.services
    if data is None or data.lang not in {x.code for x in s.offered()}:
        await answer(update, texts(context).get("common.stale_button"))
        return
    await remove_buttons(update)
    payload = await language_answered(s.residents, chat_id(update))
    await set_language(update, context, data.lang)
    if payload is None:
        await answer(update, texts(context).get("language.chosen"))
        return
    await answer(update)
    await begin(update, context, payload)


async def help_command(update: Update, context: BotContext) -> None:
    """What the bot does, in short, with the main menu; officers get what they can do."""
    t = texts(context)
    commands = _officer_commands(update, context)
    if commands is not None:
        text = f"{t.get('help.officers', commands=commands)}\n\n{t.get('officer.help')}"
        await reply(update, text)
        return
    await send_menu(update, context, t.get("help.text"))


async def stop(update: Update, context: BotContext) -> None:
    """Opt out of campaign messages at once."""
    await context.services.residents.stop_messages(chat_id(update), now(context))
    await reply(update, texts(context).get("stop.done"))


def _handlers(services: Services) -> Sequence[Handler]:
    return ((on_button(cd.LanguageStart, on_language_start), Group.FEATURES),)


FEATURE = Feature(
    name="start",
    commands=(Command("start", start), Command("help", help_command), Command("stop", stop)),
    handlers=_handlers,
    intents={"greeting": hello, "help": help_command},
)
