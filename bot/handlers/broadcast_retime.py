"""Changing a scheduled broadcast's time: the new day and time picked by buttons (the wizard's
day and time pickers, bot/handlers/wizard_time.py) or typed, then a confirmation saying what will
change (split from bot/handlers/broadcast_confirm.py, which handles the Confirm).
"""

from __future__ import annotations

from datetime import datetime

from telegram import Update

from bot import callback_officers as ob
from bot.context import BotContext
from bot.handlers.broadcast_cards import (
    arrival_line,
    confirm_head,
    confirm_keyboard,
    epoch,
    reach,
    reach_words,
    refusal,
)
from bot.handlers.common import now, reply, texts
from bot.handlers.wizard_draft import Draft, end_draft, show, times_left
from bot.render.keyboards import button
from bot.render.text import e, when_words
from bot.render.wizard import day_number, day_picker
from storage.broadcasts import Broadcast
from storage.model import BroadcastStatus


async def ask_new_time(update: Update, context: BotContext, draft: Draft, b: Broadcast) -> None:
    """When should it go out instead: a day from the list (then a time), or typed."""
    s, t = context.services, texts(context)
    current = now(context)
    today = current.astimezone(s.config.tz).date()
    back = [button(t.get("broadcast.btn_back"), ob.Manage(b.id))]
    _, days = day_picker(t, today, bool(times_left(context, day_number(today))), back)
    text = t.get(
        "broadcast.ask_new_time", id=b.id, when=e(when_words(t, b.due_at, s.config.tz, current))
    )
    await show(update, draft, text, days)


async def retime_confirmation(update: Update, context: BotContext, bid: int, at: datetime) -> None:
    """The typed new time of a broadcast: what will change, then Confirm or Back."""
    s, t = context.services, texts(context)
    end_draft(context)
    b = await s.broadcasts.get(bid)
    if b is None or b.status != BroadcastStatus.SCHEDULED:
        await reply(update, await refusal(s, t, bid))
        return
    current, tz = now(context), s.config.tz
    w = reach_words(t, s, b, await reach(s, b))
    text = "\n".join(
        [
            *confirm_head(t, s, b, "broadcast.confirm_retime", w.total),
            t.get(
                "broadcast.retime_from_to",
                old=e(when_words(t, b.due_at, tz, current)),
                new=e(when_words(t, at, tz, current)),
            ),
            arrival_line(t, s, at, b.urgent, current),
        ]
    )
    data = ob.ConfirmRetime(b.id, epoch(b.due_at), epoch(at))
    await reply(update, text, confirm_keyboard(t, t.get("broadcast.btn_yes_move"), data, b.id))
