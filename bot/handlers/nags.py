"""/nag (the NAG card), /meetings, the calendar file and the meeting reminder opt-in."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from telegram import InlineKeyboardMarkup, InputFile, Message, Update
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
    edit_or_send,
    message_text,
    now,
    on_button,
    pressed,
    pressed_nag,
    reply,
    require_chat,
    texts,
)
from bot.handlers.registry import Command, Group
from bot.render.keyboards import button, meeting_keyboard, nag_choice_keyboard, nag_keyboard
from bot.render.text import meetings_text, nag_card, next_meeting_text
from bot.services import residents

logger = logging.getLogger(__name__)

ICS_MEETINGS = 6
PAGE = 8  # NAGs per page of the look-up list


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
    return InlineKeyboardMarkup([[button(label, cd.OtherNags())]])


async def meetings_command(update: Update, context: BotContext) -> None:
    """Next three meetings of the resident's NAG; `/meetings <place>` looks up any NAG."""
    s = context.services
    if context.args:
        query = " ".join(context.args)
        result = s.areas.search(query[:100], asking=True)  # a look-up names a place
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


def nag_page(context: BotContext, page: int) -> tuple[str, InlineKeyboardMarkup]:
    """One page of every NAG by short name, one per row, with Previous / Next."""
    t = texts(context)
    nags = sorted(context.services.content.nags, key=lambda n: n.short_name)
    pages = max(1, -(-len(nags) // PAGE))
    page = min(max(page, 0), pages - 1)
    more = []
    if page > 0:
        more.append(button(t.get("button.previous"), cd.NagPage(page - 1)))
    if page < pages - 1:
        more.append(button(t.get("button.next"), cd.NagPage(page + 1)))
    shown = nags[page * PAGE : (page + 1) * PAGE]
    text = t.get("meetings.pick_page", page=page + 1, pages=pages)
    return text, nag_choice_keyboard(shown, cd.Meetings, more)


async def on_other(update: Update, context: BotContext) -> None:
    """List every NAG (a page at a time) so the resident can look one up."""
    await answer(update)
    text, keyboard = nag_page(context, 0)
    await reply(update, text, keyboard)


async def on_nag_page(update: Update, context: BotContext) -> None:
    """Previous / Next on the list of every NAG: the same message shows the other page."""
    data = pressed(update, cd.NagPage)
    await answer(update)
    text, keyboard = nag_page(context, data.page if data else 0)
    await edit_or_send(update, text, keyboard)


async def next_meeting(update: Update, context: BotContext) -> None:
    """ "when's the next meeting?": a place named in the words wins ("when does Olney meet"),
    else the resident's own group (with Add to calendar and Remind me), else ask the area."""
    s = context.services
    t = texts(context)
    tz = s.config.tz
    named, _ = s.areas.named(message_text(update)) if message_text(update) else ((), False)
    mine, reminders = await _my_nag(update, context)
    if len(named) > 1:
        await reply(update, t.get("meetings.pick"), nag_choice_keyboard(named, cd.Meetings))
        return
    nag = named[0] if named else mine
    if nag is None:
        await reply(update, t.get("meetings.need_area"))
        await ask_for_area(update, context)
        return
    meetings = upcoming(nag.meetings, now(context), tz, count=1)
    keyboard = meeting_keyboard(t, nag, reminders if nag is mine else None)
    await reply(update, next_meeting_text(t, nag, meetings, tz), keyboard)


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
    resident = await residents.toggle_reminders(s.residents, chat_id, now(context))
    t = texts(context)
    if resident is None or resident.nag_id is None:
        await answer(update, t.get("common.stale_button"))
        return
    on = resident.remind_meetings
    await answer(update, t.get("remind.on" if on else "remind.off"))
    nag = s.content.nag_by_id.get(resident.nag_id)
    query = update.callback_query
    if nag is not None and query is not None and isinstance(query.message, Message):
        # Redraw the keyboard the press came from: the NAG card's, or a next meeting's.
        old = query.message.reply_markup
        card = old is not None and any(
            b.callback_data == cd.ChangeArea().pack() for row in old.inline_keyboard for b in row
        )
        markup = nag_keyboard(t, nag, on) if card else meeting_keyboard(t, nag, on)
        try:
            await query.edit_message_reply_markup(markup)
        except BadRequest:  # an old or already updated card: the toggle itself was saved
            logger.debug("Could not redraw the NAG card's buttons")


def _handlers(services: Services) -> Sequence[Handler]:
    return (
        (on_button(cd.Calendar, on_calendar), Group.FEATURES),
        (on_button(cd.Remind, on_remind), Group.FEATURES),
        (on_button(cd.OtherNags, on_other), Group.FEATURES),
        (on_button(cd.NagPage, on_nag_page), Group.FEATURES),
        (on_button(cd.Meetings, on_meet), Group.FEATURES),
    )


FEATURE = Feature(
    name="NAGs and meetings",
    commands=(Command("nag", nag_command), Command("meetings", meetings_command)),
    handlers=_handlers,
    intents={"next_meeting": next_meeting, "my_group": nag_command},
)
