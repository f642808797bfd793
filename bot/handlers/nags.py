"""/nag (the NAG card), /meetings, the calendar file and the meeting reminder opt-in."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Update
from telegram.error import BadRequest

from bot import callback_data as cd
from bot.content import Nag
from bot.context import BotContext, Services
from bot.domain.calendar_file import meetings_ics
from bot.domain.meetings import upcoming
from bot.features import Feature, Handler
from bot.handlers.areas import ask_for_area, offer_search_result
from bot.handlers.common import (
    answer,
    chat_id,
    now,
    on_button,
    pressed_nag,
    reply,
    require_chat,
    texts,
)
from bot.handlers.registry import Command, Group
from bot.render.keyboards import nag_choice_keyboard, nag_keyboard
from bot.render.text import meetings_text, nag_card

logger = logging.getLogger(__name__)

ICS_MEETINGS = 6


async def _my_nag(update: Update, context: BotContext) -> tuple[Nag | None, bool]:
    s = context.services
    resident = await s.residents.get(chat_id(update))
    if resident is None or resident.nag_id is None:
        return None, False
    return s.content.nag_by_id.get(resident.nag_id), resident.remind_meetings


async def nag_command(update: Update, context: BotContext) -> None:
    """Show the resident's NAG card with its buttons."""
    nag, reminders = await _my_nag(update, context)
    if nag is None:
        await reply(update, texts(context).get("nag.no_area"))
        await ask_for_area(update, context)
        return
    tz = context.services.config.tz
    meetings = upcoming(nag.meetings, now(context), tz, count=1)
    await reply(
        update,
        nag_card(texts(context), nag, meetings, tz),
        nag_keyboard(texts(context), nag, reminders),
    )


def _other_button(context: BotContext) -> InlineKeyboardMarkup:
    label = texts(context).get("button.other_nag")
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(label, callback_data=cd.OtherNags().pack())]]
    )


async def meetings_command(update: Update, context: BotContext) -> None:
    """Next three meetings of the resident's NAG; `/meetings <place>` looks up any NAG."""
    s = context.services
    if context.args:
        query = " ".join(context.args)
        result = s.areas.search(query[:100])
        if len(result.nags) == 1:
            await _send_meetings(update, context, result.nags[0])
            return
        if result.nags:
            await reply(
                update,
                texts(context).get("meetings.pick"),
                nag_choice_keyboard(result.nags, cd.Meetings),
            )
            return
        if not await offer_search_result(update, context, result):
            await reply(update, texts(context).get("meetings.not_found"), _other_button(context))
        return
    nag, _ = await _my_nag(update, context)
    if nag is None:
        await reply(update, texts(context).get("meetings.no_area"), _other_button(context))
        return
    await _send_meetings(update, context, nag, with_other=True)


async def _send_meetings(
    update: Update, context: BotContext, nag: Nag, with_other: bool = False
) -> None:
    tz = context.services.config.tz
    meetings = upcoming(nag.meetings, now(context), tz, count=3)
    markup = _other_button(context) if with_other else None
    await reply(update, meetings_text(texts(context), nag, meetings, tz), markup)


async def on_other(update: Update, context: BotContext) -> None:
    """List every NAG so the resident can look one up."""
    await answer(update)
    nags = sorted(context.services.content.nags, key=lambda n: n.name)
    await reply(
        update,
        texts(context).get("meetings.pick"),
        nag_choice_keyboard(nags, cd.Meetings, columns=2),
    )


async def on_meet(update: Update, context: BotContext) -> None:
    """Show the meetings of the NAG whose button was pressed."""
    nag = await pressed_nag(update, context, cd.Meetings)
    if nag is not None:
        await _send_meetings(update, context, nag)


async def on_calendar(update: Update, context: BotContext) -> None:
    """Send an .ics file of the NAG's coming meetings."""
    nag = await pressed_nag(update, context, cd.Calendar)
    if nag is None:
        return
    t = texts(context)
    tz = context.services.config.tz
    meetings = upcoming(nag.meetings, now(context), tz, count=ICS_MEETINGS)
    data = meetings_ics(nag, meetings, now(context), t.get("calendar.title", name=nag.name))
    await require_chat(update).send_document(
        InputFile(data, filename=f"{nag.id}-meetings.ics"),
        caption=t.get("calendar.caption", count=len(meetings)),
    )


async def on_remind(update: Update, context: BotContext) -> None:
    """Toggle "remind me the day before" for the resident's NAG meetings."""
    s = context.services
    chat_id = require_chat(update).id
    resident = await s.residents.get(chat_id)
    t = texts(context)
    if resident is None or resident.nag_id is None:
        await answer(update, t.get("common.stale_button"))
        return
    on = not resident.remind_meetings
    await s.residents.set_reminders(chat_id, on, now(context))
    await answer(update, t.get("remind.on" if on else "remind.off"))
    nag = s.content.nag_by_id.get(resident.nag_id)
    query = update.callback_query
    if nag is not None and query is not None and query.message is not None:
        try:
            await query.edit_message_reply_markup(nag_keyboard(t, nag, on))
        except BadRequest:  # an old or already updated card: the toggle itself was saved
            logger.debug("Could not redraw the NAG card's buttons")


def _handlers(services: Services) -> Sequence[Handler]:
    return (
        (on_button(cd.Calendar, on_calendar), Group.FEATURES),
        (on_button(cd.Remind, on_remind), Group.FEATURES),
        (on_button(cd.OtherNags, on_other), Group.FEATURES),
        (on_button(cd.Meetings, on_meet), Group.FEATURES),
    )


FEATURE = Feature(
    name="NAGs and meetings",
    commands=(Command("nag", nag_command), Command("meetings", meetings_command)),
    handlers=_handlers,
)
