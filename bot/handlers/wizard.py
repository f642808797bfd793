"""The /broadcast wizard: content (a campaign message picked by its date and first words, or a
typed one), audience, time, a preview exactly as residents will see it with when they will
actually get it (quiet hours, by delivery's own rule) and any warning that a message was
written for another day, then Confirm. Every step has Back and Cancel. A typed message may
carry a translation per other language the bot offers (the preview's 🌐 buttons; typed like the
English), which residents who chose that language get instead (issue 23).

The draft lives in the officer's chat_data (in memory: a draft lost to a restart is simply
started again; nothing is scheduled until Confirm hands it to the broadcast service). A press
counts only at the step it was drawn for and never on a screen of a draft that has ended; any
other has moved on and changes nothing (bot/handlers/wizard_draft.py).

Here: the wizard's buttons and the steps of content, audience and preview. The group picker is
bot/handlers/wizard_nags.py, the time step bot/handlers/wizard_time.py, the typed answers
bot/handlers/wizard_typed.py, the screens bot/handlers/wizard_screens.py and
bot/render/wizard.py.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler

from bot import callback_data as cd
from bot import callback_officers as ob
from bot.content.keys import TextKey
from bot.context import BotContext, Services
from bot.domain.broadcasts import fingerprint
from bot.features import Feature, Handler
from bot.handlers.common import (
    answer,
    chat_id,
    now,
    officer_id,
    on_button,
    pressed,
    remove_buttons,
    reply,
    texts,
)
from bot.handlers.registry import Command, Group

# (bot/handlers/broadcast_confirm.py imports the draft's names and parse_time from here)
from bot.handlers.wizard_draft import (
    MAX_AHEAD,
    MAX_TEXT,
    Draft,
    begin_draft,
    draft_of,
    end_draft,
    is_current,
    parse_time,
    show,
)
from bot.handlers.wizard_nags import nag_page, nag_toggled, nags_all, nags_done, show_nags
from bot.handlers.wizard_screens import (
    ask_audience,
    preview_keyboard,
    preview_summary,
    send_as_resident_sees,
    show_campaigns,
)
from bot.handlers.wizard_time import ask_time, at_picked, day_picked, show_days, time_picked
from bot.handlers.wizard_typed import on_officer_text
from bot.ports import Duplicate
from bot.render.keyboards import button
from bot.render.text import campaign_message_html, e, when_words
from bot.render.wizard import back_cancel, message_list
from storage.model import Audience, AudienceKind, BroadcastKind, BroadcastSpec

__all__ = ["MAX_AHEAD", "MAX_TEXT", "Draft", "draft_of", "on_officer_text", "parse_time"]

logger = logging.getLogger(__name__)

ANY_STEP = frozenset(
    {"content", "text", "image", "audience", "nags", "time", "preview", "translation"}
)


async def broadcast_command(update: Update, context: BotContext) -> None:
    """Start the broadcast wizard: choose the content first."""
    draft = begin_draft(context, Draft())
    await show_campaigns(update, context, draft, edit=False)


WizardStep = Callable[[Update, BotContext, Draft, Any], Awaitable[None]]


def wizard_button(
    kind: type[cd.CallbackData], step: WizardStep, steps: frozenset[str]
) -> CallbackQueryHandler[Any, Any]:
    """A handler for one wizard button, drawn for the draft's `steps`: only for an officer with
    a draft at one of those steps. Any other press has moved on: it says so and changes nothing
    (a screen of an ended draft also loses its buttons)."""

    async def handle(update: Update, context: BotContext) -> None:
        officer = officer_id(update, context)
        draft = draft_of(context)
        data = pressed(update, kind)
        if officer is None or data is None:
            await answer(update, texts(context).get("common.stale_button"))
            return
        if draft is None or not is_current(update, context, draft, steps):
            await answer(update, texts(context).get("broadcast.moved_on"))
            q = update.callback_query
            if (
                draft is None
                or q is None
                or q.message is None
                or (q.message.message_id not in draft.screens)
            ):
                await remove_buttons(update)  # a screen of a draft that has ended
            return
        await answer(update)
        await step(update, context, draft, data)

    handle.__doc__ = step.__doc__
    return on_button(kind, handle)


async def _abandon(update: Update, context: BotContext, draft: Draft, data: Any) -> None:
    """Throw the draft away."""
    end_draft(context)
    await show(update, draft, texts(context).get("broadcast.abandoned"))


async def _back(update: Update, context: BotContext, draft: Draft, data: ob.WizardBack) -> None:
    """Back one step (what was chosen is kept until chosen again)."""
    if draft.step == "retime" or data.to == "days":
        await show_days(update, context, draft, data)
    elif data.to == "preview" and draft.step in ("preview", "translation"):
        await _redraw_preview(update, context, draft)
    elif data.to == "audience":
        await ask_audience(update, context, draft)
    elif data.to == "time":
        await ask_time(update, context, draft)
    else:
        await show_campaigns(update, context, draft, edit=True)


async def _campaigns(update: Update, context: BotContext, draft: Draft, data: Any) -> None:
    """Back to the list of campaigns."""
    await show_campaigns(update, context, draft, edit=True)


async def _campaign_picked(
    update: Update, context: BotContext, draft: Draft, data: ob.WizardPickCampaign
) -> None:
    """One campaign's messages, by date and first words."""
    t = texts(context)
    campaign = context.services.content.campaign_by_id.get(data.campaign)
    today = now(context).astimezone(context.services.config.tz).date()
    run = campaign.occurrence(today) if campaign is not None else None
    if campaign is None or run is None:
        await reply(update, t.get("common.stale_button"))
        return
    text, markup = message_list(t, campaign, run, today)
    await show(update, draft, text, markup)


async def _campaign_chosen(
    update: Update, context: BotContext, draft: Draft, data: ob.WizardCampaign
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
    draft.translations = {}  # each language's own text of it goes out instead
    draft.ratings = True  # a campaign tip: residents say whether it helped
    await ask_audience(update, context, draft)


async def _type_text(update: Update, context: BotContext, draft: Draft, data: Any) -> None:
    """The officer will type the message."""
    draft.step = "text"
    draft.campaign = draft.message = None
    t = texts(context)
    markup = InlineKeyboardMarkup([back_cancel(t, "content")])
    await show(update, draft, t.get("broadcast.type_text", limit=MAX_TEXT), markup)


async def _image_chosen(
    update: Update, context: BotContext, draft: Draft, data: ob.WizardImage
) -> None:
    """A campaign picture for a typed message, or none."""
    campaign = context.services.content.campaign_by_id.get(data.campaign)
    draft.image = campaign.image if campaign is not None else None
    await ask_audience(update, context, draft)


async def _audience_chosen(
    update: Update, context: BotContext, draft: Draft, data: ob.WizardAudience
) -> None:
    """Everyone, or chosen NAGs (then the group picker)."""
    if data.kind == "all":
        draft.audience = Audience(AudienceKind.ALL)
        await ask_time(update, context, draft)
    elif data.kind == "nags":
        await show_nags(update, context, draft, edit=True)
    else:
        await reply(update, texts(context).get("common.stale_button"))


async def _survey_chosen(
    update: Update, context: BotContext, draft: Draft, data: ob.WizardSurvey
) -> None:
    """Residents who took a survey."""
    if data.survey not in {x.id for x in context.services.content.surveys}:
        await reply(update, texts(context).get("common.stale_button"))
        return
    draft.audience = Audience(AudienceKind.SURVEY, survey=data.survey)
    await ask_time(update, context, draft)


async def _redraw_preview(update: Update, context: BotContext, draft: Draft) -> None:
    draft.step, draft.translating = "preview", None
    await show(
        update, draft, await preview_summary(context, draft), preview_keyboard(context, draft)
    )


async def _urgent_toggled(update: Update, context: BotContext, draft: Draft, data: Any) -> None:
    """Urgent: ignores quiet hours."""
    draft.urgent = not draft.urgent
    await _redraw_preview(update, context, draft)


async def _ratings_set(
    update: Update, context: BotContext, draft: Draft, data: ob.WizardRatings
) -> None:
    """👍/👎 buttons under the message, or none."""
    draft.ratings = data.on
    await _redraw_preview(update, context, draft)


async def _translate(
    update: Update, context: BotContext, draft: Draft, data: ob.WizardTranslate
) -> None:
    """Type (or type again) the message in another language the bot offers."""
    t = texts(context)
    lang = next((x for x in context.services.offered() if x.code == data.lang), None)
    if lang is None or lang.code == "en" or draft.campaign is not None:
        await reply(update, t.get("common.stale_button"))
        return
    draft.step, draft.translating = "translation", lang.code
    markup = InlineKeyboardMarkup([back_cancel(t, "preview")])
    text = t.get("broadcast.type_translation", language=e(lang.english_name), limit=MAX_TEXT)
    await show(update, draft, text, markup)


async def _send_test(update: Update, context: BotContext, draft: Draft, data: Any) -> None:
    """Send the message to the officer, exactly as residents will see it."""
    await send_as_resident_sees(chat_id(update), context, draft)
    await reply(update, texts(context).get("broadcast.test_sent"))


async def _confirmed(
    update: Update, context: BotContext, draft: Draft, data: ob.WizardConfirm
) -> None:
    """Confirm (again, after the duplicate warning, with force)."""
    officer = officer_id(update, context)
    if officer is not None:
        await _confirm(update, context, draft, officer, force=data.force)


def _spec(draft: Draft, officer: int, send_at: Any, text: str) -> BroadcastSpec:
    return BroadcastSpec(
        kind=BroadcastKind.OFFICER,
        ref=draft.campaign,  # its message goes to each resident in their language
        text=text,
        audience=draft.audience,
        send_at=send_at,
        image=draft.image,
        urgent=draft.urgent,
        ratings=draft.ratings,
        created_by=officer,
        fingerprint=fingerprint(text),
        translations=tuple(sorted(draft.translations.items())),
        detail=("now" if draft.send_now else "scheduled") + (", urgent" if draft.urgent else ""),
    )


async def _confirm(
    update: Update, context: BotContext, draft: Draft, officer: int, *, force: bool
) -> None:
    """Create the broadcast through the service; a duplicate asks for a second confirmation."""
    s = context.services
    t = texts(context)
    current = now(context)
    send_at = current if draft.send_now else draft.send_at
    if send_at is None or draft.text is None:
        await reply(update, t.get("broadcast.moved_on"))
        return
    if send_at < current:
        await reply(update, t.get("broadcast.time_past"))
        await ask_time(update, context, draft, edit=False)
        return
    result = await s.broadcasting.create(_spec(draft, officer, send_at, draft.text), force=force)
    if isinstance(result, Duplicate):
        other = result.other
        when = e(when_words(t, other.send_at, s.config.tz, current))
        markup = InlineKeyboardMarkup(
            [
                [button(t.get("broadcast.btn_send_anyway"), ob.WizardConfirm(True))],
                back_cancel(t, "preview"),
            ]
        )
        text = t.get("broadcast.duplicate", id=other.id, when=when)
        await show(update, draft, text, markup, edit=False)
        return
    end_draft(context)
    arrives = s.broadcasting.send_time(send_at, draft.urgent)
    key: TextKey = "broadcast.confirmed_now" if draft.send_now else "broadcast.confirmed"
    if arrives > send_at:
        key = "broadcast.confirmed_quiet"
    when_text = e(when_words(t, arrives, s.config.tz, current))
    await reply(update, t.get(key, id=result.broadcast.id, when=when_text))


def _steps(*names: str) -> frozenset[str]:
    return frozenset(names)


CONTENT, PREVIEW = _steps("content"), _steps("preview")
TIME = _steps("time", "retime")  # a scheduled broadcast's new time is picked the same way
WIZARD_STEPS: list[tuple[type[cd.CallbackData], WizardStep, frozenset[str]]] = [
    (ob.WizardAbandon, _abandon, ANY_STEP),
    (ob.WizardBack, _back, ANY_STEP | {"retime"}),
    (ob.WizardCampaigns, _campaigns, CONTENT),
    (ob.WizardPickCampaign, _campaign_picked, CONTENT),
    (ob.WizardCampaign, _campaign_chosen, CONTENT),
    (ob.WizardTypeText, _type_text, CONTENT),
    (ob.WizardImage, _image_chosen, _steps("image")),
    (ob.WizardAudience, _audience_chosen, _steps("audience")),
    (ob.WizardSurvey, _survey_chosen, _steps("audience")),
    (ob.WizardNag, nag_toggled, _steps("nags")),
    (ob.WizardNagPage, nag_page, _steps("nags")),
    (ob.WizardNagsAll, nags_all, _steps("nags")),
    (ob.WizardNagsDone, nags_done, _steps("nags")),
    (ob.WizardTime, time_picked, _steps("time")),
    (ob.WizardDays, show_days, TIME),
    (ob.WizardDay, day_picked, TIME),
    (ob.WizardAt, at_picked, TIME),
    (ob.WizardUrgent, _urgent_toggled, PREVIEW),
    (ob.WizardRatings, _ratings_set, PREVIEW),
    (ob.WizardTest, _send_test, PREVIEW),
    (ob.WizardConfirm, _confirmed, PREVIEW),
    (ob.WizardTranslate, _translate, PREVIEW),
]


def _handlers(services: Services) -> Sequence[Handler]:
    return [
        (wizard_button(kind, step, steps), Group.FEATURES) for kind, step, steps in WIZARD_STEPS
    ]


FEATURE = Feature(
    name="broadcast wizard",
    commands=(Command("broadcast", broadcast_command, audience="officer"),),
    handlers=_handlers,
)
