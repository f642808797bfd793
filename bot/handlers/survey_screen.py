"""How a survey shows in the chat: one live question per chat (split from
bot/handlers/surveys.py).

An open response records the message showing its current question; every way of showing a
question goes through `show`, which edits that message or posts one new copy and takes the
buttons off any other. Also the small helpers the survey handlers share: today's date in the
bot's time zone, the pressed message, the intro above a first question.
"""

from __future__ import annotations

import logging
from datetime import date

from telegram import InlineKeyboardMarkup, Update
from telegram.error import BadRequest

from bot.content import Texts
from bot.content.surveys import Survey
from bot.context import BotContext, Services
from bot.handlers.common import (
    chat_id,
    reply,
    texts,
)
from bot.render.keyboards import question_keyboard
from bot.render.text import (
    e,
    question_text,
    survey_intro,
)
from bot.services.answering import shown_picks
from bot.telegram.sending import edit_buttons, edit_text
from storage.surveys import Answer, Response

logger = logging.getLogger(__name__)


def today(services: Services) -> date:
    return services.clock.now().astimezone(services.config.tz).date()


def pressed_message(update: Update) -> int | None:
    """The id of the message whose button was pressed (None for a typed message)."""
    q = update.callback_query
    return q.message.message_id if q is not None and q.message is not None else None


def intro_above(survey: Survey, resp: Response) -> bool:
    """Whether the survey's intro goes above this question: its first showing (a response is
    started at step 1 on the first question, and every move bumps the step), so the intro stays
    in the chat, in the same message, once that question is answered."""
    return resp.step == 1 and bool(survey.questions) and resp.current == survey.questions[0].id


def heading(t: Texts, survey: Survey, resp: Response, extra: str = "") -> str:
    return survey_intro(t, survey) if intro_above(survey, resp) else extra


def question_message(
    t: Texts, survey: Survey, resp: Response, answers: dict[str, Answer], header: str = ""
) -> tuple[str, InlineKeyboardMarkup]:
    """The response's current question: its text (under the intro on its first showing, else
    under `header`, HTML) and its keyboard."""
    q = survey.question(resp.current)
    assert q is not None
    picks = shown_picks(resp, answers, q)
    intro = intro_above(survey, resp)
    text = question_text(t, survey, q, answers, heading(t, survey, resp, header), titled=not intro)
    return text, question_keyboard(t, survey, q, answers, picks, resp.id, resp.step)


# ---------------------------------------------------------------- one live question per chat
#
# An open response records the message showing its current question (`message_id`). Every way
# of showing a question goes through `show`, which edits that message or posts one new copy and
# takes the buttons off any other; an answered question is edited to show the answer; Back
# redraws in the pressed message; another survey started pauses this one's message. So the chat
# never holds more than one question with live buttons, and a question is posted again only when
# no message shows it (never recorded, or deleted by the resident: the edit fails).


async def edit(
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


async def buttons_off(context: BotContext, chat: int, message_id: int) -> None:
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
    if in_message is not None and await edit(context, chat, in_message, text, keyboard):
        shown = in_message
        if old is not None and old != shown:
            await edit(context, chat, old, _moved(t, survey, below=shown > old))
    else:
        if in_message is not None:
            # It could not be redrawn (gone, or can't be edited): at least its buttons go.
            await buttons_off(context, chat, in_message)
        if old is not None and old != in_message:
            await edit(context, chat, old, _moved(t, survey, below=True))
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


async def pause_others(update: Update, context: BotContext, key: str, keep: int) -> None:
    """Another survey is about to be shown: the questions of the others lose their buttons."""
    s = context.services
    for other in await s.surveys.open_of(key):
        if other.id == keep or other.message_id is None:
            continue
        survey = s.content.survey_by_id.get(other.survey_id)
        paused = texts(context).get(
            "survey.paused", title=e(survey.title if survey else other.survey_id)
        )
        await edit(context, chat_id(update), other.message_id, paused)
        await s.surveys.set_message(other.id, None)


async def say(
    update: Update,
    context: BotContext,
    text: str,
    keyboard: InlineKeyboardMarkup | None = None,
    in_message: int | None = None,
) -> None:
    """Answer in the pressed message when there is one (one screen at a time), else reply."""
    if in_message is not None and await edit(context, chat_id(update), in_message, text, keyboard):
        return
    await reply(update, text, keyboard)
