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
from zoneinfo import ZoneInfo

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.ext import Application, MessageHandler, filters

from bot import callback_data as cd
from bot.content import Texts
from bot.content.keys import TextKey
from bot.content.surveys import Question, Survey
from bot.context import BotContext, Services, services_of
from bot.domain import surveys as dom
from bot.features import Feature, Handler, Privacy
from bot.handlers import fallback
from bot.handlers.common import (
    answer,
    chat_id,
    edit_or_send,
    now,
    on_button,
    pressed,
    reply,
    require_chat,
    texts,
)
from bot.handlers.registry import Command, Group
from bot.render.keyboards import question_keyboard
from bot.render.text import answer_text, date_words, e, question_text
from storage.surveys import Answer, Response

logger = logging.getLogger(__name__)


# ---------------------------------------------------------------- helpers


def respondent_key(services: Services, chat_id: int) -> str:
    return dom.pseudonym(services.config.survey_secret, chat_id)


def today(services: Services) -> date:
    return services.clock.now().astimezone(services.config.tz).date()


def question_message(
    t: Texts, survey: Survey, resp: Response, answers: dict[str, Answer]
) -> tuple[str, InlineKeyboardMarkup]:
    """The response's current question: its text and its keyboard."""
    q = survey.question(resp.current)
    assert q is not None
    picks = resp.draft or (answers.get(q.id) or ())
    return question_text(t, survey, q, answers), question_keyboard(
        t, survey, q, answers, picks, resp.id, resp.step
    )


async def ask(
    update: Update, context: BotContext, survey: Survey, response_id: int, *, in_place: bool = False
) -> None:
    """Show the response's current question: a new message, or redrawn in the pressed one."""
    store = context.services.surveys
    resp = await store.get(response_id)
    if resp is None or resp.current is None:
        return
    text, keyboard = question_message(texts(context), survey, resp, await store.answers(resp.id))
    if in_place:
        await edit_or_send(update, text, keyboard)
    else:
        await reply(update, text, keyboard)


async def _close_keyboard(update: Update) -> None:
    """Take the buttons off an answered question so it can't be pressed again by mistake."""
    q = update.callback_query
    if q is not None and isinstance(q.message, Message):
        try:
            await q.edit_message_reply_markup(None)
        except Exception:  # noqa: BLE001 - cosmetic only; the answer is already saved
            logger.debug("Could not remove an old survey keyboard")


# ---------------------------------------------------------------- opening a survey


async def open_survey(
    update: Update, context: BotContext, survey_id: str, *, via_link: bool
) -> None:
    """Start, resume or refuse a survey for this resident, saying why."""
    s = context.services
    t = texts(context)
    chat_id = require_chat(update).id
    survey = s.content.survey_by_id.get(survey_id)
    if survey is None:
        await reply(update, t.get("survey.unknown"))
        return
    state = dom.status(survey, today(s))
    if state != "open":
        key: TextKey = "survey.closed" if state == "closed" else "survey.not_yet"
        await reply(update, t.get(key, title=e(survey.title), opens=survey.opens.isoformat()))
        return
    resident = await s.residents.get(chat_id)
    nag_id = resident.nag_id if resident else None
    if not dom.may_open(survey, nag_id, via_link):
        await reply(update, t.get("survey.not_for_you", title=e(survey.title)))
        return
    respondent = respondent_key(s, chat_id)
    store = s.surveys
    existing = await store.find(survey.id, respondent, "open")
    if existing is not None:
        await store.touch(existing.id, now(context))
        await reply(update, t.get("survey.resume", title=e(survey.title)))
        await ask(update, context, survey, existing.id)
        return
    if not survey.repeatable and await store.has_completed(survey.id, respondent):
        if survey.changeable:
            keyboard = InlineKeyboardMarkup(
                [
                    [
                        InlineKeyboardButton(
                            t.get("button.survey_change"),
                            callback_data=cd.SurveyChange(survey.id).pack(),
                        )
                    ]
                ]
            )
            await reply(update, t.get("survey.done_changeable", title=e(survey.title)), keyboard)
        else:
            await reply(update, t.get("survey.already_done", title=e(survey.title)))
        return
    first = dom.first_question(survey)
    assert first is not None  # the validator guarantees at least one question
    resp = await store.start(survey.id, respondent, nag_id, first.id, now(context))
    await reply(
        update,
        t.get(
            "survey.intro",
            title=e(survey.title),
            intro=e(survey.intro),
            privacy=e(survey.privacy),
        ),
    )
    await ask(update, context, survey, resp.id)


async def start_from_link(update: Update, context: BotContext, survey_id: str) -> None:
    """Deep link /start survey_<id>: open that survey directly."""
    await open_survey(update, context, survey_id, via_link=True)


async def survey_command(update: Update, context: BotContext) -> None:
    """List the surveys open to this resident (and any in progress)."""
    s = context.services
    t = texts(context)
    resident = await s.residents.get(chat_id(update))
    nag_id = resident.nag_id if resident else None
    key = respondent_key(s, chat_id(update))
    day = today(s)
    done = set(await s.surveys.completed_surveys(key))
    in_progress = {sid for sid, status, _ in await s.surveys.held_for(key) if status == "open"}
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
        rows.append(
            [InlineKeyboardButton(survey.title, callback_data=cd.SurveyOpen(survey.id).pack())]
        )
    if not rows:
        await reply(update, t.get("survey.list_none"))
        return
    await reply(update, "\n".join(lines), InlineKeyboardMarkup(rows))


async def on_open(update: Update, context: BotContext) -> None:
    """A survey chosen from the /survey list."""
    await answer(update)
    data = pressed(update, cd.SurveyOpen)
    await open_survey(update, context, data.survey if data else "", via_link=False)


async def on_change(update: Update, context: BotContext) -> None:
    """Reopen a finished response of a survey that allows changing answers."""
    s = context.services
    t = texts(context)
    await answer(update)
    data = pressed(update, cd.SurveyChange)
    survey = s.content.survey_by_id.get(data.survey) if data else None
    if survey is None or not survey.changeable or dom.status(survey, today(s)) != "open":
        await reply(update, t.get("survey.stale"))
        return
    key = respondent_key(s, chat_id(update))
    resp = await s.surveys.find(survey.id, key, "complete")
    first = dom.first_question(survey)
    if resp is None or first is None:
        await reply(update, t.get("survey.stale"))
        return
    await s.surveys.reopen(resp.id, first.id, now(context))
    await reply(update, t.get("survey.changing", title=e(survey.title)))
    await ask(update, context, survey, resp.id)


# ---------------------------------------------------------------- answering


async def advance(
    update: Update,
    context: BotContext,
    survey: Survey,
    resp: Response,
    q: Question,
    value: Answer,
) -> None:
    """Save the answer to `q`, then ask the next question or finish."""
    s = context.services
    store = s.surveys
    answers = await store.answers(resp.id)
    answers[q.id] = value
    nxt = dom.next_question(survey, q, answers)
    await store.save_answer(resp.id, q.id, value, nxt.id if nxt else None, now(context))
    if nxt is not None:
        # The state just written is known here: render from it rather than read it back.
        moved = replace(resp, current=nxt.id, step=resp.step + 1, draft=())
        text, keyboard = question_message(texts(context), survey, moved, answers)
        await reply(update, text, keyboard)
        return
    keep = dom.final_route(survey, answers) or list(answers)
    await store.complete(
        resp,
        keep,
        anonymous=survey.anonymous,
        now=now(context),
        today=today(s).isoformat(),
    )
    await reply(update, texts(context).get("survey.thanks", thanks=e(survey.thanks)))


SurveyButton = cd.SurveyAnswer | cd.SurveyToggle | cd.SurveyDone | cd.SurveyBack | cd.SurveySkip


async def _pressed_question(
    update: Update, context: BotContext, kind: type[SurveyButton]
) -> tuple[SurveyButton, Response, Survey, Question] | None:
    """The button, response, survey and question of a press on the CURRENT question.

    A press on an old message (another step, a finished or someone else's response) never
    records anything: it would be a wrong answer. It is answered as out of date and the current
    question is shown again. Returns None in that case (the press is already answered).
    """
    s = context.services
    data = pressed(update, kind)
    resp = await s.surveys.get(data.response) if data else None
    key = respondent_key(s, chat_id(update))
    survey = s.content.survey_by_id.get(resp.survey_id) if resp else None
    q = survey.question(resp.current) if survey and resp else None
    if (
        data is None
        or resp is None
        or resp.respondent != key
        or resp.status != "open"
        or resp.step != data.step
        or survey is None
        or q is None
    ):
        await answer(update, texts(context).get("survey.stale"))
        current = await s.surveys.current(key)
        current_survey = s.content.survey_by_id.get(current.survey_id) if current else None
        if current is not None and current_survey is not None:
            await ask(update, context, current_survey, current.id)
        return None
    return data, resp, survey, q


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
    await _close_keyboard(update)
    await advance(update, context, survey, resp, q, chosen)


async def _picks(context: BotContext, resp: Response, q: Question) -> tuple[str, ...]:
    return resp.draft or ((await context.services.surveys.answers(resp.id)).get(q.id) or ())


async def on_toggle(update: Update, context: BotContext) -> None:
    """Add or remove one pick of a multi-choice or top-N question (redrawn in place)."""
    pressed_q = await _pressed_question(update, context, cd.SurveyToggle)
    if pressed_q is None:
        return
    data, resp, survey, q = pressed_q
    option = data.option if isinstance(data, cd.SurveyToggle) else ""
    result = dom.toggle(q, await _picks(context, resp, q), option)
    if isinstance(result, dom.Invalid):
        await answer(update, texts(context).get(result.key, **result.values))
        return
    await answer(update)
    await context.services.surveys.set_draft(resp.id, result, now(context))
    await ask(update, context, survey, resp.id, in_place=True)


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
    await _close_keyboard(update)
    await advance(update, context, survey, resp, q, picks or None)


async def on_back(update: Update, context: BotContext) -> None:
    """Back to the question asked before this one on the resident's route."""
    pressed_q = await _pressed_question(update, context, cd.SurveyBack)
    if pressed_q is None:
        return
    _, resp, survey, q = pressed_q
    prev = dom.previous_question(survey, q.id, await context.services.surveys.answers(resp.id))
    await answer(update)
    if prev is None:
        return
    await _close_keyboard(update)
    await context.services.surveys.move(resp.id, prev.id, now(context))
    await ask(update, context, survey, resp.id)


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
    await _close_keyboard(update)
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
        await ask(update, context, survey, resp.id)
        return
    if dom.is_stop(text) or text.strip().lower().startswith("/cancel"):
        await cancel(update, context, resp, survey)
        return
    # A worrying answer was already answered with the right help (bot/handlers/safety.py runs
    # before every flow); it is saved like any other and the survey goes on.
    parsed = dom.parse_typed(q, text)
    if isinstance(parsed, dom.Invalid):
        await reply(update, t.get(parsed.key, **parsed.values))
        await ask(update, context, survey, resp.id)
        return
    await advance(update, context, survey, resp, q, parsed)


async def cancel(update: Update, context: BotContext, resp: Response, survey: Survey) -> None:
    await context.services.surveys.cancel(resp.id, now(context))
    await reply(update, texts(context).get("survey.cancelled", title=e(survey.title)))


async def cancel_command(update: Update, context: BotContext) -> None:
    """Stop the survey in progress (its answers so far are deleted)."""
    s = context.services
    resp = await s.surveys.current(respondent_key(s, chat_id(update)))
    survey = s.content.survey_by_id.get(resp.survey_id) if resp else None
    if resp is None or survey is None:
        await reply(update, texts(context).get("survey.nothing_to_cancel"))
        return
    await cancel(update, context, resp, survey)


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


# ---------------------------------------------------------------- the right of access


async def _collect(services: Services, chat_id: int) -> list[dict[str, Any]]:
    """Every response still linked to this person (anonymous finished ones are not: that is the
    point), with its answers, and the surveys they took part in."""
    key = respondent_key(services, chat_id)
    out: list[dict[str, Any]] = []
    for resp in await services.surveys.responses_of(key):
        survey = services.content.survey_by_id.get(resp.survey_id)
        answers = await services.surveys.answers(resp.id)
        entry: dict[str, Any] = {
            "survey": resp.survey_id,
            "title": survey.title if survey else resp.survey_id,
            "status": str(resp.status),
            "started": resp.started_on.isoformat(),
            "finished": resp.completed_on.isoformat() if resp.completed_on else None,
            "answers": [],
        }
        if resp.draft:
            entry["picks_not_yet_confirmed"] = list(resp.draft)
        for qid, answer_ in answers.items():
            q = survey.question(qid) if survey else None
            text = answer_text(services.texts(), q, answer_) if q else ", ".join(answer_ or ())
            entry["answers"].append({"question": q.text if q else qid, "answer": text})
        out.append(entry)
    linked = {e["survey"] for e in out}
    for survey_id in await services.surveys.completed_surveys(key):
        if survey_id not in linked:  # an anonymous survey: only the note that they took part
            survey = services.content.survey_by_id.get(survey_id)
            out.append(
                {
                    "survey": survey_id,
                    "title": survey.title if survey else survey_id,
                    "status": "anonymous",  # took part; the answers are not linked to them
                    "answers": [],
                }
            )
    return out


STATUS_WORDS: dict[str, TextKey] = {
    "open": "survey.mydata_open",
    "complete": "survey.mydata_complete",
    "anonymous": "survey.mydata_anonymous",
}


def _describe(t: Texts, data: list[dict[str, Any]], tz: ZoneInfo) -> list[str]:
    lines = []
    for entry in data:
        status = STATUS_WORDS.get(entry["status"])
        entry = {**entry, "status": t.get(status) if status else entry["status"]}
        lines.append(
            t.get(
                "survey.mydata_response",
                title=e(entry["title"]),
                status=e(entry["status"]),
                n=len(entry["answers"]),
            )
        )
        for a in entry["answers"]:
            answer_ = a["answer"] if len(a["answer"]) <= 200 else a["answer"][:199] + "…"
            lines.append(
                t.get("survey.mydata_answer", question=e(a["question"][:80]), answer=e(answer_))
            )
    return lines


async def _erase(services: Services, chat_id: int) -> None:
    await services.surveys.erase(respondent_key(services, chat_id))


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
    on_start=_load_open,
    privacy=Privacy(
        section="surveys",
        tables=("survey_responses", "survey_answers", "survey_completions"),
        collect=_collect,
        describe=_describe,
        erase=_erase,
    ),
)
