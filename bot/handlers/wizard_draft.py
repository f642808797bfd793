"""The broadcast wizard's draft (kept in the officer's chat_data, in memory: a draft lost to a
restart is simply started again), its screens, and the officers' typed UK date and time.

A wizard press counts only when the draft is at the step its button was drawn for and the
message is not a screen of a draft that has ended (confirmed, abandoned or replaced, e.g. by a
change of time). Anything else has moved on: it says so and changes nothing (issue 22: a time
button left on a confirmed broadcast once turned a pending change of time into an empty
preview). Earlier screens of the same draft are told apart by their step.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from telegram import InlineKeyboardMarkup, Update
from telegram.error import BadRequest

from bot.content.keys import TextKey
from bot.context import BotContext
from bot.domain.broadcasts import local_at, parse_uk_datetime
from bot.handlers.common import chat_store, now, reply
from bot.render.wizard import TIMES, day_from_number
from bot.telegram.limits import MAX_MESSAGE
from bot.telegram.sending import edit_buttons, edit_text
from storage.model import Audience

DRAFT = "broadcast_draft"
RETIRED = "broadcast_retired_screens"  # chat_data: message ids of drafts that have ended
KEEP_RETIRED = 200  # the most recent ones are enough: older messages are rarely scrolled to
MAX_TEXT = MAX_MESSAGE
MAX_AHEAD = timedelta(days=366)  # a broadcast is planned at most a year ahead


@dataclass
class Draft:
    """An officer's broadcast being put together."""

    # content | text | image | audience | nags | time | preview | translation | retime, and
    # retranslate | retranslate_confirm (a scheduled broadcast's translation: typed, previewed)
    step: str = "content"
    retime_id: int | None = None  # the scheduled broadcast whose time is being changed
    edit_of: int | None = None  # ... whose translation (`translating`) is being typed (`text`)
    text: str | None = None  # final HTML, as residents will see it
    campaign: str | None = None  # the campaign message picked, if one was (its `on:` day)
    message: str | None = None
    image: str | None = None
    audience: Audience = field(default_factory=Audience)
    picks: list[str] = field(default_factory=list)
    search: str | None = None  # typed part of a NAG's name, filtering the group picker
    nag_page: int = 0
    send_at: datetime | None = None
    send_now: bool = False
    urgent: bool = False
    ratings: bool = True  # 👍/👎 under the message: on for campaign tips, off for typed notices
    # A typed text's translations, {language: final HTML}, and the one being typed now.
    translations: dict[str, str] = field(default_factory=dict)
    translating: str | None = None
    screen: int | None = None  # the message showing the wizard's current buttons
    screens: set[int] = field(default_factory=set)  # every message the draft put buttons on


def draft_of(context: BotContext) -> Draft | None:
    d = context.chat_data.get(DRAFT) if context.chat_data is not None else None
    return d if isinstance(d, Draft) else None


def _retired(context: BotContext) -> list[int]:
    return chat_store(context).setdefault(RETIRED, [])


def end_draft(context: BotContext) -> None:
    """The draft is over (confirmed, abandoned or replaced): its screens have moved on."""
    draft = chat_store(context).pop(DRAFT, None)
    if isinstance(draft, Draft) and draft.screens:
        retired = _retired(context)
        retired.extend(sorted(draft.screens))
        del retired[:-KEEP_RETIRED]


def begin_draft(context: BotContext, draft: Draft) -> Draft:
    """A new draft in place of any earlier one (whose screens move on)."""
    end_draft(context)
    chat_store(context)[DRAFT] = draft
    return draft


def is_current(update: Update, context: BotContext, draft: Draft, steps: frozenset[str]) -> bool:
    """Whether a wizard press is on the current screen, at a step its button was drawn for."""
    q = update.callback_query
    mid = q.message.message_id if q is not None and q.message is not None else None
    if mid is not None and mid in _retired(context) and mid not in draft.screens:
        return False
    return draft.step in steps


def _record(draft: Draft, message_id: int | None) -> None:
    if message_id is not None:
        draft.screen = message_id
        draft.screens.add(message_id)


async def show(
    update: Update,
    draft: Draft,
    text: str,
    markup: InlineKeyboardMarkup | None = None,
    *,
    edit: bool = True,
) -> None:
    """Show a wizard screen: in place of the pressed one (`edit`), else as a new message; a
    screen with buttons becomes the draft's current one."""
    q = update.callback_query
    if edit and q is not None and q.message is not None:
        mid: int | None = q.message.message_id
        try:
            await edit_text(q.get_bot(), q.message.chat.id, q.message.message_id, text, markup)
        except BadRequest as exc:
            if "not modified" not in str(exc).lower():
                mid = await reply(update, text, markup)
        if markup is not None:
            _record(draft, mid)
        return
    if markup is not None:
        await _strip(update, draft.screen)
    sent = await reply(update, text, markup)
    if markup is not None:
        _record(draft, sent)


async def _strip(update: Update, message_id: int | None) -> None:
    """Take the buttons off the screen a new one replaces (one live wizard screen at a time)."""
    chat = update.effective_chat
    if message_id is None or chat is None:
        return
    try:
        await edit_buttons(chat.get_bot(), chat.id, message_id)
    except BadRequest:  # already without buttons, or too old to edit: nothing to tidy
        pass


def parse_time(context: BotContext, raw: str) -> datetime | TextKey:
    """A typed UK date and time ahead (within MAX_AHEAD), or the text key saying what is wrong."""
    current = now(context)
    at = parse_uk_datetime(raw, current, context.services.config.tz)
    if at is None:
        return "broadcast.bad_time"
    return check_time(context, at)


def check_time(context: BotContext, at: datetime) -> datetime | TextKey:
    """`at` if it is ahead and within MAX_AHEAD, else the text key saying what is wrong."""
    current = now(context)
    if at <= current:
        return "broadcast.time_past"
    if at > current + MAX_AHEAD:
        return "broadcast.time_too_far"
    return at


def times_left(context: BotContext, number: int) -> list[time]:
    """The time picker's times on day `number` (yyyymmdd) still ahead and within MAX_AHEAD."""
    day = day_from_number(number)
    if day is None:
        return []
    tz = context.services.config.tz
    out = []
    for at in TIMES:
        when = local_at(day, at, tz)
        if when is not None and not isinstance(check_time(context, when), str):
            out.append(at)
    return out
