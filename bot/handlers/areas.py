"""Choosing an area: typed postcode or place name, shared location, buttons, consent."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    Update,
)
from telegram.ext import CallbackQueryHandler, MessageHandler, filters

from bot import callback_data as cd
from bot.content import Nag, Texts
from bot.content.keys import TextKey
from bot.context import BotContext, Services
from bot.domain.areas import SearchResult
from bot.features import Feature, Handler
from bot.handlers.common import (
    answer,
    chat_id,
    edit_or_send,
    now,
    on_button,
    pressed,
    remove_buttons,
    reply,
    reply_removing_keyboard,
    require_chat,
    texts,
)
from bot.handlers.navigation import nag_of, show_menu
from bot.handlers.registry import Group
from bot.render.keyboards import button, nag_choice_keyboard
from bot.render.text import e, echo
from bot.services import residents
from storage.model import AreaQuestion
from storage.residents import Resident

MAX_QUERY = 100


def location_keyboard(context: BotContext) -> ReplyKeyboardMarkup:
    return _location_keyboard(texts(context))


@lru_cache(maxsize=16)  # one per language's texts: frozen, and sent as JSON made once (sending.py)
def _location_keyboard(t: Texts) -> ReplyKeyboardMarkup:
    return ReplyKeyboardMarkup(
        [[KeyboardButton(t.get("button.share_location"), request_location=True)]],
        resize_keyboard=True,
        one_time_keyboard=True,
        input_field_placeholder=t.get("area.placeholder"),
    )


async def open_question(update: Update, context: BotContext, kind: AreaQuestion) -> int:
    """Record a new area question in the database (older area buttons stop acting); its step."""
    return await context.services.residents.touch_and_open(chat_id(update), kind, now(context))


async def ask_for_area(update: Update, context: BotContext, lead: str = "") -> None:
    """ "Where do you live?" with the share-location keyboard (after `lead`, if any)."""
    await open_question(update, context, AreaQuestion.ASKED)
    await send_area_question(update, context, lead)


async def send_area_question(update: Update, context: BotContext, lead: str = "") -> None:
    """ "Where do you live?" with the share-location keyboard, the question already recorded
    as open (`ask_for_area` without its write)."""
    text = texts(context).get("area.ask")
    await reply(update, f"{lead}\n\n{text}" if lead else text, location_keyboard(context))


async def ask_again_no_area(update: Update, context: BotContext, text: str) -> None:
    """Someone without an area said something else: `text`, and the question again."""
    await open_question(update, context, AreaQuestion.ASKED)
    await reply(update, text, location_keyboard(context))


async def leave_area_question(update: Update, context: BotContext) -> None:
    """The resident did something else while an area question was open: it has moved on (its
    buttons stop acting). Someone with an area gets the location keyboard taken away, with a
    line saying their area is unchanged; for someone without one the question stays asked."""
    s = context.services
    kept = await residents.leave_area_question(
        s.residents, s.content.nag_by_id, chat_id(update), now(context)
    )
    if kept is not None:
        await reply_removing_keyboard(update, texts(context).get("area.kept", name=e(kept.name)))


def consent_keyboard(context: BotContext) -> InlineKeyboardMarkup:
    t = texts(context)
    return InlineKeyboardMarkup(
        [
            [
                button(t.get("button.consent_yes"), cd.Consent(True)),
                button(t.get("button.consent_no"), cd.Consent(False)),
            ]
        ]
    )


async def area_chosen(
    update: Update, context: BotContext, nag: Nag, *, say_so: bool = True
) -> None:
    """Store the NAG (the area question is answered); ask for consent the first time,
    otherwise offer the menu."""
    s = context.services
    chosen = await residents.choose_area(s.residents, require_chat(update).id, nag, now(context))
    t = texts(context)
    if say_so:
        await reply_removing_keyboard(update, t.get("area.set", name=e(nag.name)))
    if chosen.ask_consent:
        await reply(update, t.get("consent.ask", name=e(nag.name)), consent_keyboard(context))
    else:
        await show_menu(update, context, nag=nag)


def _yes_no(
    t_yes: str, yes: cd.CallbackData, t_no: str, no: cd.CallbackData
) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[button(t_yes, yes)],
         [button(t_no, no)]]
    )  # fmt: skip


def _choices(nags: Sequence[Nag], step: int, *more: InlineKeyboardButton) -> InlineKeyboardMarkup:
    return nag_choice_keyboard(nags, lambda nag_id: cd.Area(nag_id, step), more)


async def offer_search_result(
    update: Update, context: BotContext, result: SearchResult, resident: Resident | None = None
) -> bool:
    """Answer an area search; return False when nothing matched (the caller decides what next).

    One exact match becomes the area of someone who has none; someone who has one is asked (a
    place typed may be a look-up). Guesses from a misspelling are always confirmed: one with
    "Is this right?", several offered together. Several matches are offered one per row by
    their short names. Every offer is a new area question: older area buttons stop acting.
    """
    t = texts(context)
    if result.kind == "outside":
        await reply(update, t.get("area.outside", postcode=e(result.matched)))
        return True
    if not result.nags:
        return False
    if resident is None:
        resident = await context.services.residents.get(chat_id(update))
    if result.kind == "moved":
        await _moved_away(update, context, resident, result.nags)
        return True
    has_area = resident is not None and resident.nag_id is not None
    if len(result.nags) == 1 and result.kind != "fuzzy" and not has_area:
        await area_chosen(update, context, result.nags[0])
        return True
    if len(result.nags) == 1 and resident is not None and resident.nag_id == result.nags[0].id:
        # Their own area again: the question (if one was open) is answered, keyboard and all.
        await context.services.residents.close_area_question(chat_id(update), now(context))
        await reply_removing_keyboard(update, t.get("area.already", name=e(result.nags[0].name)))
        return True
    step = await open_question(update, context, AreaQuestion.OFFERED)
    retry = button(t.get("button.area_no"), cd.AreaRetry(step))
    if len(result.nags) == 1:
        nag = result.nags[0]
        if result.kind == "fuzzy":
            keyboard = _yes_no(
                t.get("button.area_yes"), cd.Area(nag.id, step), retry.text, cd.AreaRetry(step)
            )
            await reply(update, t.get("area.is_this_right", name=e(nag.name)), keyboard)
        else:
            keyboard = _yes_no(
                t.get("button.area_make_mine"), cd.Area(nag.id, step),
                t.get("button.area_meetings"), cd.Meetings(nag.id),
            )  # fmt: skip
            await reply(update, t.get("area.found_one", name=e(nag.name)), keyboard)
        return True
    if result.kind == "fuzzy":
        await reply(update, t.get("area.did_you_mean"), _choices(result.nags, step, retry))
        return True
    key: TextKey = "area.choose_postcode" if result.kind == "postcode" else "area.choose_name"
    await reply(
        update,
        t.get(key, query=e(result.matched) if result.kind == "postcode" else echo(result.matched)),
        _choices(result.nags, step),
    )
    return True


async def _moved_away(
    update: Update, context: BotContext, resident: Resident | None, left: Sequence[Nag]
) -> None:
    """ "I don't live in Fishermead any more": that area is taken off (if it was theirs) and
    a new one asked for; the place they left is never offered back."""
    s = context.services
    t = texts(context)
    mine = nag_of(s, resident)
    if mine is not None and mine in left:
        await s.residents.set_nag(chat_id(update), None, now(context))
        lead = t.get("area.moved", name=e(mine.name))
    else:
        lead = t.get("area.moved_elsewhere")
    await ask_for_area(update, context, lead)


async def search_text(update: Update, context: BotContext, text: str) -> bool:
    """A resident's free text read as an area answer. A sentence counts only while the bot is
    asking for an area (bot/domain/areas.py); a message that is mostly a place always does."""
    resident = await context.services.residents.get(chat_id(update))
    asking = resident is None or resident.asked_for_area
    result = context.services.areas.search(text[:MAX_QUERY], asking=asking)
    return await offer_search_result(update, context, result, resident)


async def on_location(update: Update, context: BotContext) -> None:
    """Pick the nearest NAG to a shared location (the location itself is not stored); a point
    outside Milton Keynes is answered as outside, never given the nearest group."""
    msg = update.effective_message
    loc = msg.location if msg is not None else None
    if loc is None:
        return
    s = context.services
    t = texts(context)
    resident = await s.residents.get(chat_id(update))
    if not s.areas.inside(loc.latitude, loc.longitude):
        await reply_removing_keyboard(update, t.get("area.location_far"))
        if resident is not None:  # the keyboard is gone: the question is no longer "asked"
            await s.residents.close_area_question(chat_id(update), now(context))
        return
    nearest = s.areas.nearest(loc.latitude, loc.longitude, limit=3)
    if resident is None or resident.nag_id is None:
        await area_chosen(update, context, nearest[0][0])
        return
    await reply_removing_keyboard(update, t.get("area.location_found", name=e(nearest[0][0].name)))
    await s.residents.close_area_question(chat_id(update), now(context))
    step = await open_question(update, context, AreaQuestion.OFFERED)
    await reply(update, t.get("area.location_choose"), _choices([n for n, _ in nearest], step))


async def _current(update: Update, context: BotContext, step: int) -> bool:
    """Whether a pressed area button answers the question open now; if not, it is answered as
    moved on (a toast), loses its buttons, and nothing changes."""
    resident = await context.services.residents.get(chat_id(update))
    if (
        resident is not None
        and resident.area_question is not AreaQuestion.NONE
        and resident.area_step == step
    ):
        return True
    await answer(update, texts(context).get("area.moved_on"))
    await remove_buttons(update)
    return False


async def on_area_button(update: Update, context: BotContext) -> None:
    """The resident tapped one of the offered NAGs."""
    data = pressed(update, cd.Area)
    nag = context.services.content.nag_by_id.get(data.nag) if data else None
    if data is None or nag is None:
        await answer(update, texts(context).get("common.stale_button"))
        return
    if not await _current(update, context, data.step):
        return
    await answer(update)
    await remove_buttons(update)  # the question stays, answered by what follows
    await area_chosen(update, context, nag)


async def on_change_area(update: Update, context: BotContext) -> None:
    """The "Change area" button on the NAG card."""
    await answer(update)
    await ask_for_area(update, context)


async def on_area_retry(update: Update, context: BotContext) -> None:
    """ "No, try again" after a guess: ask again (only while that guess is the question)."""
    data = pressed(update, cd.AreaRetry)
    if data is None or not await _current(update, context, data.step):
        return
    await answer(update)
    await edit_or_send(update, texts(context).get("area.not_that_one"))
    await ask_for_area(update, context)


async def on_consent(update: Update, context: BotContext) -> None:
    """Record the explicit opt-in (or the refusal) with its time."""
    data = pressed(update, cd.Consent)
    yes = bool(data and data.yes)
    s = context.services
    resident = await residents.answer_consent(
        s.residents, require_chat(update).id, yes, now(context)
    )
    await answer(update)
    t = texts(context)
    await edit_or_send(update, t.get("consent.yes" if yes else "consent.no"))
    await show_menu(update, context, nag=nag_of(s, resident))


# Buttons that answer or re-ask the area question; any other press leaves it.
_AREA_BUTTONS = (cd.Area, cd.AreaRetry, cd.ChangeArea, cd.Consent)


def _not_about_the_area(data: object) -> bool:
    setting = cd.Setting.unpack(data)
    if setting is not None and setting.item == "area":
        return False
    return not any(kind.unpack(data) is not None for kind in _AREA_BUTTONS)


async def on_something_else(update: Update, context: BotContext) -> None:
    """A command, or a button not about the area: an open area question has moved on (its
    buttons stop acting, the location keyboard goes). Never stops what follows."""
    if update.effective_chat is not None:
        await leave_area_question(update, context)


def _handlers(services: Services) -> Sequence[Handler]:
    private = filters.ChatType.PRIVATE
    return (
        (MessageHandler(private & filters.COMMAND, on_something_else), Group.QUESTIONS),
        (CallbackQueryHandler(on_something_else, pattern=_not_about_the_area), Group.QUESTIONS),
        (on_button(cd.Area, on_area_button), Group.FEATURES),
        (on_button(cd.ChangeArea, on_change_area), Group.FEATURES),
        (on_button(cd.AreaRetry, on_area_retry), Group.FEATURES),
        (on_button(cd.Consent, on_consent), Group.FEATURES),
        (MessageHandler(private & filters.LOCATION, on_location), Group.FEATURES),
    )


FEATURE = Feature(name="areas", handlers=_handlers)
