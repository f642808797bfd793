"""Answering a survey in the chat: buttons (an option, a pick toggled, Done, Back, Skip) and
typed answers, each saved to SQLite as it is given (split from bot/handlers/surveys.py).

A press on anything but the current question records nothing. What an answer does (saved, the
next question, finished) is bot/services/answering.py's; flow rules (the next question, parsing
typed answers) live in bot/domain/surveys.py. This module parses, calls and renders.
"""

from __future__ import annotations

import logging
from typing import TypeVar

from telegram import Message, Update

from bot import callback_data as cd
from bot.context import BotContext
from bot.domain import surveys as dom
from bot.handlers import fallback
from bot.handlers.common import (
    answer,
    chat_id,
    now,
    pressed,
    reply,
    texts,
)
from bot.handlers.survey_data import respondent_key
from bot.handlers.survey_leaving import leave
from bot.handlers.survey_screen import (
    buttons_off,
    edit,
    ensure_shown,
    heading,
    pressed_message,
    show,
    today,
)
from bot.render.text import (
    answered_text,
    e,
)
from bot.services import answering as sa
from storage.surveys import Answer

logger = logging.getLogger(__name__)


async def advance(update: Update, context: BotContext, at: sa.OnQuestion, value: Answer) -> None:
    """Save the answer to the current question (bot/services/answering.py), show it under the
    question in place of the buttons, then ask the next question in a new message, or finish."""
    s = context.services
    t = texts(context)
    survey, resp, q = at.survey, at.resp, at.question
    done = await sa.give(s.surveys, at, value, now(context), today(s))
    answered = answered_text(t, q, value, heading(t, survey, resp))
    chat = chat_id(update)
    for message_id in dict.fromkeys((pressed_message(update), resp.message_id)):
        if message_id is not None:
            await edit(context, chat, message_id, answered)
    if done.moved is not None:
        await show(update, context, survey, done.moved, done.answers)
        return
    await reply(update, t.get("survey.thanks", thanks=e(survey.thanks)))


# The survey's buttons, each press typed as the kind asked for.
B = TypeVar("B", cd.SurveyAnswer, cd.SurveyToggle, cd.SurveyDone, cd.SurveyBack, cd.SurveySkip)


async def _pressed_question(
    update: Update, context: BotContext, kind: type[B]
) -> tuple[B, sa.OnQuestion] | None:
    """The button and the response on its question, for a press on the CURRENT question.

    A press on an old message (another step, a finished or someone else's response) never
    records anything: it would be a wrong answer. It gets a short pop-up, the old message loses
    its buttons, and the current question is posted again only if no message shows it any more.
    Returns None in that case (the press is already answered).
    """
    s = context.services
    data = pressed(update, kind)
    key = respondent_key(s, chat_id(update))
    surveys = s.content.survey_by_id
    at = await sa.pressed(s.surveys, surveys, key, data.response, data.step) if data else None
    if data is not None and at is not None:
        return data, at
    await answer(update, texts(context).get("survey.stale"))
    current = await s.surveys.current(key)
    pressed_in = pressed_message(update)
    if pressed_in is not None and (current is None or pressed_in != current.message_id):
        message = update.callback_query.message if update.callback_query else None
        if isinstance(message, Message) and message.reply_markup is not None:
            await buttons_off(context, chat_id(update), pressed_in)
    current_survey = surveys.get(current.survey_id) if current else None
    if current is not None and current_survey is not None and pressed_in != current.message_id:
        await ensure_shown(update, context, current_survey, current)
    return None


async def on_answer(update: Update, context: BotContext) -> None:
    """A single-press answer: a choice, yes/no or a rating."""
    pressed_q = await _pressed_question(update, context, cd.SurveyAnswer)
    if pressed_q is None:
        return
    data, at = pressed_q
    chosen = dom.button_answer(at.question, data.option)
    if chosen is None:
        await answer(update, texts(context).get("survey.stale"))
        return
    await answer(update)
    await advance(update, context, at, chosen)


async def on_toggle(update: Update, context: BotContext) -> None:
    """Add or remove one pick of a multi-choice or top-N question (redrawn in place)."""
    pressed_q = await _pressed_question(update, context, cd.SurveyToggle)
    if pressed_q is None:
        return
    data, at = pressed_q
    result = await sa.toggle(context.services.surveys, at, data.option, now(context))
    if isinstance(result, dom.Invalid):
        await answer(update, texts(context).get(result.key, **result.values))
        return
    await answer(update)
    in_message = pressed_message(update)
    await show(update, context, at.survey, result.resp, result.answers, in_message=in_message)


async def on_done(update: Update, context: BotContext) -> None:
    """Done pressed on a multi-choice or top-N question."""
    pressed_q = await _pressed_question(update, context, cd.SurveyDone)
    if pressed_q is None:
        return
    _, at = pressed_q
    picks = await sa.picks(context.services.surveys, at)
    if isinstance(picks, dom.Invalid):
        await answer(update, texts(context).get(picks.key, **picks.values))
        return
    await answer(update)
    await advance(update, context, at, picks or None)


async def on_back(update: Update, context: BotContext) -> None:
    """Back to the question asked before this one on the resident's route, in the same message."""
    pressed_q = await _pressed_question(update, context, cd.SurveyBack)
    if pressed_q is None:
        return
    _, at = pressed_q
    await answer(update)
    in_message = pressed_message(update)
    back = await sa.back(context.services.surveys, at, now(context), in_message)
    if back is not None:
        await show(update, context, at.survey, back.resp, back.answers, in_message=in_message)


async def on_skip(update: Update, context: BotContext) -> None:
    """Skip an optional question."""
    pressed_q = await _pressed_question(update, context, cd.SurveySkip)
    if pressed_q is None:
        return
    _, at = pressed_q
    if at.question.required:
        await answer(update, texts(context).get("survey.required"))
        return
    await answer(update)
    await advance(update, context, at, None)


async def on_message(update: Update, context: BotContext) -> None:
    """Anything typed or sent while a survey is in progress: an answer, 'stop', or a re-ask."""
    s = context.services
    t = texts(context)
    key = respondent_key(s, chat_id(update))
    at = await sa.current(s.surveys, s.content.survey_by_id, key)
    msg = update.effective_message
    if msg is None:
        return
    if at is None:
        # The in-memory view was out of date: behave exactly as if no survey were in progress.
        if msg.text is not None:
            await fallback.on_text(update, context)
        else:
            await fallback.on_other_message(update, context)
        return
    text = msg.text
    if text is None:
        await reply(update, t.get("survey.bad_media"))
        await ensure_shown(update, context, at.survey, at.resp)
        return
    if dom.is_stop(text) or text.strip().lower().startswith("/cancel"):
        await leave(update, context, at.resp, at.survey)
        return
    # A worrying answer was already answered with the right help (bot/handlers/safety.py runs
    # before every flow); it is saved like any other and the survey goes on.
    parsed = dom.parse_typed(at.question, text)
    if isinstance(parsed, dom.Invalid):
        # One short line saying what is expected; the question above keeps its buttons.
        await reply(update, t.get(parsed.key, **parsed.values))
        await ensure_shown(update, context, at.survey, at.resp)
        return
    await advance(update, context, at, parsed)
