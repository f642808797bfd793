"""Surveys in the chat: /survey, the survey_<id> deep link, buttons and typed answers, /cancel.

Each answer is written to SQLite as it is given (storage/surveys.py), so a resident continues where
they left off after a restart or a week away. Flow rules live in bot/domain/surveys.py.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace
from datetime import date
from typing import Any

from telegram import InlineKeyboardMarkup, Message, Update
from telegram.error import BadRequest
from telegram.ext import Application, MessageHandler, filters

from bot import callback_data as cd
from bot.content import Texts
from bot.content.keys import TextKey
from bot.content.surveys import Question, Survey
from bot.context import BotContext, Services, services_of
from bot.domain import surveys as dom
from bot.features import Feature, Handler, Privacy
from bot.handlers import fallback
from bot.handlers.areas import ask_for_area, consent_keyboard
from bot.handlers.common import (
    answer,
    chat_id,
    now,
    on_button,
    pressed,
    remove_buttons,
    reply,
    require_chat,
    texts,
)
from bot.handlers.navigation import nag_of
from bot.handlers.registry import Command, Group
from bot.handlers.stale import ask
from bot.handlers.survey_data import collect, describe, erase, respondent_key
from bot.render.keyboards import button, question_keyboard
from bot.render.text import (
    answered_text,
    closed_text,
    date_words,
    e,
    question_text,
    survey_intro,
)
from bot.sending import edit_buttons, edit_text
from storage.surveys import Answer, Response

logger = logging.getLogger(__name__)

# Kinds of pending destination (the resident's row keeps "kind:argument" while the bot asks for
# their area first; bot/handlers/navigation.py carries them on).
TO_SURVEY = "survey"  # argument: the survey's id
TO_LIST = "surveys"  # the /survey list


# ---------------------------------------------------------------- helpers


def today(services: Services) -> date:
    return services.clock.now().astimezone(services.config.tz).date()


def _pressed_message(update: Update) -> int | None:
    """The id of the message whose button was pressed (None for a typed message)."""
    q = update.callback_query
    return q.message.message_id if q is not None and q.message is not None else None


def _intro_above(survey: Survey, resp: Response) -> bool:
    """Whether the survey's intro goes above this question: its first showing (a response is
    started at step 1 on the first question, and every move bumps the step), so the intro stays
    in the chat, in the same message, once that question is answered."""
    return resp.step == 1 and bool(survey.questions) and resp.current == survey.questions[0].id


def _header(t: Texts, survey: Survey, resp: Response, extra: str = "") -> str:
    return survey_intro(t, survey) if _intro_above(survey, resp) else extra


def question_message(
    t: Texts, survey: Survey, resp: Response, answers: dict[str, Answer], header: str = ""
) -> tuple[str, InlineKeyboardMarkup]:
    """The response's current question: its text (under the intro on its first showing, else
    under `header`, HTML) and its keyboard."""
    q = survey.question(resp.current)
    assert q is not None
    picks = _shown_picks(resp, answers, q)
    intro = _intro_above(survey, resp)
    text = question_text(t, survey, q, answers, _header(t, survey, resp, header), titled=not intro)
    return text, question_keyboard(t, survey, q, answers, picks, resp.id, resp.step)


# ---------------------------------------------------------------- one live question per chat
#
# An open response records the message showing its current question (`message_id`). Every way
# of showing a question goes through `show`, which edits that message or posts one new copy and
# takes the buttons off any other; an answered question is edited to show the answer; Back
# redraws in the pressed message; another survey started pauses this one's message. So the chat
# never holds more than one question with live buttons, and a question is posted again only when
# no message shows it (never recorded, or deleted by the resident: the edit fails).


async def _edit(
    context: BotContext,
    chat: int,
    message_id: int,
    text: str,
    keyboard: InlineKeyboardMarkup | None = None,
) -> bool:
    """Edit one of the bot's messages in this chat; False if it is gone or can't be edited."""
    try:
        await edit_text(context.bot, chat, message_id, text, keyboard)
    except BadRequest as exc:
        if "not modified" in str(exc).lower():
            return True
        # Deleted by the resident, too old, too long...: the caller posts a new copy if needed.
        logger.debug("A survey message could not be edited: %s", type(exc).__name__)
        return False
    return True


async def _buttons_off(context: BotContext, chat: int, message_id: int) -> None:
    """Take the buttons off an old message, keeping its text."""
    try:
        await edit_buttons(context.bot, chat, message_id)
    except BadRequest:
        logger.debug("Could not take the buttons off an old survey message")


async def show(
    update: Update,
    context: BotContext,
    survey: Survey,
    resp: Response,
    answers: dict[str, Answer],
    *,
    header: str = "",
    in_message: int | None = None,
) -> None:
    """Show the response's current question: redrawn in `in_message` (a pressed message) when
    given and still there, else posted as a new message; any other message that showed it loses
    its buttons, and the response records the message that shows it now."""
    t = texts(context)
    chat = chat_id(update)
    text, keyboard = question_message(t, survey, resp, answers, header)
    old = resp.message_id
    shown: int | None = None
    if in_message is not None and await _edit(context, chat, in_message, text, keyboard):
        shown = in_message
        if old is not None and old != shown:
            await _edit(context, chat, old, _moved(t, survey, below=shown > old))
    else:
        if in_message is not None:
            # It could not be redrawn (gone, or can't be edited): at least its buttons go.
            await _buttons_off(context, chat, in_message)
        if old is not None and old != in_message:
            await _edit(context, chat, old, _moved(t, survey, below=True))
        shown = await reply(update, text, keyboard)
    if shown != old:
        await context.services.surveys.set_message(resp.id, shown)


def _moved(t: Texts, survey: Survey, *, below: bool) -> str:
    return t.get("survey.moved_below" if below else "survey.moved_above", title=e(survey.title))


async def ensure_shown(update: Update, context: BotContext, survey: Survey, resp: Response) -> None:
    """Post the current question if no message is known to show it (a survey started before
    messages were recorded, or whose message could not be sent).

    Whether the resident deleted that message can only be learnt by editing it. A deliberate
    no-op edit would be refused by Telegram ("message is not modified") on every bad answer, so
    it is learnt at the next edit due anyway (an answer, Back, resuming), which then posts a new
    copy; /survey or the survey's link bring the question back at any time."""
    if resp.message_id is None:
        await show(update, context, survey, resp, await context.services.surveys.answers(resp.id))


async def _pause_others(update: Update, context: BotContext, key: str, keep: int) -> None:
    """Another survey is about to be shown: the questions of the others lose their buttons."""
    s = context.services
    for other in await s.surveys.open_of(key):
        if other.id == keep or other.message_id is None:
            continue
        survey = s.content.survey_by_id.get(other.survey_id)
        paused = texts(context).get(
            "survey.paused", title=e(survey.title if survey else other.survey_id)
        )
        await _edit(context, chat_id(update), other.message_id, paused)
        await s.surveys.set_message(other.id, None)


async def _say(
    update: Update,
    context: BotContext,
    text: str,
    keyboard: InlineKeyboardMarkup | None = None,
    in_message: int | None = None,
) -> None:
    """Answer in the pressed message when there is one (one screen at a time), else reply."""
    if in_message is not None and await _edit(context, chat_id(update), in_message, text, keyboard):
        return
    await reply(update, text, keyboard)


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
    pressed /survey list, when given)."""
    s = context.services
    t = texts(context)
    chat = require_chat(update).id
    survey = s.content.survey_by_id.get(survey_id)
    if survey is None:
        await _say(update, context, t.get("survey.unknown"), in_message=in_message)
        return
    state = dom.status(survey, today(s))
    if state != "open":
        key: TextKey = "survey.closed" if state == "closed" else "survey.not_yet"
        text = t.get(key, title=e(survey.title), opens=date_words(t, survey.opens))
        await _say(update, context, text, in_message=in_message)
        return
    respondent = respondent_key(s, chat)
    store = s.surveys
    existing = await store.find(survey.id, respondent, "open")
    resident = await s.residents.get(chat)
    nag = nag_of(s, resident)
    nag_id = nag.id if nag else None
    need = dom.first_need(
        survey,
        has_area=nag is not None,
        consent_answered=resident is not None and resident.consent_at is not None,
    )
    # A survey already started carries on however it is reached (a link-only one from the
    # /survey list, which lists it while it is in progress); one that needs something the
    # resident hasn't given yet waits for it, and then starts (bot/handlers/navigation.py).
    if existing is None and need is not None:
        await ask_first(update, context, need, f"{TO_SURVEY}:{survey.id}", survey.title)
        return
    if existing is None and not dom.may_open(survey, nag_id, via_link):
        text = t.get("survey.not_for_you", title=e(survey.title))
        await _say(update, context, text, in_message=in_message)
        return
    if existing is not None:
        await store.touch(existing.id, now(context))
        await _pause_others(update, context, respondent, existing.id)
        welcome = t.get("survey.resume")
        answers = await store.answers(existing.id)
        await show(
            update, context, survey, existing, answers, header=welcome, in_message=in_message
        )
        return
    if not survey.repeatable and await store.has_completed(survey.id, respondent):
        if survey.changeable:
            keyboard = InlineKeyboardMarkup(
                [[button(t.get("button.survey_change"), cd.SurveyChange(survey.id))]]
            )
            text = t.get("survey.done_changeable", title=e(survey.title))
            await _say(update, context, text, keyboard, in_message=in_message)
        else:
            text = t.get("survey.already_done", title=e(survey.title))
            await _say(update, context, text, in_message=in_message)
        return
    first = dom.first_question(survey)
    assert first is not None  # the validator guarantees at least one question
    resp = await store.start(survey.id, respondent, nag_id, first.id, now(context))
    await _pause_others(update, context, respondent, resp.id)
    # The intro goes above the first question, in the same message (see _intro_above).
    await show(update, context, survey, resp, {}, in_message=in_message)


async def ask_first(
    update: Update, context: BotContext, need: dom.Need, destination: str, title: str
) -> None:
    """Ask for what a survey needs before it starts (the area, or the consent question once);
    the resident's row remembers where they were going, so it survives a restart."""
    s = context.services
    t = texts(context)
    chat = chat_id(update)
    await s.residents.touch(chat, now(context))
    await s.residents.set_pending(chat, destination, now(context))
    nag = nag_of(s, await s.residents.get(chat))
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
    day = today(s)
    done = set(await s.surveys.completed_surveys(key))
    in_progress = {r.survey_id for r in await s.surveys.open_of(key)}
    if nag is None and not in_progress:
        # Every listed survey needs an area (dom.needs_area): ask for it, then show the list.
        await s.residents.touch(chat_id(update), now(context))
        await s.residents.set_pending(chat_id(update), f"{TO_LIST}:", now(context))
        await reply(update, t.get("survey.list_area_first"))
        await ask_for_area(update, context)
        return
    rows = []
    lines = [t.get("survey.list_header")]
    for survey in s.content.surveys:
        if dom.status(survey, day) != "open":
            continue
        if not (dom.listed_for(survey, nag_id) or survey.id in in_progress):
            continue
        if survey.id in in_progress:
            note = t.get("survey.list_in_progress")
        elif survey.id in done and not survey.repeatable:
            note = t.get("survey.list_done")
        else:
            note = ""
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
        in_message=_pressed_message(update),
    )


async def on_change(update: Update, context: BotContext) -> None:
    """Reopen a finished response of a survey that allows changing answers (in that message)."""
    s = context.services
    t = texts(context)
    await answer(update)
    data = pressed(update, cd.SurveyChange)
    survey = s.content.survey_by_id.get(data.survey) if data else None
    in_message = _pressed_message(update)
    if survey is None or not survey.changeable or dom.status(survey, today(s)) != "open":
        await _say(update, context, t.get("survey.change_stale"), in_message=in_message)
        return
    key = respondent_key(s, chat_id(update))
    resp = await s.surveys.find(survey.id, key, "complete")
    first = dom.first_question(survey)
    if resp is None or first is None:
        # Already reopened from another message (or stopped since): carry on as /survey would.
        # The Change button was only offered to someone who had answered, link-only or not.
        await open_survey(update, context, survey.id, via_link=True, in_message=in_message)
        return
    await s.surveys.reopen(resp.id, first.id, now(context))
    await _pause_others(update, context, key, resp.id)
    reopened = replace(resp, current=first.id, step=resp.step + 1, draft=None, message_id=None)
    header = t.get("survey.changing")
    answers = await s.surveys.answers(resp.id)
    await show(update, context, survey, reopened, answers, header=header, in_message=in_message)


# ---------------------------------------------------------------- answering


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
    answered = answered_text(t, q, value, _header(t, survey, resp))
    chat = chat_id(update)
    for message_id in dict.fromkeys((_pressed_message(update), resp.message_id)):
        if message_id is not None:
            await _edit(context, chat, message_id, answered)
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
    pressed_in = _pressed_message(update)
    if pressed_in is not None and (current is None or pressed_in != current.message_id):
        message = update.callback_query.message if update.callback_query else None
        if isinstance(message, Message) and message.reply_markup is not None:
            await _buttons_off(context, chat_id(update), pressed_in)
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


def _shown_picks(resp: Response, answers: dict[str, Answer], q: Question) -> tuple[str, ...]:
    """The picks on screen: the draft being changed, else the answer given before."""
    return resp.draft if resp.draft is not None else (answers.get(q.id) or ())


async def _picks(context: BotContext, resp: Response, q: Question) -> tuple[str, ...]:
    return _shown_picks(resp, await context.services.surveys.answers(resp.id), q)


async def on_toggle(update: Update, context: BotContext) -> None:
    """Add or remove one pick of a multi-choice or top-N question (redrawn in place)."""
    pressed_q = await _pressed_question(update, context, cd.SurveyToggle)
    if pressed_q is None:
        return
    data, resp, survey, q = pressed_q
    option = data.option if isinstance(data, cd.SurveyToggle) else ""
    answers = await context.services.surveys.answers(resp.id)
    result = dom.toggle(q, _shown_picks(resp, answers, q), option)
    if isinstance(result, dom.Invalid):
        await answer(update, texts(context).get(result.key, **result.values))
        return
    await answer(update)
    await context.services.surveys.set_draft(resp.id, result, now(context))
    drafted = replace(resp, draft=result)
    await show(update, context, survey, drafted, answers, in_message=_pressed_message(update))


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
    in_message = _pressed_message(update)
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


async def _on_leaving(
    context: BotContext, resp: Response, survey: Survey
) -> tuple[bool, dict[str, Answer], list[str] | None]:
    """What stopping `resp` would do: whether it is a change of a finished survey's answers,
    the answers saved, and the answers kept (None: all are deleted)."""
    store = context.services.surveys
    changing = (
        survey.changeable
        and not survey.repeatable
        and await store.has_completed(survey.id, resp.respondent)
    )
    answers = await store.answers(resp.id)
    keep = dom.final_route(survey, answers) if changing else None
    return changing, answers, keep


async def leave(update: Update, context: BotContext, resp: Response, survey: Survey) -> None:
    """ "stop" or /cancel in a survey: leave at once when no saved answer would be deleted,
    else ask first (the buttons hold the step, so they act only while it is still current)."""
    _, answers, keep = await _on_leaving(context, resp, survey)
    if not answers or keep is not None:
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
    if (
        data is None
        or resp is None
        or survey is None
        or resp.respondent != respondent_key(s, chat_id(update))
        or resp.status != "open"
        or resp.step != data.step
    ):
        # Answered, left or changed since: this question has moved on.
        await answer(update, t.get("common.moved_on"))
        await remove_buttons(update)
        return
    await answer(update)
    if data.leave:
        await cancel(update, context, resp, survey, in_message=_pressed_message(update))
        return
    await _say(update, context, t.get("survey.carry_on"), in_message=_pressed_message(update))
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
    store = s.surveys
    q = survey.question(resp.current)
    changing, answers, keep = await _on_leaving(context, resp, survey)
    if keep is not None:
        await store.complete(
            resp, keep, anonymous=survey.anonymous, now=now(context), today=today(s).isoformat()
        )
    else:
        await store.cancel(resp.id, now(context), forget_completion=changing)
    if resp.message_id is not None and q is not None:
        if keep is not None and q.id in answers:
            closed = answered_text(t, q, answers[q.id], _header(t, survey, resp))
        else:
            closed = closed_text(q, t.get("survey.answered_stopped"), _header(t, survey, resp))
        await _edit(context, chat_id(update), resp.message_id, closed)
    key: TextKey = "survey.change_stopped" if keep is not None else "survey.cancelled"
    await _say(update, context, t.get(key, title=e(survey.title)), in_message=in_message)


async def cancel_command(update: Update, context: BotContext) -> None:
    """Stop the survey in progress (asking first if its answers so far would be deleted)."""
    s = context.services
    resp = await s.surveys.current(respondent_key(s, chat_id(update)))
    survey = s.content.survey_by_id.get(resp.survey_id) if resp else None
    if resp is None or survey is None:
        await reply(update, texts(context).get("survey.nothing_to_cancel"))
        return
    await leave(update, context, resp, survey)


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
