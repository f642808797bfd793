"""Choosing an area: typed postcode or place name, shared location, buttons, consent."""

from __future__ import annotations

from collections.abc import Sequence

from telegram import (
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    Update,
)
from telegram.ext import MessageHandler, filters

from bot import callback_data as cd
from bot.content import Nag
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
    pressed_nag,
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

MAX_QUERY = 100


def location_keyboard(context: BotContext) -> ReplyKeyboardMarkup:
    t = texts(context)
    return ReplyKeyboardMarkup(
        [[KeyboardButton(t.get("button.share_location"), request_location=True)]],
        resize_keyboard=True,
        one_time_keyboard=True,
        input_field_placeholder=t.get("area.placeholder"),
    )


async def ask_for_area(update: Update, context: BotContext) -> None:
    await reply(update, texts(context).get("area.ask"), location_keyboard(context))


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
    """Store the NAG; ask for consent the first time, otherwise offer the menu."""
    s = context.services
    chat_id = require_chat(update).id
    resident = await s.residents.touch(chat_id, now(context))
    await s.residents.set_nag(chat_id, nag.id, now(context))
    t = texts(context)
    if say_so:
        await reply_removing_keyboard(update, t.get("area.set", name=e(nag.name)))
    if resident.consent_at is None:
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


async def offer_search_result(update: Update, context: BotContext, result: SearchResult) -> bool:
    """Answer an area search; return False when nothing matched (the caller decides what next).

    One exact match becomes the area of someone who has none; someone who has one is asked (a
    place typed may be a look-up). A single guess from a misspelling is always confirmed.
    Several matches are offered one per row by their short names.
    """
    t = texts(context)
    if result.kind == "outside":
        await reply(update, t.get("area.outside", postcode=e(result.matched)))
        return True
    if not result.nags:
        return False
    resident = await context.services.residents.get(chat_id(update))
    has_area = resident is not None and resident.nag_id is not None
    if len(result.nags) == 1:
        nag = result.nags[0]
        if result.kind == "fuzzy":
            keyboard = _yes_no(
                t.get("button.area_yes"), cd.Area(nag.id), t.get("button.area_no"), cd.AreaRetry()
            )
            await reply(update, t.get("area.is_this_right", name=e(nag.name)), keyboard)
        elif not has_area:
            await area_chosen(update, context, nag)
        elif resident is not None and resident.nag_id == nag.id:
            await reply(update, t.get("area.already", name=e(nag.name)))
        else:
            keyboard = _yes_no(
                t.get("button.area_make_mine"), cd.Area(nag.id),
                t.get("button.area_meetings"), cd.Meetings(nag.id),
            )  # fmt: skip
            await reply(update, t.get("area.found_one", name=e(nag.name)), keyboard)
        return True
    key: TextKey = "area.choose_postcode" if result.kind == "postcode" else "area.choose_name"
    await reply(
        update,
        t.get(key, query=e(result.matched) if result.kind == "postcode" else echo(result.matched)),
        nag_choice_keyboard(result.nags, cd.Area),
    )
    return True


async def search_text(update: Update, context: BotContext, text: str) -> bool:
    result = context.services.areas.search(text[:MAX_QUERY])
    return await offer_search_result(update, context, result)


async def on_location(update: Update, context: BotContext) -> None:
    """Pick the nearest NAG to a shared location (the location itself is not stored)."""
    msg = update.effective_message
    loc = msg.location if msg is not None else None
    if loc is None:
        return
    nearest = context.services.areas.nearest(loc.latitude, loc.longitude, limit=3)
    t = texts(context)
    if not nearest or nearest[0][1] > 25:
        await reply_removing_keyboard(update, t.get("area.location_far"))
        return
    resident = await context.services.residents.get(chat_id(update))
    if resident is None or resident.nag_id is None:
        await area_chosen(update, context, nearest[0][0])
        return
    await reply_removing_keyboard(update, t.get("area.location_found", name=e(nearest[0][0].name)))
    await reply(
        update, t.get("area.location_choose"), nag_choice_keyboard([n for n, _ in nearest], cd.Area)
    )


async def on_area_button(update: Update, context: BotContext) -> None:
    """The resident tapped one of the offered NAGs."""
    nag = await pressed_nag(update, context, cd.Area)
    if nag is None:
        return
    await remove_buttons(update)  # the question stays, answered by what follows
    await area_chosen(update, context, nag)


async def on_change_area(update: Update, context: BotContext) -> None:
    """The "Change area" button on the NAG card, and "No, try again" after a guess."""
    await answer(update)
    if pressed(update, cd.AreaRetry) is not None:
        await edit_or_send(update, texts(context).get("area.not_that_one"))
    await ask_for_area(update, context)


async def on_consent(update: Update, context: BotContext) -> None:
    """Record the explicit opt-in (or the refusal) with its time."""
    data = pressed(update, cd.Consent)
    yes = bool(data and data.yes)
    s = context.services
    chat_id = require_chat(update).id
    resident = await s.residents.touch(chat_id, now(context))
    await s.residents.set_consent(chat_id, yes, now(context))
    await answer(update)
    t = texts(context)
    await edit_or_send(update, t.get("consent.yes" if yes else "consent.no"))
    await show_menu(update, context, nag=nag_of(s, resident))


def _handlers(services: Services) -> Sequence[Handler]:
    return (
        (on_button(cd.Area, on_area_button), Group.FEATURES),
        (on_button(cd.ChangeArea, on_change_area), Group.FEATURES),
        (on_button(cd.AreaRetry, on_change_area), Group.FEATURES),
        (on_button(cd.Consent, on_consent), Group.FEATURES),
        (MessageHandler(filters.ChatType.PRIVATE & filters.LOCATION, on_location), Group.FEATURES),
    )


FEATURE = Feature(name="areas", handlers=_handlers)
