"""/privacy, /mydata (everything stored, sent back) and /forget (erase after confirming)."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import Application

from bot import callback_data as cd
from bot.context import BotContext
from bot.handlers.common import answer, edit_or_send, on_button, pressed, reply, texts
from bot.handlers.registry import Command
from bot.render.text import e


async def privacy_command(update: Update, context: BotContext) -> None:
    """What is stored, why, for how long, and who to contact."""
    await reply(update, texts(context).get("privacy.text"))


async def mydata_command(update: Update, context: BotContext) -> None:
    """Send back everything stored about this resident."""
    s = context.services
    t = texts(context)
    resident = await s.residents.get(update.effective_chat.id)
    if resident is None:
        await reply(update, t.get("mydata.none"))
        return
    nag = s.content.nag_by_id.get(resident.nag_id or "")
    yes, no = t.get("common.yes"), t.get("common.no")
    lines = [
        t.get("mydata.header"),
        t.get("mydata.chat_id", value=resident.chat_id),
        t.get("mydata.nag", value=e(nag.name if nag else resident.nag_id or "—")),
        t.get("mydata.language", value=e(resident.language)),
        t.get(
            "mydata.consent",
            value=yes if resident.consent else no,
            at=e(resident.consent_at or "—"),
        ),
        t.get("mydata.reminders", value=yes if resident.remind_meetings else no),
        t.get("mydata.source", value=e(resident.source or "—")),
        t.get("mydata.active", value=yes if resident.active else no),
        t.get("mydata.created", value=e(resident.created_at)),
        t.get("mydata.last_seen", value=e(resident.last_seen or resident.created_at[:10])),
    ]
    for extra in s.hooks.mydata_sections:
        lines.extend(await extra(resident.chat_id, t))
    lines.append(t.get("mydata.footer"))
    await reply(update, "\n".join(lines))


async def forget_command(update: Update, context: BotContext) -> None:
    """Ask before deleting everything."""
    t = texts(context)
    keyboard = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    t.get("button.forget_yes"), callback_data=cd.Forget(True).pack()
                ),
                InlineKeyboardButton(
                    t.get("button.forget_no"), callback_data=cd.Forget(False).pack()
                ),
            ]
        ]
    )
    await reply(update, t.get("forget.confirm"), keyboard)


async def on_forget(update: Update, context: BotContext) -> None:
    data = pressed(update, cd.Forget)
    t = texts(context)
    await answer(update)
    if data is None or not data.yes:
        await edit_or_send(update, t.get("forget.cancelled"))
        return
    s = context.services
    chat_id = update.effective_chat.id
    for eraser in s.hooks.erasers:
        await eraser(chat_id)
    await s.residents.delete(chat_id)
    await edit_or_send(update, t.get("forget.done"))


COMMANDS = [
    Command("privacy", privacy_command),
    Command("mydata", mydata_command),
    Command("forget", forget_command),
]


def register(app: Application) -> None:
    app.add_handler(on_button(cd.Forget, on_forget))
