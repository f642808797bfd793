"""Surveys in the chat: /survey, the survey_<id> deep link, buttons and typed answers, /cancel.

Each answer is written to SQLite as it is given (storage/surveys.py), so a resident continues where
they left off after a restart or a week away. Flow rules live in bot/domain/surveys.py.

This module opens surveys (/survey, the link, the list's buttons, changing answers) and wires
the feature; showing a question is bot/handlers/survey_screen.py, answering
bot/handlers/survey_answers.py, leaving bot/handlers/survey_leaving.py.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from telegram import InlineKeyboardMarkup, Message, Update
from telegram.ext import Application, MessageHandler, filters

from bot import callback_data as cd
from bot.content.keys import TextKey
from bot.content.surveys import Survey
from bot.context import BotContext, Services, services_of
from bot.domain import surveys as dom
from bot.features import Feature, Handler, Privacy
from bot.handlers.areas import ask_for_area, consent_keyboard
from bot.handlers.common import (
    answer,
    chat_id,
    now,
    on_button,
    pressed,
    reply,
    require_chat,
    texts,
)
from bot.handlers.navigation import nag_of
from bot.handlers.registry import Command, Group
from bot.handlers.stale import ask
from bot.handlers.survey_answers import on_answer, on_back, on_done, on_message, on_skip, on_toggle
from bot.handlers.survey_data import collect, describe, erase, respondent_key
from bot.handlers.survey_leaving import cancel_command, on_leave
from bot.handlers.survey_screen import (
    pause_others,
    pressed_message,
    say,
    show,
    today,
)
from bot.render.keyboards import button
from bot.render.text import (
    date_words,
    e,
)
from bot.services import residents
from bot.services import surveys as sv

logger = logging.getLogger(__name__)

# Kinds of pending destination (the resident's row keeps "kind:argument" while the bot asks for
# their area first; bot/handlers/navigation.py carries them on).
TO_SURVEY = "survey"  # argument: the survey's id
TO_LIST = "surveys"  # the /survey list

NOTES: dict[sv.Note, TextKey] = {
    "in_progress": "survey.list_in_progress",
    "done": "survey.list_done",
}


# ---------------------------------------------------------------- opening a survey


async def open_survey(
    update: Update,
    context: BotContext,
    survey_id: str,
    *,
    via_link: bool,
    in_message: int | None = None,
) -> None:
    """Start, resume or refuse a survey for this resident, saying why (in `in_message`, the
    pressed /survey list, when given). What happens is bot/services/surveys.py's `opening`."""
    s = context.services
    t = texts(context)
    chat = require_chat(update).id
    survey = s.content.survey_by_id.get(survey_id)
    if survey is None:
        await say(update, context, t.get("survey.unknown"), in_message=in_message)
        return
    respondent = respondent_key(s, chat)
    resident = await s.residents.get(chat)
    nag = nag_of(s, resident)
    nag_id = nag.id if nag else None
    consent = resident is not None and resident.consent_at is not None
    o = await sv.opening(
        s.surveys, survey, respondent, nag_id, consent_answered=consent, day=today(s),
        via_link=via_link,
    )  # fmt: skip
    title = e(survey.title)
    if o.kind in ("closed", "upcoming"):
        key: TextKey = "survey.closed" if o.kind == "closed" else "survey.not_yet"
        text = t.get(key, title=title, opens=date_words(t, survey.opens))
        await say(update, context, text, in_message=in_message)
    elif o.kind == "ask_first":
        # It starts once the resident has given it (bot/handlers/navigation.py).
        assert o.need is not None
        await ask_first(update, context, o.need, f"{TO_SURVEY}:{survey.id}", survey.title)
    elif o.kind == "not_for_you":
        await say(update, context, t.get("survey.not_for_you", title=title), in_message=in_message)
    elif o.kind == "resume":
        assert o.existing is not None
        answers = await sv.resume(s.surveys, o.existing, now(context))
        await pause_others(update, context, respondent, o.existing.id)
        welcome = t.get("survey.resume")
        await show(
            update, context, survey, o.existing, answers, header=welcome, in_message=in_message
        )
    elif o.kind == "done":
        await _say_done(update, context, survey, in_message)
    else:
        resp = await sv.start(s.surveys, survey, respondent, nag_id, now(context))
        await pause_others(update, context, respondent, resp.id)
        # The intro goes above the first question, in the same message (see intro_above).
        await show(update, context, survey, resp, {}, in_message=in_message)


async def _say_done(
    update: Update, context: BotContext, survey: Survey, in_message: int | None
) -> None:
    """The survey was answered already: say so, offering to change the answers if it may."""
    t = texts(context)
    if survey.changeable:
        keyboard = InlineKeyboardMarkup(
            [[button(t.get("button.survey_change"), cd.SurveyChange(survey.id))]]
        )
        text = t.get("survey.done_changeable", title=e(survey.title))
        await say(update, context, text, keyboard, in_message=in_message)
    else:
        text = t.get("survey.already_done", title=e(survey.title))
        await say(update, context, text, in_message=in_message)


async def ask_first(
    update: Update, context: BotContext, need: dom.Need, destination: str, title: str
) -> None:
    """Ask for what a survey needs before it starts (the area, or the consent question once);
    the resident's row remembers where they were going, so it survives a restart."""
    s = context.services
    t = texts(context)
    resident = await residents.wait_for(s.residents, chat_id(update), destination, now(context))
    nag = nag_of(s, resident)
    if need == "area" or nag is None:
        await reply(update, t.get("survey.area_first", title=e(title)))
        await ask_for_area(update, context)
        return
    first = t.get("survey.consent_first", title=e(title))
    text = f"{first}\n{t.get('consent.ask', name=e(nag.name))}"
    await ask(update, context, "consent", text, consent_keyboard(context))


async def start_from_link(update: Update, context: BotContext, survey_id: str) -> None:
    """Deep link /start survey_<id>: open that survey directly (asking for the area first if
    it needs one)."""
    await open_survey(update, context, survey_id, via_link=True)


async def _go_to_survey(update: Update, context: BotContext, survey_id: str) -> None:
    """Carry on to the survey whose link was opened before the area was chosen."""
    await open_survey(update, context, survey_id, via_link=True)


async def _go_to_list(update: Update, context: BotContext, _: str) -> None:
    await survey_command(update, context)


async def survey_command(update: Update, context: BotContext) -> None:
    """List the surveys open to this resident (and any in progress)."""
    s = context.services
    t = texts(context)
    resident = await s.residents.get(chat_id(update))
    nag = nag_of(s, resident)
    nag_id = nag.id if nag else None
    key = respondent_key(s, chat_id(update))
    listing = await sv.listing(s.surveys, s.content.surveys, key, nag_id, today(s))
    if listing.need_area:
        # Ask for the area, then show the list.
        await residents.wait_for(s.residents, chat_id(update), f"{TO_LIST}:", now(context))
        await reply(update, t.get("survey.list_area_first"))
        await ask_for_area(update, context)
        return
    rows = []
    lines = [t.get("survey.list_header")]
    for survey, noted in listing.items:
        note = t.get(NOTES[noted]) if noted else ""
        lines.append(
            t.get(
                "survey.list_item",
                title=e(survey.title),
                closes=date_words(t, survey.closes),
                note=note,
            )
        )
        rows.append([button(survey.title, cd.SurveyOpen(survey.id))])
    if not rows:
        await reply(update, t.get("survey.list_none"))
        return
    await reply(update, "\n".join(lines), InlineKeyboardMarkup(rows))


async def on_open(update: Update, context: BotContext) -> None:
    """A survey chosen from the /survey list: the list message becomes the survey."""
    await answer(update)
    data = pressed(update, cd.SurveyOpen)
    await open_survey(
        update,
        context,
        data.survey if data else "",
        via_link=False,
        in_message=pressed_message(update),
    )


async def on_change(update: Update, context: BotContext) -> None:
    """Reopen a finished response of a survey that allows changing answers (in that message)."""
    s = context.services
    t = texts(context)
    await answer(update)
    data = pressed(update, cd.SurveyChange)
    survey = s.content.survey_by_id.get(data.survey) if data else None
    in_message = pressed_message(update)
    if survey is None or not survey.changeable or dom.status(survey, today(s)) != "open":
        await say(update, context, t.get("survey.change_stale"), in_message=in_message)
        return
    key = respondent_key(s, chat_id(update))
    reopened = await sv.reopen(s.surveys, survey, key, now(context))
    if reopened is None:
        # Already reopened from another message (or stopped since): carry on as /survey would.
        # The Change button was only offered to someone who had answered, link-only or not.
        await open_survey(update, context, survey.id, via_link=True, in_message=in_message)
        return
    await pause_others(update, context, key, reopened.resp.id)
    header = t.get("survey.changing")
    await show(
        update, context, survey, reopened.resp, reopened.answers, header=header,
        in_message=in_message,
    )  # fmt: skip


# ---------------------------------------------------------------- wiring


class InSurvey(filters.MessageFilter):
    """Matches a private message from a chat with a survey in progress (no database call)."""

    def __init__(self, services: Services) -> None:
        super().__init__(name="InSurvey")
        self.services = services

    def filter(self, message: Message) -> bool:
        if message.chat.type != "private":
            return False
        text = message.text or ""
        if text.startswith("/") and not text.lower().startswith("/cancel"):
            return False  # other commands keep working in the middle of a survey
        return self.services.surveys.is_open(respondent_key(self.services, message.chat.id))


async def _load_open(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Who has a survey in progress, for the message filter (no query per message)."""
    await services_of(app).surveys.load_open()


def _handlers(services: Services) -> Sequence[Handler]:
    buttons = (
        (cd.SurveyAnswer, on_answer),
        (cd.SurveyToggle, on_toggle),
        (cd.SurveyDone, on_done),
        (cd.SurveyBack, on_back),
        (cd.SurveySkip, on_skip),
        (cd.SurveyOpen, on_open),
        (cd.SurveyChange, on_change),
        (cd.SurveyLeave, on_leave),
    )
    out: list[Handler] = [(on_button(kind, cb), Group.FEATURES) for kind, cb in buttons]
    answers = MessageHandler(InSurvey(services) & ~filters.StatusUpdate.ALL, on_message)
    out.append((answers, Group.FEATURES))
    return out


FEATURE = Feature(
    name="surveys",
    commands=(
        Command("survey", survey_command),
        Command("cancel", cancel_command, in_menu=False),  # only meaningful inside a survey
    ),
    handlers=_handlers,
    intents={"surveys": survey_command},
    destinations={TO_SURVEY: _go_to_survey, TO_LIST: _go_to_list},
    on_start=_load_open,
    privacy=Privacy(
        section="surveys",
        tables=("survey_responses", "survey_answers", "survey_completions"),
        collect=collect,
        describe=describe,
        erase=erase,
    ),
)
