"""Answering a survey in the chat: buttons (an option, a pick toggled, Done, Back, Skip) and
typed answers, each saved to SQLite as it is given (split from bot/handlers/surveys.py).

A press on anything but the current question records nothing. Flow rules (the next question,
parsing typed answers) live in bot/domain/surveys.py.
"""

from __future__ import annotations

import logging
from dataclasses import replace

from telegram import Message, Update

from bot import callback_data as cd
from bot.content.surveys import Question, Survey
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
    shown_picks,
    today,
)
from bot.render.text import (
    answered_text,
    e,
)
from storage.surveys import Answer, Response

logger = logging.getLogger(__name__)


async def advance(
    update: Update,
    context: BotContext,
    survey: Survey,
    resp: Response,
    q: Question,
    value: Answer,
) -> None:
    """Save the answer to `q`, show it under the question in place of the buttons, then ask the
    next question in a new message, or finish."""
    s = context.services
    t = texts(context)
    store = s.surveys
    answers = await store.answers(resp.id)
    answers[q.id] = value
    nxt = dom.next_question(survey, q, answers)
    await store.save_answer(resp.id, q.id, value, nxt.id if nxt else None, now(context))
    answered = answered_text(t, q, value, heading(t, survey, resp))
    chat = chat_id(update)
    for message_id in dict.fromkeys((pressed_message(update), resp.message_id)):
        if message_id is not None:
            await edit(context, chat, message_id, answered)
    if nxt is not None:
        # The state just written is known here: render from it rather than read it back.
        moved = replace(resp, current=nxt.id, step=resp.step + 1, draft=None, message_id=None)
        await show(update, context, survey, moved, answers)
        return
    keep = dom.final_route(survey, answers) or list(answers)
    await store.complete(
        resp,
        keep,
        anonymous=survey.anonymous,
        now=now(context),
        today=today(s).isoformat(),
    )
    await reply(update, t.get("survey.thanks", thanks=e(survey.thanks)))


SurveyButton = cd.SurveyAnswer | cd.SurveyToggle | cd.SurveyDone | cd.SurveyBack | cd.SurveySkip


async def _pressed_question(
    update: Update, context: BotContext, kind: type[SurveyButton]
) -> tuple[SurveyButton, Response, Survey, Question] | None:
    """The button, response, survey and question of a press on the CURRENT question.

    A press on an old message (another step, a finished or someone else's response) never
    records anything: it would be a wrong answer. It gets a short pop-up, the old message loses
    its buttons, and the current question is posted again only if no message shows it any more.
    Returns None in that case (the press is already answered).
    """
    s = context.services
    data = pressed(update, kind)
    resp = await s.surveys.get(data.response) if data else None
    key = respondent_key(s, chat_id(update))
    survey = s.content.survey_by_id.get(resp.survey_id) if resp else None
    q = survey.question(resp.current) if survey and resp else None
    if (
        data is not None
        and resp is not None
        and resp.respondent == key
        and resp.status == "open"
        and resp.step == data.step
        and survey is not None
        and q is not None
    ):
        return data, resp, survey, q
    await answer(update, texts(context).get("survey.stale"))
    current = await s.surveys.current(key)
    pressed_in = pressed_message(update)
    if pressed_in is not None and (current is None or pressed_in != current.message_id):
        message = update.callback_query.message if update.callback_query else None
        if isinstance(message, Message) and message.reply_markup is not None:
            await buttons_off(context, chat_id(update), pressed_in)
    current_survey = s.content.survey_by_id.get(current.survey_id) if current else None
    if current is not None and current_survey is not None and pressed_in != current.message_id:
        await ensure_shown(update, context, current_survey, current)
    return None


async def on_answer(update: Update, context: BotContext) -> None:
    """A single-press answer: a choice, yes/no or a rating."""
    pressed_q = await _pressed_question(update, context, cd.SurveyAnswer)
    if pressed_q is None:
        return
    data, resp, survey, q = pressed_q
    chosen = dom.button_answer(q, data.option) if isinstance(data, cd.SurveyAnswer) else None
    if chosen is None:
        await answer(update, texts(context).get("survey.stale"))
        return
    await answer(update)
    await advance(update, context, survey, resp, q, chosen)


async def _picks(context: BotContext, resp: Response, q: Question) -> tuple[str, ...]:
    return shown_picks(resp, await context.services.surveys.answers(resp.id), q)


async def on_toggle(update: Update, context: BotContext) -> None:
    """Add or remove one pick of a multi-choice or top-N question (redrawn in place)."""
    pressed_q = await _pressed_question(update, context, cd.SurveyToggle)
    if pressed_q is None:
        return
    data, resp, survey, q = pressed_q
    option = data.option if isinstance(data, cd.SurveyToggle) else ""
    answers = await context.services.surveys.answers(resp.id)
    result = dom.toggle(q, shown_picks(resp, answers, q), option)
    if isinstance(result, dom.Invalid):
        await answer(update, texts(context).get(result.key, **result.values))
        return
    await answer(update)
    await context.services.surveys.set_draft(resp.id, result, now(context))
    drafted = replace(resp, draft=result)
    await show(update, context, survey, drafted, answers, in_message=pressed_message(update))


async def on_done(update: Update, context: BotContext) -> None:
    """Done pressed on a multi-choice or top-N question."""
    pressed_q = await _pressed_question(update, context, cd.SurveyDone)
    if pressed_q is None:
        return
    _, resp, survey, q = pressed_q
    picks = await _picks(context, resp, q)
    problem = dom.check_picks(q, picks)
    if problem is not None:
        await answer(update, texts(context).get(problem.key, **problem.values))
        return
    await answer(update)
    await advance(update, context, survey, resp, q, picks or None)


async def on_back(update: Update, context: BotContext) -> None:
    """Back to the question asked before this one on the resident's route, in the same message."""
    pressed_q = await _pressed_question(update, context, cd.SurveyBack)
    if pressed_q is None:
        return
    _, resp, survey, q = pressed_q
    answers = await context.services.surveys.answers(resp.id)
    prev = dom.previous_question(survey, q.id, answers)
    await answer(update)
    if prev is None:
        return
    in_message = pressed_message(update)
    await context.services.surveys.move(resp.id, prev.id, now(context), in_message)
    back = replace(resp, current=prev.id, step=resp.step + 1, draft=None, message_id=in_message)
    await show(update, context, survey, back, answers, in_message=in_message)


async def on_skip(update: Update, context: BotContext) -> None:
    """Skip an optional question."""
    pressed_q = await _pressed_question(update, context, cd.SurveySkip)
    if pressed_q is None:
        return
    _, resp, survey, q = pressed_q
    if q.required:
        await answer(update, texts(context).get("survey.required"))
        return
    await answer(update)
    await advance(update, context, survey, resp, q, None)


async def on_message(update: Update, context: BotContext) -> None:
    """Anything typed or sent while a survey is in progress: an answer, 'stop', or a re-ask."""
    s = context.services
    t = texts(context)
    key = respondent_key(s, chat_id(update))
    resp = await s.surveys.current(key)
    survey = s.content.survey_by_id.get(resp.survey_id) if resp else None
    q = survey.question(resp.current) if survey and resp else None
    msg = update.effective_message
    if msg is None:
        return
    if resp is None or survey is None or q is None:
        # The in-memory view was out of date: behave exactly as if no survey were in progress.
        if msg.text is not None:
            await fallback.on_text(update, context)
        else:
            await fallback.on_other_message(update, context)
        return
    text = msg.text
    if text is None:
        await reply(update, t.get("survey.bad_media"))
        await ensure_shown(update, context, survey, resp)
        return
    if dom.is_stop(text) or text.strip().lower().startswith("/cancel"):
        await leave(update, context, resp, survey)
        return
    # A worrying answer was already answered with the right help (bot/handlers/safety.py runs
    # before every flow); it is saved like any other and the survey goes on.
    parsed = dom.parse_typed(q, text)
    if isinstance(parsed, dom.Invalid):
        # One short line saying what is expected; the question above keeps its buttons.
        await reply(update, t.get(parsed.key, **parsed.values))
        await ensure_shown(update, context, survey, resp)
        return
    await advance(update, context, survey, resp, q, parsed)
