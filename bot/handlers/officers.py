"""Officers' views of broadcasts: /scheduled (with Cancel, Send now and Change time on each) and
/report <id> (delivery counts, ratings and the audit trail), and the officers' part of /mydata
(their own audited actions)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any
from zoneinfo import ZoneInfo

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot import callback_data as cd
from bot.content import Texts
from bot.content.keys import TextKey
from bot.context import BotContext, Services
from bot.features import Feature, Handler, Privacy
from bot.handlers.common import answer, chat_store, officer_id, on_button, pressed, reply, texts
from bot.handlers.registry import Command, Group
from bot.handlers.wizard import DRAFT, Draft
from bot.render.text import describe_audience, e, first_line, when

logger = logging.getLogger(__name__)

STATUS_KEYS: dict[str, TextKey] = {
    "scheduled": "broadcast.status_scheduled",
    "sending": "broadcast.status_sending",
}
LIST_LIMIT = 15


def _progress_line(t, counts: dict[str, int], estimate: int | None) -> str:  # noqa: ANN001
    if estimate is not None:
        return t.get("broadcast.progress_planned", count=estimate)
    return t.get(
        "broadcast.progress",
        sent=counts.get("sent", 0),
        remaining=counts.get("pending", 0) + counts.get("sending", 0),
        blocked=counts.get("blocked", 0) + counts.get("not_found", 0),
        failed=counts.get("failed", 0),
    )


async def scheduled_command(update: Update, context: BotContext) -> None:
    """List pending and running broadcasts with progress and Cancel buttons."""
    s = context.services
    t = texts(context)
    tz = s.config.tz
    active = await s.broadcasts.active()
    shown = [b for b in active if b.kind != "reminder"][:LIST_LIMIT]
    reminders = sum(1 for b in active if b.kind == "reminder")
    if not shown:
        await reply(update, t.get("broadcast.none_scheduled", reminders=reminders))
        return
    lines = [t.get("broadcast.scheduled_head")]
    rows = []
    for b in shown:
        counts = await s.broadcasts.progress(b.id)
        estimate = None if b.materialised else await s.broadcasts.count_audience(b.audience)
        lines.append(
            t.get(
                "broadcast.scheduled_item",
                id=b.id,
                title=first_line(b.text or b.kind),
                when=e(when(t, b.due_at, tz)),
                status=t.get(STATUS_KEYS.get(b.status, "broadcast.status_scheduled")),
                progress=_progress_line(t, counts, estimate),
            )
        )
        row = [
            InlineKeyboardButton(
                t.get("broadcast.btn_cancel_id", id=b.id),
                callback_data=cd.CancelBroadcast(b.id).pack(),
            )
        ]
        if b.status == "scheduled":
            row.append(
                InlineKeyboardButton(
                    t.get("broadcast.btn_now_id", id=b.id),
                    callback_data=cd.SendNow(b.id).pack(),
                )
            )
            row.append(
                InlineKeyboardButton(
                    t.get("broadcast.btn_retime_id", id=b.id),
                    callback_data=cd.Retime(b.id).pack(),
                )
            )
        rows.append(row)
    lines.append(t.get("broadcast.reminders_line", reminders=reminders))
    await reply(update, "\n\n".join(lines), InlineKeyboardMarkup(rows))


async def report_command(update: Update, context: BotContext) -> None:
    """The delivery report of one broadcast: /report <id>."""
    s = context.services
    t = texts(context)
    bid = cd.parse_id(context.args[0]) if context.args else None
    b = await s.broadcasts.get(bid) if bid is not None else None
    if b is None:
        recent = await s.broadcasts.recent(5)
        ids = ", ".join(f"#{r.id}" for r in recent) or "–"
        await reply(update, t.get("broadcast.report_usage", ids=ids))
        return
    counts = await s.broadcasts.progress(b.id)
    useful, not_useful = await s.broadcasts.ratings(b.id)
    tz = s.config.tz
    names = {n.id: n.name for n in s.content.nags}
    audit = await s.broadcasts.audit_rows(b.id)
    trail = "\n".join(
        t.get(
            "broadcast.audit_line",
            action=e(a.action),
            who=a.actor_id if a.actor_id is not None else t.get("broadcast.the_bot"),
            when=e(when(t, a.at, tz)),
        )
        for a in audit
    )
    await reply(
        update,
        t.get(
            "broadcast.report",
            id=b.id,
            title=first_line(b.text or b.kind),
            status=e(b.status),
            when=e(when(t, b.send_at, tz)),
            audience=describe_audience(t, b.audience, names),
            sent=counts.get("sent", 0),
            remaining=counts.get("pending", 0) + counts.get("sending", 0),
            blocked=counts.get("blocked", 0),
            not_found=counts.get("not_found", 0),
            failed=counts.get("failed", 0),
            skipped=counts.get("skipped", 0),
            unsent=counts.get("cancelled", 0) + counts.get("expired", 0),
            useful=useful,
            not_useful=not_useful,
            trail=trail,
        ),
    )


async def _pressed_broadcast(
    update: Update, context: BotContext, kind: type[cd.CancelBroadcast | cd.SendNow | cd.Retime]
) -> tuple[int, int] | None:
    """(officer id, broadcast id) of an officer's button; answers a stale or foreign press."""
    officer = officer_id(update, context)
    data = pressed(update, kind)
    if officer is None or data is None:
        await answer(update, texts(context).get("common.stale_button"))
        return None
    return officer, data.broadcast


async def on_cancel(update: Update, context: BotContext) -> None:
    """Officer's Cancel button (from /scheduled or the 24-hour notice)."""
    press = await _pressed_broadcast(update, context, cd.CancelBroadcast)
    if press is None:
        return
    officer, bid = press
    t = texts(context)
    done = await context.services.broadcasting.cancel(bid, officer)
    await answer(update)
    await reply(update, t.get("broadcast.cancelled" if done else "broadcast.cannot_cancel", id=bid))


async def on_send_now(update: Update, context: BotContext) -> None:
    """Officer's Send now button in /scheduled."""
    press = await _pressed_broadcast(update, context, cd.SendNow)
    if press is None:
        return
    officer, bid = press
    t = texts(context)
    done = await context.services.broadcasting.send_now(bid, officer)
    await answer(update)
    await reply(
        update, t.get("broadcast.sending_now" if done else "broadcast.cannot_cancel", id=bid)
    )


async def on_retime(update: Update, context: BotContext) -> None:
    """Officer's Change time button in /scheduled: ask for the new date and time."""
    press = await _pressed_broadcast(update, context, cd.Retime)
    if press is None:
        return
    _, bid = press
    await answer(update)
    chat_store(context)[DRAFT] = Draft(step="retime", retime_id=bid)
    await reply(update, texts(context).get("broadcast.ask_new_time", id=bid))


async def _collect(services: Services, chat_id: int) -> list[dict[str, Any]]:
    return [
        {
            "broadcast": a.broadcast_id,
            "action": str(a.action),
            "detail": a.detail,
            "at": a.at.isoformat(),
        }
        for a in await services.broadcasts.actions_by(chat_id)
    ]


def _describe(t: Texts, data: list[dict[str, Any]], tz: ZoneInfo) -> list[str]:
    if not data:
        return []
    return [t.get("officer.mydata_actions", count=len(data))]


def _handlers(services: Services) -> Sequence[Handler]:
    return (
        (on_button(cd.CancelBroadcast, on_cancel), Group.FEATURES),
        (on_button(cd.SendNow, on_send_now), Group.FEATURES),
        (on_button(cd.Retime, on_retime), Group.FEATURES),
    )


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
