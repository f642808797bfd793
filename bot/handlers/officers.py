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
rows) comes from bot/services/officers.py; this module parses, renders and replies.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import ApplicationHandlerStop, MessageHandler, filters

from bot import callback_data as cd
from bot.content import Texts
from bot.content.keys import TextKey
from bot.context import BotContext, Services
from bot.features import Feature, Handler, Privacy
from bot.handlers import wizard
from bot.handlers.common import (
    answer,
    chat_store,
    edit_or_send,
    message_text,
    now,
    officer_id,
    on_button,
    pressed,
    reply,
    texts,
)
from bot.handlers.registry import Command, Group
from bot.handlers.wizard import DRAFT, Draft, draft_of
from bot.render.keyboards import button
from bot.render.text import describe_audience, e, officer_name, snippet, when_short, when_words
from bot.services import officers as ro
from bot.services.officers import Reach
from storage.broadcasts import AuditRow, Broadcast
from storage.model import Audience, AudienceKind, AuditAction, BroadcastKind, BroadcastStatus

logger = logging.getLogger(__name__)

PER_ROW = 3  # "Manage #12" buttons side by side (short enough for a phone)
LIST_SNIPPET = 40  # characters of a message in a /scheduled line
CARD_SNIPPET = 160  # ... and on its card and confirmations

ENDED_KEYS: dict[str, TextKey] = {
    BroadcastStatus.DONE: "broadcast.refused_done",
    BroadcastStatus.CANCELLED: "broadcast.refused_cancelled",
    BroadcastStatus.EXPIRED: "broadcast.refused_expired",
}
STATUS_WORDS: dict[str, TextKey] = {
    BroadcastStatus.SCHEDULED: "broadcast.status_scheduled",
    BroadcastStatus.SENDING: "broadcast.status_sending",
    BroadcastStatus.DONE: "broadcast.status_done",
    BroadcastStatus.CANCELLED: "broadcast.status_cancelled",
    BroadcastStatus.EXPIRED: "broadcast.status_expired",
}
ACTION_WORDS: dict[str, TextKey] = {
    AuditAction.SCHEDULE: "broadcast.action_schedule",
    AuditAction.CANCEL: "broadcast.action_cancel",
    AuditAction.SEND_NOW: "broadcast.action_send_now",
    AuditAction.CHANGE: "broadcast.action_change",
    AuditAction.EXPIRE: "broadcast.action_expire",
}


def epoch(dt: datetime) -> int:
    """A time as whole Unix seconds (what a Confirm button carries; storage keeps seconds)."""
    return int(dt.timestamp())


def from_epoch(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


# ---------------------------------------------------------------- describing a broadcast


async def reach(s: Services, b: Broadcast) -> Reach:
    return await ro.reach(s.broadcasts, b)


def _short_audience(t: Texts, s: Services, audience: Audience) -> str:
    """A few words for a /scheduled line: "everyone", "Fishermead", "3 NAGs"."""
    nags = [e(n.short_name) for i in audience.nags if (n := s.content.nag_by_id.get(i))]
    if audience.kind in (AudienceKind.NAGS, AudienceKind.REMINDER):
        names = ", ".join(nags) if len(nags) <= 2 else t.get("broadcast.short_nags", n=len(nags))
        key: TextKey = (
            "broadcast.short_reminder"
            if audience.kind == AudienceKind.REMINDER
            else "broadcast.short_in"
        )
        return t.get(key, names=names)
    if audience.kind == AudienceKind.SURVEY:
        return t.get("broadcast.short_survey")
    if audience.kind == AudienceKind.PERSONAL:
        return t.get("broadcast.short_personal")
    return t.get("broadcast.short_all")


def _what(t: Texts, b: Broadcast, limit: int) -> str:
    """The message in a few words (escaped)."""
    if b.kind == BroadcastKind.REMINDER:
        return t.get("broadcast.what_reminder")
    if b.kind == BroadcastKind.SURVEY_RESULTS:
        return t.get("broadcast.what_results")
    return e(snippet(b.text or "", limit))


def _origin(t: Texts, s: Services, b: Broadcast) -> str:
    if b.kind == BroadcastKind.CAMPAIGN:
        return t.get("broadcast.origin_campaign")
    if b.kind == BroadcastKind.REMINDER:
        return t.get("broadcast.origin_reminder")
    if b.kind == BroadcastKind.SURVEY_RESULTS:
        return t.get("broadcast.origin_results")
    who = officer_name(t, s.config.officer_entry(b.created_by), b.created_by)
    return t.get("broadcast.origin_officer", who=who)


def _nag_names(s: Services) -> dict[str, str]:
    return {n.id: n.name for n in s.content.nags}


def arrival_line(t: Texts, s: Services, planned: datetime, urgent: bool, current: datetime) -> str:
    """When residents get a broadcast planned for `planned`, by delivery's own rule: the time,
    or the quiet-hours line when it is held back (no quiet-hours words otherwise)."""
    tz = s.config.tz
    arrives = s.broadcasting.send_time(max(planned, current), urgent)
    if arrives > max(planned, current):
        return t.get("broadcast.quiet_gets_it", when=e(when_words(t, arrives, tz, current)))
    if planned <= current:
        return t.get("broadcast.gets_it_now")
    return t.get("broadcast.gets_it_at", when=e(when_words(t, planned, tz, current)))


# ---------------------------------------------------------------- /scheduled: the list


def _line(t: Texts, s: Services, b: Broadcast, r: Reach, current: datetime) -> str:
    what = _what(t, b, LIST_SNIPPET)
    audience = _short_audience(t, s, b.audience)
    if b.status == BroadcastStatus.SENDING:
        line = t.get(
            "broadcast.list_item_sending",
            id=b.id,
            what=what,
            audience=audience,
            sent=r.sent,
            total=r.total,
        )
    else:
        line = t.get(
            "broadcast.list_item",
            id=b.id,
            when=e(when_short(t, b.due_at, s.config.tz, current)),
            what=what,
            audience=audience,
            count=r.total,
        )
    if b.kind == BroadcastKind.OFFICER:
        # Who scheduled it, in short: "Sam" of "Sam (Safer Neighbourhood Team)".
        who = officer_name(t, s.config.officer_entry(b.created_by), b.created_by)
        line += t.get("broadcast.list_by", who=who.split(" (")[0])
    return line


async def list_view(s: Services, t: Texts, later: bool, page: int) -> tuple[str, Any]:
    """One page of /scheduled: a line per broadcast and a Manage button for each."""
    current = s.clock.now()
    listed = await ro.scheduled_page(s.broadcasts, current, later, page)
    if listed.empty:
        return t.get("broadcast.none_scheduled"), None
    page, pages = listed.page, listed.pages
    head: TextKey = "broadcast.later_head" if later else "broadcast.scheduled_head"
    lines = [t.get(head, count=listed.count)]
    lines += [_line(t, s, b, r, current) for b, r in listed.shown]
    if not later and listed.idle:
        lines.append(t.get("broadcast.idle_reminders", count=listed.idle))
    if pages > 1:
        lines.append(t.get("broadcast.list_page", page=page + 1, pages=pages))
    manage = [
        button(t.get("broadcast.btn_manage", id=b.id), cd.Manage(b.id)) for b, _ in listed.shown
    ]
    rows = [manage[i : i + PER_ROW] for i in range(0, len(manage), PER_ROW)]
    nav = []
    if page > 0:
        nav.append(button(t.get("broadcast.btn_prev"), cd.ScheduledList(later, page - 1)))
    if page + 1 < pages:
        nav.append(button(t.get("broadcast.btn_next"), cd.ScheduledList(later, page + 1)))
    if nav:
        rows.append(nav)
    if later:
        rows.append([button(t.get("broadcast.btn_back_soon"), cd.ScheduledList(False, 0))])
    elif listed.later_count:
        label = t.get("broadcast.btn_show_later", count=listed.later_count)
        rows.append([button(label, cd.ScheduledList(True, 0))])
    return "\n".join(lines), InlineKeyboardMarkup(rows) if rows else None


async def scheduled_command(update: Update, context: BotContext) -> None:
    """The coming month's broadcasts, one line each, with a Manage button for each."""
    text, markup = await list_view(context.services, texts(context), later=False, page=0)
    await reply(update, text, markup)


async def on_list(update: Update, context: BotContext) -> None:
    """A page of /scheduled, the later automatic messages, or back to the list."""
    data = pressed(update, cd.ScheduledList)
    if officer_id(update, context) is None or data is None:
        await answer(update, texts(context).get("common.stale_button"))
        return
    await answer(update)
    text, markup = await list_view(context.services, texts(context), data.later, data.page)
    await edit_or_send(update, text, markup)


# ---------------------------------------------------------------- one broadcast's card


async def card_view(s: Services, t: Texts, b: Broadcast) -> tuple[str, InlineKeyboardMarkup]:
    """What the broadcast is, who gets it, when, and what can be done with it."""
    current = s.clock.now()
    r = await reach(s, b)
    parts = [
        t.get("broadcast.card_head", id=b.id, origin=_origin(t, s, b)),
        t.get("broadcast.card_text", text=_what(t, b, CARD_SNIPPET)),
        t.get(
            "broadcast.card_audience",
            audience=describe_audience(t, b.audience, _nag_names(s)),
            count=r.total,
        ),
    ]
    back = [button(t.get("broadcast.btn_back_list"), cd.ScheduledList(False, 0))]
    if b.status == BroadcastStatus.SCHEDULED:
        parts.append(arrival_line(t, s, b.due_at, b.urgent, current))
        rows = [
            [
                button(t.get("broadcast.btn_send_now"), cd.SendNow(b.id)),
                button(t.get("broadcast.btn_change_time"), cd.Retime(b.id)),
            ],
            [button(t.get("broadcast.btn_cancel_it"), cd.CancelBroadcast(b.id))],
            back,
        ]
    elif b.status == BroadcastStatus.SENDING:
        parts.append(t.get("broadcast.card_sending", sent=r.sent, remaining=r.remaining))
        rows = [[button(t.get("broadcast.btn_stop_rest"), cd.CancelBroadcast(b.id))], back]
    else:
        parts.append(t.get(ENDED_KEYS[b.status], id=b.id))
        rows = [back]
    return "\n".join(parts), InlineKeyboardMarkup(rows)


async def _pressed_broadcast(
    update: Update,
    context: BotContext,
    kind: type[cd.Manage | cd.CancelBroadcast | cd.SendNow | cd.Retime],
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
    press = await _pressed_broadcast(update, context, cd.Manage)
    if press is None:
        return
    draft = draft_of(context)
    if draft is not None and draft.step == "retime":
        chat_store(context).pop(DRAFT, None)  # Back from "type the new time"
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


def _confirm_keyboard(
    t: Texts, label: str, data: cd.CallbackData, bid: int
) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[button(label, data)], [button(t.get("broadcast.btn_back"), cd.Manage(bid))]]
    )


def _confirm_head(
    t: Texts, s: Services, b: Broadcast, key: TextKey, count: int | None
) -> list[str]:
    """The first lines of every confirmation: what is asked, the text, and who gets it (with
    how many when `count` is given)."""
    audience = describe_audience(t, b.audience, _nag_names(s))
    return [
        t.get(key, id=b.id),
        t.get("broadcast.card_text", text=_what(t, b, CARD_SNIPPET)),
        t.get("broadcast.card_audience", audience=audience, count=count)
        if count is not None
        else t.get("broadcast.card_audience_only", audience=audience),
    ]


async def on_send_now(update: Update, context: BotContext) -> None:
    """Send now: says who gets it and when (quiet hours), then asks to confirm."""
    press = await _pressed_broadcast(update, context, cd.SendNow)
    if press is None or not await _still_open(update, context, press[1], not_started=True):
        return
    s, t, b = context.services, texts(context), press[1]
    r = await reach(s, b)
    text = "\n".join(
        [
            *_confirm_head(t, s, b, "broadcast.confirm_send_now", r.total),
            arrival_line(t, s, now(context), b.urgent, now(context)),
            t.get(
                "broadcast.was_planned", when=e(when_words(t, b.due_at, s.config.tz, now(context)))
            ),
        ]
    )
    label = t.get("broadcast.btn_yes_send", count=r.total)
    keyboard = _confirm_keyboard(t, label, cd.ConfirmSendNow(b.id, epoch(b.due_at)), b.id)
    current = now(context)
    if not b.urgent and s.broadcasting.send_time(current, False) > current:
        # Held back by quiet hours: offer to send it now anyway, as urgent (audited so).
        urgent = button(
            t.get("broadcast.btn_send_urgent"), cd.ConfirmSendNow(b.id, epoch(b.due_at), True)
        )
        keyboard = InlineKeyboardMarkup([[urgent], *keyboard.inline_keyboard])
    await edit_or_send(update, text, keyboard)


async def on_cancel(update: Update, context: BotContext) -> None:
    """Cancel (from the card or the officers' 24-hour notice): says what stops, then asks."""
    press = await _pressed_broadcast(update, context, cd.CancelBroadcast)
    if press is None or not await _still_open(update, context, press[1], not_started=False):
        return
    s, t, b = context.services, texts(context), press[1]
    r = await reach(s, b)
    if b.status == BroadcastStatus.SENDING:
        effect = t.get("broadcast.cancel_effect_sending", sent=r.sent, remaining=r.remaining)
    else:
        effect = t.get(
            "broadcast.cancel_effect",
            count=r.total,
            when=e(when_words(t, b.due_at, s.config.tz, now(context))),
        )
    text = "\n".join([*_confirm_head(t, s, b, "broadcast.confirm_cancel", None), effect])
    label = t.get("broadcast.btn_yes_cancel")
    await edit_or_send(
        update, text, _confirm_keyboard(t, label, cd.ConfirmCancel(b.id, epoch(b.due_at)), b.id)
    )


async def on_retime(update: Update, context: BotContext) -> None:
    """Change time: ask for the new date and time (a confirmation follows)."""
    press = await _pressed_broadcast(update, context, cd.Retime)
    if press is None or not await _still_open(update, context, press[1], not_started=True):
        return
    s, t, b = context.services, texts(context), press[1]
    chat_store(context)[DRAFT] = Draft(step="retime", retime_id=b.id)
    text = t.get(
        "broadcast.ask_new_time",
        id=b.id,
        when=e(when_words(t, b.due_at, s.config.tz, now(context))),
    )
    back = InlineKeyboardMarkup([[button(t.get("broadcast.btn_back"), cd.Manage(b.id))]])
    await edit_or_send(update, text, back)


async def retime_confirmation(update: Update, context: BotContext, bid: int, at: datetime) -> None:
    """The typed new time of a broadcast: what will change, then Confirm or Back."""
    s, t = context.services, texts(context)
    chat_store(context).pop(DRAFT, None)
    b = await s.broadcasts.get(bid)
    if b is None or b.status != BroadcastStatus.SCHEDULED:
        await reply(update, await refusal(s, t, bid))
        return
    current, tz = now(context), s.config.tz
    r = await reach(s, b)
    text = "\n".join(
        [
            *_confirm_head(t, s, b, "broadcast.confirm_retime", r.total),
            t.get(
                "broadcast.retime_from_to",
                old=e(when_words(t, b.due_at, tz, current)),
                new=e(when_words(t, at, tz, current)),
            ),
            arrival_line(t, s, at, b.urgent, current),
        ]
    )
    data = cd.ConfirmRetime(b.id, epoch(b.due_at), epoch(at))
    await reply(update, text, _confirm_keyboard(t, t.get("broadcast.btn_yes_move"), data, b.id))


# ---------------------------------------------------------------- confirmations


async def refusal(s: Services, t: Texts, bid: int) -> str:
    """Why a confirmation changed nothing: the broadcast's state now, in words."""
    b = await s.broadcasts.get(bid)
    if b is None:
        return t.get("common.stale_button")
    if b.status in ENDED_KEYS:
        return t.get(ENDED_KEYS[b.status], id=b.id)
    current = s.clock.now()
    if b.status == BroadcastStatus.SENDING or b.due_at <= current:
        return t.get("broadcast.refused_sending", id=b.id)
    when = e(when_words(t, b.due_at, s.config.tz, current))
    return t.get("broadcast.refused_moved", id=b.id, when=when)


async def _confirming(
    update: Update, context: BotContext, kind: type[cd.ConfirmCancel | cd.ConfirmSendNow]
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
    press = await _confirming(update, context, cd.ConfirmSendNow)
    if press is None:
        return
    officer, bid, due = press
    s, t = context.services, texts(context)
    data = pressed(update, cd.ConfirmSendNow)
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
    press = await _confirming(update, context, cd.ConfirmCancel)
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
    data = pressed(update, cd.ConfirmRetime)
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


# ---------------------------------------------------------------- officers' typed answers


async def on_officer_text(update: Update, context: BotContext) -> None:
    """An officer's typed new time for a broadcast; anything else goes to the wizard."""
    draft = draft_of(context)
    officer = officer_id(update, context)
    if draft is None or officer is None or draft.step != "retime" or draft.retime_id is None:
        await wizard.on_officer_text(update, context)
        return
    at = wizard.parse_time(context, message_text(update))
    if isinstance(at, str):
        await reply(update, texts(context).get(at, days=wizard.MAX_AHEAD.days))
    else:
        await retime_confirmation(update, context, draft.retime_id, at)
    raise ApplicationHandlerStop


# ---------------------------------------------------------------- /report


async def report_command(update: Update, context: BotContext) -> None:
    """The delivery report of one broadcast: /report <id>."""
    s = context.services
    t = texts(context)
    bid = cd.parse_id(context.args[0]) if context.args else None
    r = await ro.report(s.broadcasts, bid) if bid is not None else None
    if r is None:
        recent = await s.broadcasts.recent(5)
        ids = ", ".join(f"#{b.id}" for b in recent) or "–"
        await reply(update, t.get("broadcast.report_usage", ids=ids))
        return
    b, tz, current = r.broadcast, s.config.tz, now(context)
    await reply(
        update,
        t.get(
            "broadcast.report",
            id=b.id,
            title=_what(t, b, 60),
            status=t.get(STATUS_WORDS[b.status]),
            when=e(when_words(t, b.send_at, tz, current)),
            audience=describe_audience(t, b.audience, _nag_names(s)),
            sent=r.sent,
            remaining=r.remaining,
            blocked=r.blocked,
            not_found=r.not_found,
            failed=r.failed,
            skipped=r.skipped,
            unsent=r.unsent,
            useful=r.useful,
            not_useful=r.not_useful,
            trail=audit_trail(s, t, r.audit, current),
        ),
    )


def audit_trail(s: Services, t: Texts, rows: Sequence[AuditRow], current: datetime) -> str:
    """The broadcast's history: when, what and who (officers by their name in the config)."""
    lines = []
    for a in rows:
        action = t.get(ACTION_WORDS[a.action]) if a.action in ACTION_WORDS else e(a.action)
        when = e(when_words(t, a.at, s.config.tz, current))
        if a.actor_id is None:
            lines.append(t.get("broadcast.audit_line_auto", when=when, action=action))
            continue
        who = officer_name(t, s.config.officer_entry(a.actor_id), a.actor_id)
        lines.append(t.get("broadcast.audit_line", when=when, action=action, who=who))
    return "\n".join(lines)


# ---------------------------------------------------------------- /mydata


async def _collect(services: Services, chat_id: int) -> list[dict[str, Any]]:
    return await ro.actions_of(services.broadcasts, chat_id)


def _describe(t: Texts, data: list[dict[str, Any]], tz: ZoneInfo) -> list[str]:
    if not data:
        return []
    return [t.get("officer.mydata_actions", count=len(data))]


def _handlers(services: Services) -> Sequence[Handler]:
    out: list[Handler] = [
        (on_button(cd.ScheduledList, on_list), Group.FEATURES),
        (on_button(cd.Manage, on_manage), Group.FEATURES),
        (on_button(cd.CancelBroadcast, on_cancel), Group.FEATURES),
        (on_button(cd.SendNow, on_send_now), Group.FEATURES),
        (on_button(cd.Retime, on_retime), Group.FEATURES),
        (on_button(cd.ConfirmCancel, on_confirm_cancel), Group.FEATURES),
        (on_button(cd.ConfirmSendNow, on_confirm_send_now), Group.FEATURES),
        (on_button(cd.ConfirmRetime, on_confirm_retime), Group.FEATURES),
    ]
    officers = list(services.config.officer_roles)
    if officers:
        # Officers' typed answers come before the safeguarding check and the features, so an
        # officer's campaign text about knife crime is never answered with helplines or taken
        # for an area search; what is not an answer falls through untouched.
        typed = filters.ChatType.PRIVATE & filters.User(officers) & filters.TEXT & ~filters.COMMAND
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
