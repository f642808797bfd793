"""Officers' views of broadcasts: /scheduled (a compact list, one card per broadcast, and a
confirmation before anything is sent, cancelled or moved), /report <id> (delivery counts,
ratings and the history, officers named from the config), officers' typed answers (a new time
for a scheduled broadcast here; anything else goes on to the /broadcast wizard), and the
officers' part of /mydata (their own audited actions).

Nothing acts on a first press. Send now, Change time and Cancel each lead to a screen saying
what will happen (the message, its audience, how many residents, and when they actually get it,
by the rule delivery applies in quiet hours) with Confirm and Back. A Confirm carries the due
time the officer was shown, and the change happens only while the broadcast is still due then
(one SQL statement checks and changes), so a second press, or a press after the broadcast was
sent, moved or cancelled, changes nothing and says why. The officer's role is checked on every
press: buttons can be forwarded.

What the views count and list (reach, the /scheduled pages, the delivery report and its audit
rows) comes from bot/services/officers.py. This module holds the commands and the wiring;
bot/handlers/broadcast_cards.py puts broadcasts into words, bot/handlers/broadcast_confirm.py
handles the presses and confirmations, bot/handlers/broadcast_translate.py the change of a typed
broadcast's text in another language (typed, previewed, confirmed; removing asks first).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any
from zoneinfo import ZoneInfo

from telegram import Update
from telegram.ext import MessageHandler, filters

from bot import callback_data as cd
from bot import callback_officers as ob
from bot.content import Texts
from bot.context import BotContext, Services
from bot.features import Feature, Handler, Privacy
from bot.handlers import broadcast_translate as translate
from bot.handlers.broadcast_cards import (
    STATUS_WORDS,
    audit_trail,
    list_view,
    message_words,
    nag_names,
)
from bot.handlers.broadcast_confirm import (
    on_cancel,
    on_confirm_cancel,
    on_confirm_retime,
    on_confirm_send_now,
    on_manage,
    on_officer_text,
    on_retime,
    on_send_now,
)
from bot.handlers.common import (
    answer,
    edit_or_send,
    now,
    officer_id,
    on_button,
    pressed,
    reply,
    texts,
)
from bot.handlers.registry import Command, Group
from bot.render.text import describe_audience, e, when_words
from bot.services import officers as ro

logger = logging.getLogger(__name__)


async def scheduled_command(update: Update, context: BotContext) -> None:
    """The coming month's broadcasts, one line each, with a Manage button for each."""
    text, markup = await list_view(context.services, texts(context), later=False, page=0)
    await reply(update, text, markup)


async def on_list(update: Update, context: BotContext) -> None:
    """A page of /scheduled, the later automatic messages, or back to the list."""
    data = pressed(update, ob.ScheduledList)
    if officer_id(update, context) is None or data is None:
        await answer(update, texts(context).get("common.stale_button"))
        return
    await answer(update)
    text, markup = await list_view(context.services, texts(context), data.later, data.page)
    await edit_or_send(update, text, markup)


async def report_command(update: Update, context: BotContext) -> None:
    """The delivery report of one broadcast: /report <id>."""
    s = context.services
    t = texts(context)
    bid = cd.parse_id(context.args[0]) if context.args else None
    k = s.config.settings.survey.min_count
    r = await ro.report(s.broadcasts, bid, k) if bid is not None else None
    if r is None:
        recent = await s.broadcasts.recent(5)
        ids = ", ".join(f"#{b.id}" for b in recent) or "–"
        await reply(update, t.get("broadcast.report_usage", ids=ids))
        return
    b, tz, current = r.broadcast, s.config.tz, now(context)
    hidden = t.get("broadcast.report_hidden", min=k)

    def n(count: int | None) -> str:
        return str(count) if count is not None else hidden

    def about(count: int | None) -> str:
        # Delivery figures are rounded to a multiple of k (bot/services/audiences.py).
        return f"≈{count:,}" if count else n(count)

    await reply(
        update,
        t.get(
            "broadcast.report",
            id=b.id,
            title=message_words(t, b, 60),
            status=t.get(STATUS_WORDS[b.status]),
            when=e(when_words(t, b.send_at, tz, current)),
            audience=describe_audience(t, b.audience, nag_names(s)),
            sent=about(r.sent),
            remaining=about(r.remaining),
            blocked=about(r.blocked),
            not_found=about(r.not_found),
            failed=about(r.failed),
            skipped=about(r.skipped),
            unsent=about(r.unsent),
            useful=n(r.useful),
            not_useful=n(r.not_useful),
            trail=audit_trail(s, t, r.audit, current),
        ),
    )


async def _collect(services: Services, chat_id: int) -> list[dict[str, Any]]:
    return await ro.actions_of(services.broadcasts, chat_id)


def _describe(t: Texts, data: list[dict[str, Any]], tz: ZoneInfo) -> list[str]:
    if not data:
        return []
    return [t.get("officer.mydata_actions", count=len(data))]


def _handlers(services: Services) -> Sequence[Handler]:
    out: list[Handler] = [
        (on_button(ob.ScheduledList, on_list), Group.FEATURES),
        (on_button(ob.Manage, on_manage), Group.FEATURES),
        (on_button(ob.CancelBroadcast, on_cancel), Group.FEATURES),
        (on_button(ob.SendNow, on_send_now), Group.FEATURES),
        (on_button(ob.Retime, on_retime), Group.FEATURES),
        (on_button(ob.ConfirmCancel, on_confirm_cancel), Group.FEATURES),
        (on_button(ob.ConfirmSendNow, on_confirm_send_now), Group.FEATURES),
        (on_button(ob.ConfirmRetime, on_confirm_retime), Group.FEATURES),
        (on_button(ob.EditTranslation, translate.on_edit), Group.FEATURES),
        (on_button(ob.ConfirmTranslation, translate.on_confirm), Group.FEATURES),
        (on_button(ob.RemoveTranslation, translate.on_remove), Group.FEATURES),
        (on_button(ob.ConfirmRemoveTranslation, translate.on_confirm_remove), Group.FEATURES),
    ]
    # Officers' typed answers come before the safeguarding check and the features, so an
    # officer's campaign text about knife crime is never answered with helplines or taken for
    # an area search; what is not an answer falls through untouched. The filter follows the
    # roster: officers invited through the console are in it once they join.
    who = filters.User(list(services.roster.roles), allow_empty=False)

    def follow() -> None:
        now_ids = set(services.roster.roles)
        who.remove_user_ids(set(who.user_ids) - now_ids)
        who.add_user_ids(now_ids)

    services.roster.on_change.append(follow)
    typed = filters.ChatType.PRIVATE & who & filters.TEXT & ~filters.COMMAND
    out.append((MessageHandler(typed, on_officer_text), Group.OFFICER_INPUT))
    return out


FEATURE = Feature(
    name="broadcast views",
    commands=(
        Command("scheduled", scheduled_command, audience="officer"),
        Command("report", report_command, audience="officer"),
    ),
    handlers=_handlers,
    privacy=Privacy(
        section="officer_actions",
        tables=("broadcast_audit",),
        collect=_collect,
        describe=_describe,
        erase=None,  # kept for accountability: who sent, cancelled or moved a broadcast
    ),
)
