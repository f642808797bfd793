"""The /broadcast wizard: content (a campaign message picked by its date and first words, or a
typed one), audience, time, a preview exactly as residents will see it with when they will
actually get it (quiet hours, by delivery's own rule) and any warning that a message was
written for another day, then Confirm. Also the officers' typed answers to the wizard (a message
text, a UK date and time); bot/handlers/officers.py receives every typed answer first and hands
the wizard's on.

The draft lives in the officer's chat_data (in memory: a draft lost to a restart is simply
started again; nothing is scheduled until Confirm hands it to the broadcast service).

Here: the wizard's steps (one per button, then Confirm) and the typed answers. The draft and
the typed-time rule are in bot/handlers/wizard_draft.py, the screens in
bot/handlers/wizard_screens.py and bot/render/wizard.py.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import ApplicationHandlerStop, CallbackQueryHandler

from bot import callback_data as cd
from bot.content.keys import TextKey
from bot.context import BotContext, Services
from bot.domain.broadcasts import fingerprint, quick_choices
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

# (bot/handlers/broadcast_confirm.py imports the draft's names and parse_time from here)
from bot.handlers.wizard_draft import DRAFT, MAX_AHEAD, MAX_TEXT, Draft, draft_of, parse_time
from bot.handlers.wizard_screens import (
    ask_audience,
    ask_image,
    ask_time,
    campaign_list,
    nag_keyboard,
    preview_keyboard,
    preview_summary,
    send_as_resident_sees,
    show_preview,
)
from bot.ports import Duplicate
from bot.render.keyboards import button
from bot.render.text import campaign_message_html, e, when_words
from bot.render.wizard import message_list
from storage.model import Audience, AudienceKind, BroadcastKind, BroadcastSpec

logger = logging.getLogger(__name__)


async def broadcast_command(update: Update, context: BotContext) -> None:
    """Start the broadcast wizard: choose the content first."""
    chat_store(context)[DRAFT] = Draft()
    text, markup = campaign_list(context)
    await reply(update, text, markup)


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
    text, markup = campaign_list(context)
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
    text, markup = message_list(t, campaign, run, today)
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
    await ask_audience(update, context, draft)


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
    await ask_audience(update, context, draft)


async def _audience_chosen(
    update: Update, context: BotContext, draft: Draft, data: cd.WizardAudience
) -> None:
    """Everyone, or chosen NAGs (then the NAG list)."""
    if data.kind == "all":
        draft.audience = Audience(AudienceKind.ALL)
        await ask_time(update, context, draft)
    elif data.kind == "nags":
        draft.step = "nags"
        t = texts(context)
        await edit_or_send(update, t.get("broadcast.choose_nags"), nag_keyboard(context, draft))
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
        update, texts(context).get("broadcast.choose_nags"), nag_keyboard(context, draft)
    )


async def _nags_done(update: Update, context: BotContext, draft: Draft, data: Any) -> None:
    """The ticked NAGs are the audience."""
    if not draft.picks:
        await reply(update, texts(context).get("broadcast.pick_one_nag"))
        return
    draft.audience = Audience(AudienceKind.NAGS, nags=tuple(sorted(draft.picks)))
    await ask_time(update, context, draft)


async def _survey_chosen(
    update: Update, context: BotContext, draft: Draft, data: cd.WizardSurvey
) -> None:
    """Residents who took a survey."""
    if data.survey not in {x.id for x in context.services.content.surveys}:
        await reply(update, texts(context).get("common.stale_button"))
        return
    draft.audience = Audience(AudienceKind.SURVEY, survey=data.survey)
    await ask_time(update, context, draft)


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
    await edit_or_send(
        update, await preview_summary(context, draft), preview_keyboard(context, draft)
    )


async def _send_test(update: Update, context: BotContext, draft: Draft, data: Any) -> None:
    """Send the message to the officer, exactly as residents will see it."""
    if draft.step != "preview":
        await reply(update, texts(context).get("common.stale_button"))
        return
    await send_as_resident_sees(chat_id(update), context, draft)
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
            await ask_time(update, context, draft)
            return
        draft.send_now, draft.send_at = False, choice.at
    await show_preview(update, context, draft)


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
        await ask_time(update, context, draft)
        return
    spec = BroadcastSpec(
        kind=BroadcastKind.OFFICER,
        ref=draft.campaign,  # its message goes to each resident in their language
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
            await ask_image(update, context, draft)
        raise ApplicationHandlerStop
    at = parse_time(context, raw)
    if isinstance(at, str):
        await reply(update, t.get(at, days=MAX_AHEAD.days))
    else:
        draft.send_now, draft.send_at = False, at
        await show_preview(update, context, draft)
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
