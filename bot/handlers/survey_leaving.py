"""Leaving a survey: "stop" or /cancel, asking first when saved answers would be deleted, and
stopping a change of a finished survey's answers (split from bot/handlers/surveys.py). What
stopping does is bot/services/answering.py's; this module asks, calls and says.
"""

from __future__ import annotations

import logging

from telegram import InlineKeyboardMarkup, Update

from bot import callback_data as cd
from bot.content.keys import TextKey
from bot.content.surveys import Survey
from bot.context import BotContext
from bot.handlers.common import (
    answer,
    chat_id,
    now,
    pressed,
    remove_buttons,
    reply,
    texts,
)
from bot.handlers.survey_data import respondent_key
from bot.handlers.survey_screen import (
    edit,
    ensure_shown,
    heading,
    pressed_message,
    say,
    today,
)
from bot.render.keyboards import button
from bot.render.text import (
    answered_text,
    closed_text,
    e,
)
from bot.services import answering as sa
from storage.surveys import Response

logger = logging.getLogger(__name__)


async def leave(update: Update, context: BotContext, resp: Response, survey: Survey) -> None:
    """ "stop" or /cancel in a survey: leave at once when no saved answer would be deleted,
    else ask first (the buttons hold the step, so they act only while it is still current)."""
    if not (await sa.leaving(context.services.surveys, survey, resp)).asks_first:
        await cancel(update, context, resp, survey)
        return
    t = texts(context)
    keyboard = InlineKeyboardMarkup(
        [
            [button(t.get("button.survey_leave"), cd.SurveyLeave(resp.id, resp.step, True))],
            [button(t.get("button.survey_stay"), cd.SurveyLeave(resp.id, resp.step, False))],
        ]
    )
    await reply(update, t.get("survey.leave_confirm", title=e(survey.title)), keyboard)


async def on_leave(update: Update, context: BotContext) -> None:
    """ "Leave and delete my answers" or "Carry on", if the survey is still where it was asked."""
    s = context.services
    t = texts(context)
    data = pressed(update, cd.SurveyLeave)
    resp = await s.surveys.get(data.response) if data else None
    survey = s.content.survey_by_id.get(resp.survey_id) if resp else None
    key = respondent_key(s, chat_id(update))
    if data is None or resp is None or survey is None or not sa.is_current(resp, key, data.step):
        # Answered, left or changed since: this question has moved on.
        await answer(update, t.get("common.moved_on"))
        await remove_buttons(update)
        return
    await answer(update)
    if data.leave:
        await cancel(update, context, resp, survey, in_message=pressed_message(update))
        return
    await say(update, context, t.get("survey.carry_on"), in_message=pressed_message(update))
    await ensure_shown(update, context, survey, resp)


async def cancel(
    update: Update,
    context: BotContext,
    resp: Response,
    survey: Survey,
    in_message: int | None = None,
) -> None:
    """Stop the survey in progress; stopping a change of answers keeps the answers if they
    still make a whole route (the survey stays answered), else it starts the survey afresh.
    Says so in `in_message` (the pressed confirm) when given."""
    s = context.services
    t = texts(context)
    q = survey.question(resp.current)
    left = await sa.stop(s.surveys, survey, resp, now(context), today(s))
    keep = left.keep
    if resp.message_id is not None and q is not None:
        if keep is not None and q.id in left.answers:
            closed = answered_text(t, q, left.answers[q.id], heading(t, survey, resp))
        else:
            closed = closed_text(q, t.get("survey.answered_stopped"), heading(t, survey, resp))
        await edit(context, chat_id(update), resp.message_id, closed)
    key: TextKey = "survey.change_stopped" if keep is not None else "survey.cancelled"
    await say(update, context, t.get(key, title=e(survey.title)), in_message=in_message)


async def cancel_command(update: Update, context: BotContext) -> None:
    """Stop the survey in progress (asking first if its answers so far would be deleted)."""
    s = context.services
    resp = await s.surveys.current(respondent_key(s, chat_id(update)))
    survey = s.content.survey_by_id.get(resp.survey_id) if resp else None
    if resp is None or survey is None:
        await reply(update, texts(context).get("survey.nothing_to_cancel"))
        return
    await leave(update, context, resp, survey)
