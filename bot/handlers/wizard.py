"""The /broadcast wizard: content (a campaign message picked by its date and first words, or a
typed one), audience, time, a preview exactly as residents will see it with when they will
actually get it (quiet hours, by delivery's own rule) and any warning that a message was
written for another day, then Confirm. Also the officers' typed answers to the wizard (a message
text, a UK date and time); bot/handlers/officers.py receives every typed answer first and hands
the wizard's on.

The draft lives in the officer's chat_data (in memory: a draft lost to a restart is simply
started again; nothing is scheduled until Confirm hands it to the broadcast service).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from telegram import InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.ext import ApplicationHandlerStop, CallbackQueryHandler

from bot import callback_data as cd
from bot.content import Campaign, ScheduledMessage, Texts
from bot.content.keys import TextKey
from bot.context import BotContext, Services
from bot.delivery import photo_source
from bot.domain.broadcasts import (
    fingerprint,
    parse_uk_datetime,
    pickable_campaigns,
    quick_choices,
    sends_image,
    written_for,
)
from bot.features import Feature, Handler
from bot.handlers.common import (
    answer,
    chat_id,
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
from bot.ports import Duplicate
from bot.render.keyboards import button, rating_keyboard
from bot.render.text import (
    campaign_message_html,
    day_long,
    day_short,
    describe_audience,
    e,
    snippet,
    when_words,
)
from bot.telegram.limits import MAX_CAPTION, MAX_MESSAGE
from bot.telegram.pacing import estimate
from storage.model import Audience, AudienceKind, BroadcastKind, BroadcastSpec

logger = logging.getLogger(__name__)

DRAFT = "broadcast_draft"
MAX_TEXT = MAX_MESSAGE
QUICK_LABELS: dict[str, TextKey] = {
    "today_1800": "broadcast.quick_today_1800",
    "tomorrow_1000": "broadcast.quick_tomorrow_1000",
    "tomorrow_1800": "broadcast.quick_tomorrow_1800",
}
MAX_AHEAD = timedelta(days=366)  # a broadcast is planned at most a year ahead
PICKER_LABEL = 40  # characters of a message button: its date and first words, for a phone
PICKER_LINE = 70  # ... and of its line in the message above the buttons


@dataclass
class Draft:
    """An officer's broadcast being put together."""

    step: str = "content"  # content | text | image | audience | nags | time | preview | retime
    retime_id: int | None = None  # the scheduled broadcast whose time is being changed
    text: str | None = None  # final HTML, as residents will see it
    campaign: str | None = None  # the campaign message picked, if one was (its `on:` day)
    message: str | None = None
    image: str | None = None
    audience: Audience = field(default_factory=Audience)
    picks: list[str] = field(default_factory=list)
    send_at: datetime | None = None
    send_now: bool = False
    urgent: bool = False


def draft_of(context: BotContext) -> Draft | None:
    d = context.chat_data.get(DRAFT) if context.chat_data is not None else None
    return d if isinstance(d, Draft) else None


async def broadcast_command(update: Update, context: BotContext) -> None:
    """Start the broadcast wizard: choose the content first."""
    chat_store(context)[DRAFT] = Draft()
    text, markup = _campaign_list(context)
    await reply(update, text, markup)


def _campaign_list(context: BotContext) -> tuple[str, InlineKeyboardMarkup]:
    """Campaigns running now or starting soon (those over are left out), then "type a new one"."""
    t = texts(context)
    today = now(context).astimezone(context.services.config.tz).date()
    rows = []
    for campaign, (start, _) in pickable_campaigns(context.services.content.campaigns, today):
        if start <= today:
            label = t.get("broadcast.btn_campaign_now", title=campaign.title)
        else:
            day = day_short(t, start, today)
            label = t.get("broadcast.btn_campaign_soon", title=campaign.title, day=day)
        rows.append([button(label, cd.WizardPickCampaign(campaign.id))])
    rows.append([button(t.get("broadcast.btn_type_new"), cd.WizardTypeText())])
    rows.append([button(t.get("broadcast.btn_abandon"), cd.WizardAbandon())])
    return t.get("broadcast.choose_content"), InlineKeyboardMarkup(rows)


def _message_snippet(campaign: Campaign, msg: ScheduledMessage, limit: int) -> str:
    return snippet(msg.text or campaign.summary, limit)


def _message_list(
    t: Texts, campaign: Campaign, run: tuple[date, date], today: date
) -> tuple[str, InlineKeyboardMarkup]:
    """One campaign's messages: each by the day it goes out and its first words."""
    lines, rows = [], []
    for msg in campaign.messages:
        day = day_short(t, campaign.day_in_run(msg.day, run[0]), today)
        first_words = e(_message_snippet(campaign, msg, PICKER_LINE))
        lines.append(t.get("broadcast.message_line", day=day, text=first_words))
        label = f"{day} · {_message_snippet(campaign, msg, PICKER_LABEL - len(day) - 3)}"
        rows.append([button(label, cd.WizardCampaign(campaign.id, msg.id))])
    rows.append([button(t.get("broadcast.btn_back"), cd.WizardCampaigns())])
    dates = t.get(
        "broadcast.campaign_dates",
        start=day_short(t, run[0], today),
        end=day_short(t, run[1], today),
    )
    text = t.get(
        "broadcast.choose_message",
        title=e(campaign.title),
        dates=dates,
        messages="\n".join(lines),
    )
    return text, InlineKeyboardMarkup(rows)


async def _ask_image(update: Update, context: BotContext, draft: Draft) -> None:
    """A typed message may carry a campaign's image (if the text fits an image caption)."""
    with_images = [c for c in context.services.content.campaigns if c.image]
    if not with_images or len(draft.text or "") > MAX_CAPTION:
        await _ask_audience(update, context, draft)
        return
    draft.step = "image"
    t = texts(context)
    rows = [[button(t.get("broadcast.btn_no_image"), cd.WizardImage("-"))]]
    rows += [
        [button(t.get("broadcast.btn_image", title=c.title)[:60], cd.WizardImage(c.id))]
        for c in with_images
    ]
    await reply(update, t.get("broadcast.choose_image"), InlineKeyboardMarkup(rows))


async def _ask_audience(update: Update, context: BotContext, draft: Draft) -> None:
    draft.step = "audience"
    t = texts(context)
    rows = [
        [button(t.get("broadcast.btn_all"), cd.WizardAudience(AudienceKind.ALL))],
        [button(t.get("broadcast.btn_nags"), cd.WizardAudience("nags"))],
    ]
    for survey in context.services.content.surveys:
        label = t.get("broadcast.btn_survey", title=survey.title)
        rows.append([button(label[:60], cd.WizardSurvey(survey.id))])
    await edit_or_send(update, t.get("broadcast.choose_audience"), InlineKeyboardMarkup(rows))


def _nag_keyboard(context: BotContext, draft: Draft) -> InlineKeyboardMarkup:
    t = texts(context)
    rows = []
    nags = sorted(context.services.content.nags, key=lambda n: n.name)
    for i in range(0, len(nags), 2):
        rows.append(
            [
                button(("✅ " if n.id in draft.picks else "") + n.name[:50], cd.WizardNag(n.id))
                for n in nags[i : i + 2]
            ]
        )
    rows.append([button(t.get("broadcast.btn_done"), cd.WizardNagsDone())])
    return InlineKeyboardMarkup(rows)


async def _ask_time(update: Update, context: BotContext, draft: Draft) -> None:
    draft.step = "time"
    t = texts(context)
    tz = context.services.config.tz
    rows = [[button(t.get("broadcast.btn_now"), cd.WizardTime("now"))]]
    for choice in quick_choices(now(context), tz):
        day = day_short(t, choice.at.astimezone(tz).date(), now(context).astimezone(tz).date())
        label = t.get(QUICK_LABELS[choice.key], when=day)
        rows.append([button(label[:60], cd.WizardTime(choice.key))])
    await edit_or_send(update, t.get("broadcast.choose_time"), InlineKeyboardMarkup(rows))


def _send_time(context: BotContext, draft: Draft) -> tuple[datetime, datetime]:
    """(planned, when residents get it): the time chosen (now for "now") and the same time
    moved past quiet hours unless urgent, by the rule delivery applies."""
    current = now(context)
    planned = current if draft.send_now or draft.send_at is None else draft.send_at
    return planned, context.services.broadcasting.send_time(max(planned, current), draft.urgent)


def _written_for_warning(context: BotContext, draft: Draft, arrives: datetime) -> str | None:
    """A campaign message written for a day (its `on:`) that would go out on another day."""
    campaign = context.services.content.campaign_by_id.get(draft.campaign or "")
    msg = next((m for m in campaign.messages if m.id == draft.message), None) if campaign else None
    if campaign is None or msg is None:
        return None
    send_day = arrives.astimezone(context.services.config.tz).date()
    meant = written_for(campaign, msg, send_day)
    if meant is None or meant == send_day:
        return None
    t = texts(context)
    return t.get(
        "broadcast.written_for",
        day=day_long(t, meant, send_day),
        text=e(_message_snippet(campaign, msg, 60)),
        send_day=day_long(t, send_day, send_day),
    )


def _preview_keyboard(context: BotContext, draft: Draft) -> InlineKeyboardMarkup:
    t = texts(context)
    urgent = t.get("broadcast.btn_urgent_on" if draft.urgent else "broadcast.btn_urgent_off")
    return InlineKeyboardMarkup(
        [
            [
                button(t.get("broadcast.btn_test"), cd.WizardTest()),
                button(t.get("broadcast.btn_confirm"), cd.WizardConfirm(False)),
            ],
            [
                button(urgent, cd.WizardUrgent()),
                button(t.get("broadcast.btn_abandon"), cd.WizardAbandon()),
            ],
        ]
    )


async def _summary(context: BotContext, draft: Draft) -> str:
    """Who gets it, how many, and when they actually get it; warnings last."""
    s = context.services
    t = texts(context)
    count = await s.broadcasts.count_audience(draft.audience)
    names = {n.id: n.name for n in s.content.nags}
    current, tz = now(context), s.config.tz
    planned, arrives = _send_time(context, draft)
    at = t.get("broadcast.now") if draft.send_now else when_words(t, planned, tz, current)
    notes = []
    if arrives > max(planned, current):
        key: TextKey = "broadcast.quiet_now" if draft.send_now else "broadcast.quiet_later"
        notes.append(t.get(key, when=e(when_words(t, arrives, tz, current)), planned=e(at)))
    warning = _written_for_warning(context, draft, arrives)
    if warning:
        notes.append(warning)
    b = s.config.settings.broadcast
    pace = estimate(
        count,
        rate=b.rate_per_second,
        paid=b.paid,
        paid_rate=b.paid_rate_per_second,
        stars_per_message=b.paid_stars_per_message,
    )
    if pace.paid:
        notes.append(
            t.get(
                "broadcast.paid_cost",
                rate=f"{b.paid_rate_per_second:,}",
                per=f"{b.paid_stars_per_message:g}",
                # The estimate and the bound: which sends Telegram counts as above the free
                # limit is not documented precisely, and an officer budgets for the most.
                stars=f"{pace.stars:,.0f}",
                most=f"{pace.stars_at_most:,.0f}",
            )
        )
    return t.get(
        "broadcast.preview_summary",
        count=count,
        duration=_duration_words(t, pace.seconds),
        audience=describe_audience(t, draft.audience, names),
        when=e(at),
        urgent=t.get("broadcast.urgent_yes" if draft.urgent else "broadcast.urgent_no"),
        notes="".join(f"\n\n{n}" for n in notes),
    )


def _duration_words(t: Texts, seconds: float) -> str:
    """How long the sending takes, as an officer plans around it."""
    if seconds < 60:
        return t.get("broadcast.takes_under_minute")
    return t.get("broadcast.takes_minutes", minutes=f"{math.ceil(seconds / 60):,}")


async def _show_preview(update: Update, context: BotContext, draft: Draft) -> None:
    """The message exactly as residents will see it, then the recipients and the buttons."""
    draft.step = "preview"
    t = texts(context)
    await reply(update, t.get("broadcast.preview_intro"))
    await _send_as_resident_sees(chat_id(update), context, draft)
    await reply(update, await _summary(context, draft), _preview_keyboard(context, draft))


async def _send_as_resident_sees(chat_id: int, context: BotContext, draft: Draft) -> None:
    # Broadcast id 0 never exists: pressing these preview buttons only says "no longer valid".
    markup = rating_keyboard(texts(context), 0)
    if draft.image and sends_image(draft.image, draft.text or ""):
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
        officer = officer_id(update, context)
        draft = draft_of(context)
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
    chat_store(context).pop(DRAFT, None)
    await edit_or_send(update, texts(context).get("broadcast.abandoned"))


async def _campaigns(update: Update, context: BotContext, draft: Draft, data: Any) -> None:
    """Back to the list of campaigns."""
    draft.step = "content"
    text, markup = _campaign_list(context)
    await edit_or_send(update, text, markup)


async def _campaign_picked(
    update: Update, context: BotContext, draft: Draft, data: cd.WizardPickCampaign
) -> None:
    """One campaign's messages, by date and first words."""
    t = texts(context)
    campaign = context.services.content.campaign_by_id.get(data.campaign)
    today = now(context).astimezone(context.services.config.tz).date()
    run = campaign.occurrence(today) if campaign is not None else None
    if campaign is None or run is None or draft.step != "content":
        await reply(update, t.get("common.stale_button"))
        return
    text, markup = _message_list(t, campaign, run, today)
    await edit_or_send(update, text, markup)


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
    draft.campaign, draft.message = campaign.id, msg.id
    await _ask_audience(update, context, draft)


async def _type_text(update: Update, context: BotContext, draft: Draft, data: Any) -> None:
    """The officer will type the message."""
    draft.step = "text"
    draft.campaign = draft.message = None
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
        draft.audience = Audience(AudienceKind.ALL)
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
    draft.audience = Audience(AudienceKind.NAGS, nags=tuple(sorted(draft.picks)))
    await _ask_time(update, context, draft)


async def _survey_chosen(
    update: Update, context: BotContext, draft: Draft, data: cd.WizardSurvey
) -> None:
    """Residents who took a survey."""
    if data.survey not in {x.id for x in context.services.content.surveys}:
        await reply(update, texts(context).get("common.stale_button"))
        return
    draft.audience = Audience(AudienceKind.SURVEY, survey=data.survey)
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
    await _send_as_resident_sees(chat_id(update), context, draft)
    await reply(update, texts(context).get("broadcast.test_sent"))


async def _confirmed(
    update: Update, context: BotContext, draft: Draft, data: cd.WizardConfirm
) -> None:
    """Confirm (again, after the duplicate warning, with force)."""
    officer = officer_id(update, context)
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
    """Create the broadcast through the service; a duplicate asks for a second confirmation."""
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
    spec = BroadcastSpec(
        kind=BroadcastKind.OFFICER,
        text=draft.text,
        audience=draft.audience,
        send_at=send_at,
        image=draft.image,
        urgent=draft.urgent,
        created_by=officer,
        fingerprint=fingerprint(draft.text),
        detail=("now" if draft.send_now else "scheduled") + (", urgent" if draft.urgent else ""),
    )
    result = await s.broadcasting.create(spec, force=force)
    if isinstance(result, Duplicate):
        other = result.other
        await reply(
            update,
            t.get(
                "broadcast.duplicate",
                id=other.id,
                when=e(when_words(t, other.send_at, s.config.tz, current)),
            ),
            InlineKeyboardMarkup(
                [
                    [button(t.get("broadcast.btn_send_anyway"), cd.WizardConfirm(True))],
                    [button(t.get("broadcast.btn_abandon"), cd.WizardAbandon())],
                ]
            ),
        )
        return
    chat_store(context).pop(DRAFT, None)
    arrives = s.broadcasting.send_time(send_at, draft.urgent)
    key: TextKey = "broadcast.confirmed_now" if draft.send_now else "broadcast.confirmed"
    if arrives > send_at:
        key = "broadcast.confirmed_quiet"
    when_text = e(when_words(t, arrives, s.config.tz, current))
    await reply(update, t.get(key, id=result.broadcast.id, when=when_text))


def parse_time(context: BotContext, raw: str) -> datetime | TextKey:
    """A typed UK date and time ahead (within MAX_AHEAD), or the text key saying what is wrong."""
    current = now(context)
    at = parse_uk_datetime(raw, current, context.services.config.tz)
    if at is None:
        return "broadcast.bad_time"
    if at <= current:
        return "broadcast.time_past"
    if at > current + MAX_AHEAD:
        return "broadcast.time_too_far"
    return at


async def on_officer_text(update: Update, context: BotContext) -> None:
    """An officer's typed message text or date while the wizard waits for one (called by the
    officers' typed-answer handler, bot/handlers/officers.py)."""
    draft = draft_of(context)
    officer = officer_id(update, context)
    if draft is None or draft.step not in ("text", "time") or officer is None:
        return  # not ours: the features' handlers see it as usual
    t = texts(context)
    raw = message_text(update)
    if draft.step == "text":
        if len(raw) > MAX_TEXT:
            await reply(update, t.get("broadcast.too_long", length=len(raw), limit=MAX_TEXT))
        elif not raw.strip():
            await reply(update, t.get("broadcast.type_text", limit=MAX_TEXT))
        else:
            draft.text, draft.image = e(raw.strip()), None
            await _ask_image(update, context, draft)
        raise ApplicationHandlerStop
    at = parse_time(context, raw)
    if isinstance(at, str):
        await reply(update, t.get(at, days=MAX_AHEAD.days))
    else:
        draft.send_now, draft.send_at = False, at
        await _show_preview(update, context, draft)
    raise ApplicationHandlerStop


WIZARD_STEPS: list[tuple[type[cd.CallbackData], WizardStep]] = [
    (cd.WizardAbandon, _abandon),
    (cd.WizardCampaigns, _campaigns),
    (cd.WizardPickCampaign, _campaign_picked),
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


def _handlers(services: Services) -> Sequence[Handler]:
    return [(wizard_button(kind, step), Group.FEATURES) for kind, step in WIZARD_STEPS]


FEATURE = Feature(
    name="broadcast wizard",
    commands=(Command("broadcast", broadcast_command, audience="officer"),),
    handlers=_handlers,
)
