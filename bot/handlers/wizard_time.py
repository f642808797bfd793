"""The /broadcast wizard's time step: Now, the quick choices (today 18:00, tomorrow 10:00 and
18:00), or a day from a list (today, tomorrow, the next days) and then a time on it; a UK date
and time can be typed at any point of it (bot/handlers/wizard_typed.py).
"""

from __future__ import annotations

from datetime import time
from typing import Any

from telegram import InlineKeyboardMarkup, Update

from bot import callback_officers as ob
from bot.content.keys import TextKey
from bot.context import BotContext
from bot.domain.broadcasts import local_at, quick_choices
from bot.handlers.broadcast_retime import ask_new_time, retime_confirmation
from bot.handlers.common import now, reply, texts
from bot.handlers.wizard_draft import MAX_AHEAD, Draft, check_time, show, times_left
from bot.handlers.wizard_screens import show_preview
from bot.render.keyboards import button
from bot.render.text import day_short
from bot.render.wizard import (
    back_cancel,
    day_from_number,
    day_number,
    day_picker,
    time_picker,
)

QUICK_LABELS: dict[str, TextKey] = {
    "today_1800": "broadcast.quick_today_1800",
    "tomorrow_1000": "broadcast.quick_tomorrow_1000",
    "tomorrow_1800": "broadcast.quick_tomorrow_1800",
}


async def ask_time(update: Update, context: BotContext, draft: Draft, *, edit: bool = True) -> None:
    """Now, the quick choices, another day; or a typed date and time."""
    draft.step = "time"
    t = texts(context)
    tz = context.services.config.tz
    today = now(context).astimezone(tz).date()
    rows = [[button(t.get("broadcast.btn_now"), ob.WizardTime("now"))]]
    for choice in quick_choices(now(context), tz):
        day = day_short(t, choice.at.astimezone(tz).date(), today)
        label = t.get(QUICK_LABELS[choice.key], when=day)
        rows.append([button(label[:60], ob.WizardTime(choice.key))])
    rows.append([button(t.get("broadcast.btn_other_day"), ob.WizardDays())])
    rows.append(back_cancel(t, "audience"))
    await show(update, draft, t.get("broadcast.choose_time"), InlineKeyboardMarkup(rows), edit=edit)


async def time_picked(
    update: Update, context: BotContext, draft: Draft, data: ob.WizardTime
) -> None:
    """Now or a quick time choice."""
    tz = context.services.config.tz
    if data.choice == "now":
        draft.send_now, draft.send_at = True, now(context)
    else:
        choice = next((c for c in quick_choices(now(context), tz) if c.key == data.choice), None)
        if choice is None:  # e.g. "today 18:00" pressed after 18:00
            await reply(update, texts(context).get("broadcast.time_past"))
            await ask_time(update, context, draft, edit=False)
            return
        draft.send_now, draft.send_at = False, choice.at
    await show_preview(update, context, draft)


async def show_days(update: Update, context: BotContext, draft: Draft, data: Any) -> None:
    """The days to pick from (for a scheduled broadcast's new time, with its question)."""
    if draft.step == "retime":
        b = await context.services.broadcasts.get(draft.retime_id or 0)
        if b is not None:
            await ask_new_time(update, context, draft, b)
        return
    t = texts(context)
    today = now(context).astimezone(context.services.config.tz).date()
    today_open = bool(times_left(context, day_number(today)))
    text, markup = day_picker(t, today, today_open, back_cancel(t, "time"))
    await show(update, draft, text, markup)


async def day_picked(update: Update, context: BotContext, draft: Draft, data: ob.WizardDay) -> None:
    """One day: its times still ahead."""
    t = texts(context)
    day = day_from_number(data.day)
    times = times_left(context, data.day)
    if day is None or not times:
        await reply(update, t.get("broadcast.time_past"))
        await show_days(update, context, draft, None)
        return
    today = now(context).astimezone(context.services.config.tz).date()
    last_row = back_cancel(t, "days")
    if draft.step == "retime":  # Back only: the broadcast's card is one more Back away
        last_row = last_row[:1]
    text, markup = time_picker(t, day, today, times, last_row)
    await show(update, draft, text, markup)


async def at_picked(update: Update, context: BotContext, draft: Draft, data: ob.WizardAt) -> None:
    """A day and time: the preview (a time gone by meanwhile asks again)."""
    day = day_from_number(data.day)
    hour, minute = divmod(data.minute, 60)
    at = time(hour, minute) if hour < 24 else None
    when = local_at(day, at, context.services.config.tz) if day and at else None
    checked = check_time(context, when) if when is not None else "broadcast.bad_time"
    if isinstance(checked, str):
        await reply(update, texts(context).get(checked, days=MAX_AHEAD.days))
        if draft.step == "retime":
            await show_days(update, context, draft, None)
        else:
            await ask_time(update, context, draft, edit=False)
        return
    if draft.step == "retime" and draft.retime_id is not None:
        await retime_confirmation(update, context, draft.retime_id, checked)
        return
    draft.send_now, draft.send_at = False, checked
    await show_preview(update, context, draft)
