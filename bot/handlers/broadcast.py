"""Officer broadcasts: the /broadcast wizard, /scheduled, /report, /reload, and the buttons
on broadcast messages (residents' 👍/👎 ratings, officers' Cancel and Send now).

The wizard keeps its draft in the officer's chat_data (in memory: a draft lost to a restart is
simply started again; nothing is scheduled until Confirm writes it to the database). Officers'
typed answers are caught in a handler group that runs before the safeguarding check and the
features (Group.OFFICER_INPUT), so an officer's campaign text about knife crime is never answered
with helplines or taken for an area search; anything else falls through untouched.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    MessageHandler,
    filters,
)

from bot import callback_data as cd
from bot.content import Texts
from bot.context import BotContext, Services
from bot.delivery import delivery_of, install, photo_source, rating_keyboard, sends_image
from bot.domain.broadcasts import (
    MAX_CAPTION,
    MAX_TEXT,
    Audience,
    duplicate_window,
    fingerprint,
    parse_uk_datetime,
    quick_choices,
)
from bot.handlers.common import answer, edit_or_send, now, on_button, pressed, reply, texts
from bot.handlers.registry import Command, Group, allowed
from bot.render.text import campaign_message_html, describe_audience, e, first_line, when
from bot.scheduling import (
    on_shutdown,
    on_startup,
    reload_content,
    schedule_housekeeping,
    schedule_job,
    unschedule_job,
)

logger = logging.getLogger(__name__)

DRAFT = "broadcast_draft"
QUICK_LABELS = {
    "today_1800": "broadcast.quick_today_1800",
    "tomorrow_1000": "broadcast.quick_tomorrow_1000",
    "tomorrow_1800": "broadcast.quick_tomorrow_1800",
}
STATUS_KEYS = {"scheduled": "broadcast.status_scheduled", "sending": "broadcast.status_sending"}
LIST_LIMIT = 15
MAX_AHEAD = timedelta(days=366)  # a broadcast is planned at most a year ahead


@dataclass
class Draft:
    """An officer's broadcast being put together."""

    step: str = "content"  # content | text | image | audience | nags | time | preview | retime
    retime_id: int | None = None  # the scheduled broadcast whose time is being changed
    text: str | None = None  # final HTML, as residents will see it
    image: str | None = None
    audience: Audience = field(default_factory=Audience)
    picks: list[str] = field(default_factory=list)
    send_at: datetime | None = None
    send_now: bool = False
    urgent: bool = False


def _btn(label: str, data: cd.CallbackData) -> InlineKeyboardButton:
    return InlineKeyboardButton(label, callback_data=data.pack())


def _officer_id(update: Update, context: BotContext) -> int | None:
    user = update.effective_user
    role = context.services.config.role_of(user.id if user else None)
    return user.id if user is not None and allowed("officer", role) else None


def _draft(context: BotContext) -> Draft | None:
    d = context.chat_data.get(DRAFT) if context.chat_data is not None else None
    return d if isinstance(d, Draft) else None


# ---------------------------------------------------------------- the wizard


async def broadcast_command(update: Update, context: BotContext) -> None:
    """Start the broadcast wizard: choose the content first."""
    context.chat_data[DRAFT] = Draft()
    t = texts(context)
    rows = []
    for campaign in context.services.content.campaigns:
        for msg in campaign.messages:
            label = f"{campaign.title} · {msg.id}"
            rows.append([_btn(label[:60], cd.WizardCampaign(campaign.id, msg.id))])
    rows.append([_btn(t.get("broadcast.btn_type_new"), cd.WizardTypeText())])
    rows.append([_btn(t.get("broadcast.btn_abandon"), cd.WizardAbandon())])
    await reply(update, t.get("broadcast.choose_content"), InlineKeyboardMarkup(rows))


async def _ask_image(update: Update, context: BotContext, draft: Draft) -> None:
    """A typed message may carry a campaign's image (if the text fits an image caption)."""
    with_images = [c for c in context.services.content.campaigns if c.image]
    if not with_images or len(draft.text or "") > MAX_CAPTION:
        await _ask_audience(update, context, draft)
        return
    draft.step = "image"
    t = texts(context)
    rows = [[_btn(t.get("broadcast.btn_no_image"), cd.WizardImage("-"))]]
    rows += [
        [_btn(t.get("broadcast.btn_image", title=c.title)[:60], cd.WizardImage(c.id))]
        for c in with_images
    ]
    await reply(update, t.get("broadcast.choose_image"), InlineKeyboardMarkup(rows))


async def _ask_audience(update: Update, context: BotContext, draft: Draft) -> None:
    draft.step = "audience"
    t = texts(context)
    rows = [
        [_btn(t.get("broadcast.btn_all"), cd.WizardAudience("all"))],
        [_btn(t.get("broadcast.btn_nags"), cd.WizardAudience("nags"))],
    ]
    for survey in context.services.content.surveys:
        label = t.get("broadcast.btn_survey", title=survey.title)
        rows.append([_btn(label[:60], cd.WizardSurvey(survey.id))])
    await edit_or_send(update, t.get("broadcast.choose_audience"), InlineKeyboardMarkup(rows))


def _nag_keyboard(context: BotContext, draft: Draft) -> InlineKeyboardMarkup:
    t = texts(context)
    rows = []
    nags = sorted(context.services.content.nags, key=lambda n: n.name)
    for i in range(0, len(nags), 2):
        rows.append(
            [
                _btn(("✅ " if n.id in draft.picks else "") + n.name[:50], cd.WizardNag(n.id))
                for n in nags[i : i + 2]
            ]
        )
    rows.append([_btn(t.get("broadcast.btn_done"), cd.WizardNagsDone())])
    return InlineKeyboardMarkup(rows)


async def _ask_time(update: Update, context: BotContext, draft: Draft) -> None:
    draft.step = "time"
    t = texts(context)
    tz = context.services.config.tz
    rows = [[_btn(t.get("broadcast.btn_now"), cd.WizardTime("now"))]]
    for choice in quick_choices(now(context), tz):
        label = t.get(QUICK_LABELS[choice.key], when=when(t, choice.at, tz))
        rows.append([_btn(label[:60], cd.WizardTime(choice.key))])
    await edit_or_send(update, t.get("broadcast.choose_time"), InlineKeyboardMarkup(rows))


def _preview_keyboard(context: BotContext, draft: Draft) -> InlineKeyboardMarkup:
    t = texts(context)
    urgent = t.get("broadcast.btn_urgent_on" if draft.urgent else "broadcast.btn_urgent_off")
    return InlineKeyboardMarkup(
        [
            [
                _btn(t.get("broadcast.btn_test"), cd.WizardTest()),
                _btn(t.get("broadcast.btn_confirm"), cd.WizardConfirm(False)),
            ],
            [
                _btn(urgent, cd.WizardUrgent()),
                _btn(t.get("broadcast.btn_abandon"), cd.WizardAbandon()),
            ],
        ]
    )


async def _summary(context: BotContext, draft: Draft) -> str:
    s = context.services
    t = texts(context)
    count = await s.broadcasts.count_audience(draft.audience.to_json())
    names = {n.id: n.name for n in s.content.nags}
    at = t.get("broadcast.now") if draft.send_now else when(t, draft.send_at, s.config.tz)
    return t.get(
        "broadcast.preview_summary",
        count=count,
        audience=describe_audience(t, draft.audience, names),
        when=e(at),
        urgent=t.get("broadcast.urgent_yes" if draft.urgent else "broadcast.urgent_no"),
    )


async def _show_preview(update: Update, context: BotContext, draft: Draft) -> None:
    """The message exactly as residents will see it, then the recipients and the buttons."""
    draft.step = "preview"
    t = texts(context)
    await reply(update, t.get("broadcast.preview_intro"))
    await _send_as_resident_sees(update.effective_chat.id, context, draft)
    await reply(update, await _summary(context, draft), _preview_keyboard(context, draft))


async def _send_as_resident_sees(chat_id: int, context: BotContext, draft: Draft) -> None:
    # Broadcast id 0 never exists: pressing these preview buttons only says "no longer valid".
    markup = rating_keyboard(context.services, 0)
    if sends_image(draft.image, draft.text or ""):
        await context.bot.send_photo(
            chat_id,
            photo_source(context.services, draft.image),
            caption=draft.text,
            parse_mode=ParseMode.HTML,
            reply_markup=markup,
        )
        return
    await context.bot.send_message(
        chat_id, draft.text or "", parse_mode=ParseMode.HTML, reply_markup=markup
    )


WizardStep = Callable[[Update, BotContext, Draft, Any], Awaitable[None]]


def wizard_button(kind: type[cd.CallbackData], step: WizardStep) -> CallbackQueryHandler:
    """A handler for one wizard button: only for an officer with a draft; the press is answered
    first (a stale or forwarded button just says so)."""

    async def handle(update: Update, context: BotContext) -> None:
        officer = _officer_id(update, context)
        draft = _draft(context)
        data = pressed(update, kind)
        if officer is None or draft is None or data is None:
            await answer(update, texts(context).get("common.stale_button"))
            return
        await answer(update)
        await step(update, context, draft, data)

    handle.__doc__ = step.__doc__
    return on_button(kind, handle)


async def _abandon(update: Update, context: BotContext, draft: Draft, data: Any) -> None:
    """Throw the draft away."""
    context.chat_data.pop(DRAFT, None)
    await edit_or_send(update, texts(context).get("broadcast.abandoned"))


async def _campaign_chosen(
    update: Update, context: BotContext, draft: Draft, data: cd.WizardCampaign
) -> None:
    """A campaign message as the content, with the campaign's picture."""
    t = texts(context)
    campaign = context.services.content.campaign_by_id.get(data.campaign)
    msg = next((m for m in campaign.messages if m.id == data.message), None) if campaign else None
    if campaign is None or msg is None:
        await reply(update, t.get("common.stale_button"))
        return
    draft.text = campaign_message_html(t, campaign, msg)
    draft.image = campaign.image
    await _ask_audience(update, context, draft)


async def _type_text(update: Update, context: BotContext, draft: Draft, data: Any) -> None:
    """The officer will type the message."""
    draft.step = "text"
    await edit_or_send(update, texts(context).get("broadcast.type_text", limit=MAX_TEXT))


async def _image_chosen(
    update: Update, context: BotContext, draft: Draft, data: cd.WizardImage
) -> None:
    """A campaign picture for a typed message, or none."""
    if draft.step != "image":
        await reply(update, texts(context).get("common.stale_button"))
        return
    campaign = context.services.content.campaign_by_id.get(data.campaign)
    draft.image = campaign.image if campaign is not None else None
    await _ask_audience(update, context, draft)


async def _audience_chosen(
    update: Update, context: BotContext, draft: Draft, data: cd.WizardAudience
) -> None:
    """Everyone, or chosen NAGs (then the NAG list)."""
    if data.kind == "all":
        draft.audience = Audience("all")
        await _ask_time(update, context, draft)
    elif data.kind == "nags":
        draft.step = "nags"
        t = texts(context)
        await edit_or_send(update, t.get("broadcast.choose_nags"), _nag_keyboard(context, draft))
    else:
        await reply(update, texts(context).get("common.stale_button"))


async def _nag_toggled(
    update: Update, context: BotContext, draft: Draft, data: cd.WizardNag
) -> None:
    """Tick or untick one NAG."""
    if data.nag not in context.services.content.nag_by_id:
        await reply(update, texts(context).get("common.stale_button"))
        return
    if data.nag in draft.picks:
        draft.picks.remove(data.nag)
    else:
        draft.picks.append(data.nag)
    await edit_or_send(
        update, texts(context).get("broadcast.choose_nags"), _nag_keyboard(context, draft)
    )


async def _nags_done(update: Update, context: BotContext, draft: Draft, data: Any) -> None:
    """The ticked NAGs are the audience."""
    if not draft.picks:
        await reply(update, texts(context).get("broadcast.pick_one_nag"))
        return
    draft.audience = Audience("nags", nags=tuple(sorted(draft.picks)))
    await _ask_time(update, context, draft)


async def _survey_chosen(
    update: Update, context: BotContext, draft: Draft, data: cd.WizardSurvey
) -> None:
    """Residents who took a survey."""
    if data.survey not in {x.id for x in context.services.content.surveys}:
        await reply(update, texts(context).get("common.stale_button"))
        return
    draft.audience = Audience("survey", survey=data.survey)
    await _ask_time(update, context, draft)


async def _time_picked(
    update: Update, context: BotContext, draft: Draft, data: cd.WizardTime
) -> None:
    """Now or a quick time choice."""
    await _time_chosen(update, context, draft, data.choice)


async def _urgent_toggled(update: Update, context: BotContext, draft: Draft, data: Any) -> None:
    """Urgent: ignores quiet hours."""
    if draft.step != "preview":
        await reply(update, texts(context).get("common.stale_button"))
        return
    draft.urgent = not draft.urgent
    await edit_or_send(update, await _summary(context, draft), _preview_keyboard(context, draft))


async def _send_test(update: Update, context: BotContext, draft: Draft, data: Any) -> None:
    """Send the message to the officer, exactly as residents will see it."""
    if draft.step != "preview":
        await reply(update, texts(context).get("common.stale_button"))
        return
    await _send_as_resident_sees(update.effective_chat.id, context, draft)
    await reply(update, texts(context).get("broadcast.test_sent"))


async def _confirmed(
    update: Update, context: BotContext, draft: Draft, data: cd.WizardConfirm
) -> None:
    """Confirm (again, after the duplicate warning, with force)."""
    officer = _officer_id(update, context)
    if draft.step != "preview" or officer is None:
        await reply(update, texts(context).get("common.stale_button"))
        return
    await _confirm(update, context, draft, officer, force=data.force)


async def _time_chosen(update: Update, context: BotContext, draft: Draft, key: str) -> None:
    tz = context.services.config.tz
    if key == "now":
        draft.send_now, draft.send_at = True, now(context)
    else:
        choice = next((c for c in quick_choices(now(context), tz) if c.key == key), None)
        if choice is None:  # e.g. "today 18:00" pressed after 18:00
            await reply(update, texts(context).get("broadcast.time_past"))
            await _ask_time(update, context, draft)
            return
        draft.send_now, draft.send_at = False, choice.at
    await _show_preview(update, context, draft)


async def _confirm(
    update: Update, context: BotContext, draft: Draft, officer: int, *, force: bool
) -> None:
    s = context.services
    t = texts(context)
    current = now(context)
    send_at = current if draft.send_now else draft.send_at
    if send_at is None or draft.text is None:
        await reply(update, t.get("common.stale_button"))
        return
    if send_at < current:
        await reply(update, t.get("broadcast.time_past"))
        await _ask_time(update, context, draft)
        return
    audience_json = draft.audience.to_json()
    fp = fingerprint(draft.text)
    if not force:
        lo, hi = duplicate_window(send_at)
        same = await s.broadcasts.duplicates(fp, audience_json, lo, hi)
        if same:
            other = same[0]
            await reply(
                update,
                t.get(
                    "broadcast.duplicate",
                    id=other.id,
                    when=e(when(t, other.send_at, s.config.tz)),
                ),
                InlineKeyboardMarkup(
                    [
                        [_btn(t.get("broadcast.btn_send_anyway"), cd.WizardConfirm(True))],
                        [_btn(t.get("broadcast.btn_abandon"), cd.WizardAbandon())],
                    ]
                ),
            )
            return
    bid, _ = await s.broadcasts.create(
        kind="officer",
        text=draft.text,
        audience=audience_json,
        requires=draft.audience.requires,
        send_at=send_at,
        now=current,
        image=draft.image,
        urgent=draft.urgent,
        created_by=officer,
        fingerprint=fp,
        detail=("now" if draft.send_now else "scheduled") + (", urgent" if draft.urgent else ""),
    )
    context.chat_data.pop(DRAFT, None)
    b = await s.broadcasts.get(bid)
    if b is not None:
        schedule_job(context.application, b)
    if draft.send_now:
        delivery_of(context.application).kick()
    key = "broadcast.confirmed_now" if draft.send_now else "broadcast.confirmed"
    await reply(update, t.get(key, id=bid, when=e(when(t, send_at, s.config.tz))))


async def on_officer_text(update: Update, context: BotContext) -> None:
    """An officer's typed message text or date while the wizard waits for one."""
    draft = _draft(context)
    officer = _officer_id(update, context)
    if draft is None or draft.step not in ("text", "time", "retime") or officer is None:
        return  # not ours: the features' handlers see it as usual
    t = texts(context)
    raw = update.effective_message.text or ""
    if draft.step == "text":
        if len(raw) > MAX_TEXT:
            await reply(update, t.get("broadcast.too_long", length=len(raw), limit=MAX_TEXT))
        elif not raw.strip():
            await reply(update, t.get("broadcast.type_text", limit=MAX_TEXT))
        else:
            draft.text, draft.image = e(raw.strip()), None
            await _ask_image(update, context, draft)
        raise ApplicationHandlerStop
    tz = context.services.config.tz
    at = parse_uk_datetime(raw, now(context), tz)
    if at is None:
        await reply(update, t.get("broadcast.bad_time"))
    elif at <= now(context):
        await reply(update, t.get("broadcast.time_past"))
    elif at > now(context) + MAX_AHEAD:
        await reply(update, t.get("broadcast.time_too_far", days=MAX_AHEAD.days))
    elif draft.step == "retime" and draft.retime_id is not None:
        await _retime(update, context, draft.retime_id, officer, at)
    else:
        draft.send_now, draft.send_at = False, at
        await _show_preview(update, context, draft)
    raise ApplicationHandlerStop


async def _retime(
    update: Update, context: BotContext, bid: int, officer: int, at: datetime
) -> None:
    """Move a scheduled broadcast to a new time, rebuild its job, confirm."""
    s = context.services
    context.chat_data.pop(DRAFT, None)
    if not await s.broadcasts.reschedule(bid, at, officer, now(context)):
        await reply(update, texts(context).get("broadcast.cannot_change", id=bid))
        return
    b = await s.broadcasts.get(bid)
    if b is not None:
        schedule_job(context.application, b)
    t = texts(context)
    await reply(update, t.get("broadcast.changed", id=bid, when=e(when(t, at, s.config.tz))))


# ---------------------------------------------------------------- /scheduled, /report, /reload


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
            audience=describe_audience(t, Audience.from_json(b.audience), names),
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


async def reload_command(update: Update, context: BotContext) -> None:
    """Admins: validate and reload content/, then re-plan the campaign calendar."""
    t = texts(context)
    problems = await reload_content(context.application)
    if problems:
        shown = "\n".join(e(p) for p in problems[:30])
        await reply(update, t.get("broadcast.reload_failed", count=len(problems), problems=shown))
        return
    c = context.services.content
    await reply(update, t.get("broadcast.reloaded", nags=len(c.nags), campaigns=len(c.campaigns)))


# ---------------------------------------------------------------- buttons on messages


async def _pressed_broadcast(
    update: Update, context: BotContext, kind: type[cd.CancelBroadcast | cd.SendNow | cd.Retime]
) -> tuple[int, int] | None:
    """(officer id, broadcast id) of an officer's button; answers a stale or foreign press."""
    officer = _officer_id(update, context)
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
    done = await context.services.broadcasts.cancel(bid, officer, now(context))
    if done:
        unschedule_job(context.application, bid)
    await answer(update)
    await reply(update, t.get("broadcast.cancelled" if done else "broadcast.cannot_cancel", id=bid))


async def on_send_now(update: Update, context: BotContext) -> None:
    """Officer's Send now button in /scheduled."""
    press = await _pressed_broadcast(update, context, cd.SendNow)
    if press is None:
        return
    officer, bid = press
    t = texts(context)
    s = context.services
    done = await s.broadcasts.send_now(bid, officer, now(context))
    await answer(update)
    if done:
        b = await s.broadcasts.get(bid)
        if b is not None:
            schedule_job(context.application, b)
        delivery_of(context.application).kick()
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
    context.chat_data[DRAFT] = Draft(step="retime", retime_id=bid)
    await reply(update, texts(context).get("broadcast.ask_new_time", id=bid))


async def on_rate(update: Update, context: BotContext) -> None:
    """A resident's 👍/👎 on a broadcast message (one per broadcast, changeable)."""
    t = texts(context)
    data = pressed(update, cd.Rate)
    ok = False
    if data is not None and update.effective_chat is not None:
        ok = await context.services.broadcasts.rate(
            data.broadcast, update.effective_chat.id, data.useful, now(context)
        )
    await answer(update, t.get("broadcast.rated" if ok else "common.stale_button"))


# ---------------------------------------------------------------- wiring

WIZARD_STEPS: list[tuple[type[cd.CallbackData], WizardStep]] = [
    (cd.WizardAbandon, _abandon),
    (cd.WizardCampaign, _campaign_chosen),
    (cd.WizardTypeText, _type_text),
    (cd.WizardImage, _image_chosen),
    (cd.WizardAudience, _audience_chosen),
    (cd.WizardNag, _nag_toggled),
    (cd.WizardNagsDone, _nags_done),
    (cd.WizardSurvey, _survey_chosen),
    (cd.WizardTime, _time_picked),
    (cd.WizardUrgent, _urgent_toggled),
    (cd.WizardTest, _send_test),
    (cd.WizardConfirm, _confirmed),
]

COMMANDS = [
    Command("broadcast", broadcast_command, audience="officer"),
    Command("scheduled", scheduled_command, audience="officer"),
    Command("report", report_command, audience="officer"),
    Command("reload", reload_command, audience="admin"),
]


def setup(app: Application, services: Services) -> None:
    delivery = install(app, services)

    async def mydata(chat_id: int, t: Texts) -> list[str]:
        sent, last, useful, not_useful = await services.broadcasts.resident_summary(chat_id)
        return [
            t.get("broadcast.mydata_sent", count=sent, last=e(last[:10] if last else "—")),
            t.get("broadcast.mydata_ratings", useful=useful, not_useful=not_useful),
        ]

    services.hooks.mydata_sections.append(mydata)

    async def deferred(b) -> None:  # noqa: ANN001
        schedule_job(app, b)

    delivery.on_deferred = deferred
    app.bot_data.startup_hooks.append(on_startup)
    app.bot_data.shutdown_hooks.append(on_shutdown)
    schedule_housekeeping(app)


def register(app: Application) -> None:
    officers = list(app.bot_data.services.config.officer_roles)
    if officers:
        app.add_handler(
            MessageHandler(
                filters.ChatType.PRIVATE & filters.User(officers) & filters.TEXT & ~filters.COMMAND,
                on_officer_text,
            ),
            group=Group.OFFICER_INPUT,
        )
    for kind, step in WIZARD_STEPS:
        app.add_handler(wizard_button(kind, step))
    app.add_handler(on_button(cd.CancelBroadcast, on_cancel))
    app.add_handler(on_button(cd.SendNow, on_send_now))
    app.add_handler(on_button(cd.Retime, on_retime))
    app.add_handler(on_button(cd.Rate, on_rate))
