"""Plain questions that are not commands: what a NAG is, how to join, who the local officers
are, the calendar file, the minutes, feedback, council matters and questions outside the bot's job.

Each is an intent (content/intents.yaml and content/examples/) answered in one short message from
the content: the resident's own group where one is set, with a button to go on. Nothing here
pretends to do what the bot cannot: a council matter gets the council's route, anything else an
honest "I can't help with that" and what the bot can do.
"""

from __future__ import annotations

from telegram import InlineKeyboardMarkup, InputFile, Update

from bot import callback_data as cd
from bot.content import Nag
from bot.content.keys import TextKey
from bot.context import BotContext
from bot.domain.calendar_file import meetings_ics
from bot.domain.meetings import upcoming
from bot.features import Feature
from bot.handlers.areas import ask_for_area
from bot.handlers.common import chat_id, now, reply, require_chat, texts
from bot.handlers.navigation import send_menu
from bot.render.keyboards import button
from bot.render.text import attr, contact_text, e, when

ICS_MEETINGS = 6


async def _own_nag(update: Update, context: BotContext) -> Nag | None:
    s = context.services
    resident = await s.residents.get(chat_id(update))
    if resident is None or resident.nag_id is None:
        return None
    return s.content.nag_by_id.get(resident.nag_id)


async def _own_nag_or_ask(update: Update, context: BotContext, why: TextKey) -> Nag | None:
    """The resident's group; without one, `why` they need an area, and the area question."""
    nag = await _own_nag(update, context)
    if nag is None:
        await reply(update, texts(context).get(why))
        await ask_for_area(update, context)
    return nag


def _card_button(context: BotContext) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[button(texts(context).get("button.menu_group"), cd.Menu("my_group"))]]
    )


async def what_is_nag(update: Update, context: BotContext) -> None:
    """What a Neighbourhood Action Group is, and the resident's own (or how to find it)."""
    t = texts(context)
    nag = await _own_nag(update, context)
    if nag is None:
        await reply(update, t.get("questions.what_is_nag") + "\n\n" + t.get("questions.find_yours"))
        return
    body = t.get("questions.what_is_nag") + "\n\n" + t.get("questions.yours", name=e(nag.name))
    await reply(update, body, _card_button(context))


async def join_group(update: Update, context: BotContext) -> None:
    """How to take part: anyone may come; the next meeting and who to contact."""
    t = texts(context)
    nag = await _own_nag_or_ask(update, context, "questions.join_no_area")
    if nag is None:
        return
    tz = context.services.config.tz
    meetings = upcoming(nag.meetings, now(context), tz, count=1)
    next_one = (
        t.get(
            "questions.join_next", when=e(when(t, meetings[0].start, tz)), venue=e(nag.venue.name)
        )
        if meetings
        else t.get("nag.card_no_meeting")
    )
    text = t.get("questions.join", name=e(nag.name), next=next_one, contact=contact_text(t, nag))
    await reply(update, text, _card_button(context))


async def local_officers(update: Update, context: BotContext) -> None:
    """The neighbourhood policing team for the resident's area (no personal names)."""
    t = texts(context)
    nag = await _own_nag_or_ask(update, context, "questions.officers_no_area")
    if nag is None:
        return
    await reply(
        update,
        t.get("questions.officers", name=e(nag.name), contact=contact_text(t, nag, links=False)),
        _card_button(context),
    )


async def calendar(update: Update, context: BotContext) -> None:
    """The .ics file of the resident's group's next meetings (as the card's button sends)."""
    t = texts(context)
    nag = await _own_nag_or_ask(update, context, "questions.calendar_no_area")
    if nag is None:
        return
    tz = context.services.config.tz
    meetings = upcoming(nag.meetings, now(context), tz, count=ICS_MEETINGS)
    if not meetings:
        await reply(update, t.get("nag.card_no_meeting"))
        return
    data = meetings_ics(nag, meetings, now(context), t.get("calendar.title", name=nag.name))
    await require_chat(update).send_document(
        InputFile(data, filename=f"{nag.id}-meetings.ics"),
        caption=t.get("calendar.caption", count=len(meetings)),
    )


async def minutes(update: Update, context: BotContext) -> None:
    """The group's published minutes where nags.yaml links them; otherwise who to ask."""
    t = texts(context)
    nag = await _own_nag_or_ask(update, context, "questions.minutes_no_area")
    if nag is None:
        return
    found = [x for x in nag.links if "minute" in x.title.lower()]
    if found:
        links = " · ".join(f'<a href="{attr(x.url)}">{e(x.title)}</a>' for x in found)
        await reply(update, t.get("questions.minutes", name=e(nag.name), links=links))
        return
    await reply(update, t.get("questions.minutes_none", contact=contact_text(t, nag, links=False)))


async def feedback(update: Update, context: BotContext) -> None:
    await reply(update, texts(context).get("questions.feedback"))


async def council(update: Update, context: BotContext) -> None:
    """Fly-tipping, noise, dogs, bins, lights: the council's route, not the police's."""
    await reply(update, texts(context).get("questions.council"))


async def out_of_scope(update: Update, context: BotContext) -> None:
    """An honest "not something I can do", then what the bot can do."""
    await send_menu(update, context, texts(context).get("questions.out_of_scope"))


FEATURE = Feature(
    name="plain questions",
    intents={
        "what_is_nag": what_is_nag,
        "join_group": join_group,
        "local_officers": local_officers,
        "calendar": calendar,
        "minutes": minutes,
        "feedback": feedback,
        "council": council,
        "out_of_scope": out_of_scope,
    },
)
