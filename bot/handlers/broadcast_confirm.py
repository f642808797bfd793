"""Acting on a broadcast from its card: Send now, Change time and Cancel each lead to a screen
saying what will happen, with Confirm and Back; a Confirm acts only while the broadcast is still
due when the officer saw it (split from bot/handlers/officers.py, whose docstring says more).
Also officers' typed answers: a new time for a broadcast, anything else to the /broadcast wizard.
"""

from __future__ import annotations

import logging
from datetime import datetime

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import ApplicationHandlerStop

from bot import callback_officers as ob
from bot.context import BotContext
from bot.handlers import broadcast_translate as translate
from bot.handlers import wizard
from bot.handlers.broadcast_cards import (
    arrival_line,
    card_view,
    confirm_head,
    confirm_keyboard,
    epoch,
    from_epoch,
    reach,
    reach_words,
    refusal,
)
from bot.handlers.broadcast_retime import ask_new_time, retime_confirmation
from bot.handlers.common import (
    answer,
    edit_or_send,
    message_text,
    now,
    officer_id,
    pressed,
    reply,
    texts,
)
from bot.handlers.wizard_draft import Draft, begin_draft, draft_of, end_draft
from bot.render.keyboards import button
from bot.render.text import e, when_words
from storage.broadcasts import Broadcast
from storage.model import BroadcastStatus

logger = logging.getLogger(__name__)


async def _pressed_broadcast(
    update: Update,
    context: BotContext,
    kind: type[ob.Manage | ob.CancelBroadcast | ob.SendNow | ob.Retime],
) -> tuple[int, Broadcast] | None:
    """(officer, broadcast) of an officer's press; a stale or foreign press is only answered."""
    officer = officer_id(update, context)
    data = pressed(update, kind)
    b = await context.services.broadcasts.get(data.broadcast) if data and officer else None
    if officer is None or b is None:
        await answer(update, texts(context).get("common.stale_button"))
        return None
    await answer(update)
    return officer, b


async def on_manage(update: Update, context: BotContext) -> None:
    """Manage #N: the broadcast's card (edited in place of the list)."""
    press = await _pressed_broadcast(update, context, ob.Manage)
    if press is None:
        return
    draft = draft_of(context)
    if draft is not None and draft.step in ("retime", *translate.STEPS):
        end_draft(context)  # Back from "type the new time" or a translation: nothing changed
    text, markup = await card_view(context.services, texts(context), press[1])
    await edit_or_send(update, text, markup)


async def _still_open(
    update: Update, context: BotContext, b: Broadcast, *, not_started: bool
) -> bool:
    """Whether `b` can still be changed: sent now or moved only before it starts
    (`not_started`), cancelled while it is going out too. Otherwise say why."""
    if b.status == BroadcastStatus.SCHEDULED or (
        not not_started and b.status == BroadcastStatus.SENDING
    ):
        return True
    await reply(update, await refusal(context.services, texts(context), b.id))
    return False


async def on_send_now(update: Update, context: BotContext) -> None:
    """Send now: says who gets it and when (quiet hours), then asks to confirm."""
    press = await _pressed_broadcast(update, context, ob.SendNow)
    if press is None or not await _still_open(update, context, press[1], not_started=True):
        return
    s, t, b = context.services, texts(context), press[1]
    w = reach_words(t, s, b, await reach(s, b))
    text = "\n".join(
        [
            *confirm_head(t, s, b, "broadcast.confirm_send_now", w.total),
            arrival_line(t, s, now(context), b.urgent, now(context)),
            t.get(
                "broadcast.was_planned", when=e(when_words(t, b.due_at, s.config.tz, now(context)))
            ),
        ]
    )
    label = t.get("broadcast.btn_yes_send", count=w.total)
    keyboard = confirm_keyboard(t, label, ob.ConfirmSendNow(b.id, epoch(b.due_at)), b.id)
    current = now(context)
    if not b.urgent and s.broadcasting.send_time(current, False) > current:
        # Held back by quiet hours: offer to send it now anyway, as urgent (audited so).
        urgent = button(
            t.get("broadcast.btn_send_urgent"), ob.ConfirmSendNow(b.id, epoch(b.due_at), True)
        )
        keyboard = InlineKeyboardMarkup([[urgent], *keyboard.inline_keyboard])
    await edit_or_send(update, text, keyboard)


async def on_cancel(update: Update, context: BotContext) -> None:
    """Cancel (from the card or the officers' 24-hour notice): says what stops, then asks."""
    press = await _pressed_broadcast(update, context, ob.CancelBroadcast)
    if press is None or not await _still_open(update, context, press[1], not_started=False):
        return
    s, t, b = context.services, texts(context), press[1]
    w = reach_words(t, s, b, await reach(s, b))
    if b.status == BroadcastStatus.SENDING and w.sent is None:
        k = s.config.settings.survey.min_count
        effect = t.get("broadcast.cancel_effect_sending_hidden", k=k)
    elif b.status == BroadcastStatus.SENDING:
        effect = t.get("broadcast.cancel_effect_sending", sent=w.sent, remaining=w.remaining)
    else:
        effect = t.get(
            "broadcast.cancel_effect",
            count=w.total,
            when=e(when_words(t, b.due_at, s.config.tz, now(context))),
        )
    text = "\n".join([*confirm_head(t, s, b, "broadcast.confirm_cancel", None), effect])
    label = t.get("broadcast.btn_yes_cancel")
    await edit_or_send(
        update, text, confirm_keyboard(t, label, ob.ConfirmCancel(b.id, epoch(b.due_at)), b.id)
    )


async def on_retime(update: Update, context: BotContext) -> None:
    """Change time: ask for the new day and time, picked or typed (a confirmation follows)."""
    press = await _pressed_broadcast(update, context, ob.Retime)
    if press is None or not await _still_open(update, context, press[1], not_started=True):
        return
    draft = begin_draft(context, Draft(step="retime", retime_id=press[1].id))
    await ask_new_time(update, context, draft, press[1])


async def _confirming(
    update: Update, context: BotContext, kind: type[ob.ConfirmCancel | ob.ConfirmSendNow]
) -> tuple[int, int, datetime] | None:
    officer = officer_id(update, context)
    data = pressed(update, kind)
    if officer is None or data is None:
        await answer(update, texts(context).get("common.stale_button"))
        return None
    await answer(update)
    return officer, data.broadcast, from_epoch(data.due)


async def on_confirm_send_now(update: Update, context: BotContext) -> None:
    """Confirmed: send now (only if still due when the officer saw it)."""
    press = await _confirming(update, context, ob.ConfirmSendNow)
    if press is None:
        return
    officer, bid, due = press
    s, t = context.services, texts(context)
    data = pressed(update, ob.ConfirmSendNow)
    urgent = bool(data and data.urgent)
    b = await s.broadcasting.send_now(bid, officer, expected_due=due, urgent=urgent)
    if b is None:
        await reply(update, await refusal(s, t, bid))
        return
    current = now(context)
    arrives = s.broadcasting.send_time(current, b.urgent)
    if arrives > current:
        when = e(when_words(t, arrives, s.config.tz, current))
        text = t.get("broadcast.goes_out_quiet", id=bid, when=when)
    else:
        text = t.get("broadcast.going_out_now", id=bid)
    await edit_or_send(update, text)


async def on_confirm_cancel(update: Update, context: BotContext) -> None:
    """Confirmed: cancel (only if still due when the officer saw it)."""
    press = await _confirming(update, context, ob.ConfirmCancel)
    if press is None:
        return
    officer, bid, due = press
    s, t = context.services, texts(context)
    if not await s.broadcasting.cancel(bid, officer, expected_due=due):
        await reply(update, await refusal(s, t, bid))
        return
    await edit_or_send(update, t.get("broadcast.cancelled", id=bid))


async def on_confirm_retime(update: Update, context: BotContext) -> None:
    """Confirmed: move to the new time (only if still due when the officer saw it)."""
    officer = officer_id(update, context)
    data = pressed(update, ob.ConfirmRetime)
    if officer is None or data is None:
        await answer(update, texts(context).get("common.stale_button"))
        return
    await answer(update)
    s, t = context.services, texts(context)
    at, current = from_epoch(data.at), now(context)
    if at <= current:
        await reply(update, t.get("broadcast.time_past"))
        return
    b = await s.broadcasting.retime(data.broadcast, at, officer, from_epoch(data.due))
    if b is None:
        await reply(update, await refusal(s, t, data.broadcast))
        return
    arrives = s.broadcasting.send_time(at, b.urgent)
    tz = s.config.tz
    if arrives > at:
        text = t.get(
            "broadcast.changed_quiet",
            id=data.broadcast,
            when=e(when_words(t, arrives, tz, current)),
            planned=e(when_words(t, at, tz, current)),
        )
    else:
        text = t.get("broadcast.changed", id=data.broadcast, when=e(when_words(t, at, tz, current)))
    await edit_or_send(update, text)


async def on_officer_text(update: Update, context: BotContext) -> None:
    """An officer's typed new time or translation for a broadcast; anything else goes to the
    wizard."""
    draft = draft_of(context)
    officer = officer_id(update, context)
    if draft is not None and officer is not None and draft.step in translate.STEPS:
        await translate.on_typed(update, context, draft)
        raise ApplicationHandlerStop
    if draft is None or officer is None or draft.step != "retime" or draft.retime_id is None:
        await wizard.on_officer_text(update, context)
        return
    at = wizard.parse_time(context, message_text(update))
    if isinstance(at, str):
        await reply(update, texts(context).get(at, days=wizard.MAX_AHEAD.days))
    else:
        await retime_confirmation(update, context, draft.retime_id, at)
    raise ApplicationHandlerStop
