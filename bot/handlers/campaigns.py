"""/campaigns: a short list of crime-prevention campaigns (running now first, then those coming
soon, marked; those that matter most in the resident's area first in each; campaigns already
over are hidden) -> tap one -> its picture, three tips, and
"More tips". Each screen fits a phone."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import date, timedelta
from pathlib import Path

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Message, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest

from bot import callback_data as cd
from bot.content import Campaign, Texts
from bot.context import BotContext, Services
from bot.features import Feature, Handler
from bot.handlers.common import (
    answer,
    chat_id,
    message_text,
    now,
    on_button,
    pressed,
    remove_buttons,
    reply,
    require_chat,
    texts,
)
from bot.handlers.registry import Command, Group
from bot.render.keyboards import button
from bot.render.text import campaign_detail, campaign_label

logger = logging.getLogger(__name__)

UPCOMING_DAYS = 60  # campaigns starting within this many days are listed as coming soon
FIRST_TIPS = 3


def listed(
    services: Services, today: date, nag_id: str | None = None
) -> list[tuple[tuple[date, date], Campaign]]:
    """Campaigns running today, then those starting within UPCOMING_DAYS; in each, those that
    matter most in the resident's area first, then by start date."""
    runs = []
    for c in services.content.campaigns:
        run = c.occurrence(today)
        if run and run[0] <= today + timedelta(days=UPCOMING_DAYS):
            runs.append((run, c))
    runs.sort(key=lambda x: (x[0][0] > today, nag_id not in x[1].nags, x[0][0]))
    return runs


def _today(context: BotContext) -> date:
    return now(context).astimezone(context.services.config.tz).date()


def _button(label: str, data: cd.CallbackData) -> list[InlineKeyboardButton]:
    return [button(label, data)]


async def campaigns_command(update: Update, context: BotContext) -> None:
    """The list: one button per campaign."""
    t = texts(context)
    today = _today(context)
    resident = await context.services.residents.get(chat_id(update))
    nag_id = resident.nag_id if resident else None
    runs = listed(context.services, today, nag_id)
    if not runs:
        await reply(update, t.get("campaigns.none"))
        return
    rows = [
        _button(campaign_label(t, c, run, today, local=nag_id in c.nags), cd.CampaignOpen(c.id, 0))
        for run, c in runs
    ]
    await reply(update, t.get("campaigns.list"), InlineKeyboardMarkup(rows))


def _detail(
    t: Texts, c: Campaign, run: tuple[date, date], today: date, page: int
) -> tuple[str, InlineKeyboardMarkup]:
    tips = c.tips[:FIRST_TIPS] if page == 0 else c.tips[FIRST_TIPS:]
    rows = []
    if page == 0 and (len(c.tips) > FIRST_TIPS or c.links):
        rows.append(_button(t.get("button.more_tips"), cd.CampaignOpen(c.id, 1)))
    if page == 1:
        rows.extend([InlineKeyboardButton(x.title, url=x.url)] for x in c.links)
    rows.append(_button(t.get("button.all_campaigns"), cd.CampaignList()))
    return campaign_detail(t, c, run, today, tips, more=page == 1), InlineKeyboardMarkup(rows)


async def on_open(update: Update, context: BotContext) -> None:
    """A campaign tapped in the list (page 0: a new message with its picture), or "More tips"
    (page 1: the same message shows the rest)."""
    data = pressed(update, cd.CampaignOpen)
    t = texts(context)
    today = _today(context)
    found = {c.id: (run, c) for run, c in listed(context.services, today)}
    if data is None or data.campaign not in found or data.page not in (0, 1):
        await answer(update, t.get("campaigns.gone"))
        return
    await answer(update)
    run, c = found[data.campaign]
    await _show(update, context, c, run, data.page)


async def tips_words(update: Update, context: BotContext) -> None:
    """Plain words asking for tips ("fraud tips", "how do I spot a scam"): the tips of the
    campaign about that topic when one is listed (running first), otherwise the list."""
    text = message_text(update) if update.message else ""
    wanted = set(context.services.understanding.rules_topics(text)) if text else set()
    today = _today(context)
    for run, c in listed(context.services, today):
        if wanted & set(c.topics):
            await _show(update, context, c, run, 0)
            return
    await campaigns_command(update, context)


async def _show(
    update: Update, context: BotContext, c: Campaign, run: tuple[date, date], page: int
) -> None:
    """A campaign's tips: a new message with its picture (page 0), or the rest in place."""
    t = texts(context)
    text, keyboard = _detail(t, c, run, _today(context), page)
    if page == 1 and await _edit(update, text, keyboard):
        return
    chat = require_chat(update)
    image = _image(context, c)
    if image is not None:
        with image.open("rb") as f:
            await chat.send_photo(
                InputFile(f, filename=image.name),
                caption=text,
                parse_mode=ParseMode.HTML,
                reply_markup=keyboard,
            )
        return
    await reply(update, text, keyboard)


async def _edit(update: Update, text: str, keyboard: InlineKeyboardMarkup) -> bool:
    """Show `text` in the pressed message (its caption for a picture); False if it can't be."""
    q = update.callback_query
    message = q.message if q is not None else None
    if q is None or not isinstance(message, Message):
        return False
    try:
        if message.photo:
            await q.edit_message_caption(text, parse_mode=ParseMode.HTML, reply_markup=keyboard)
        else:
            await q.edit_message_text(text, parse_mode=ParseMode.HTML, reply_markup=keyboard)
    except BadRequest as exc:
        return "not modified" in str(exc).lower()
    return True


def _image(context: BotContext, c: Campaign) -> Path | None:
    if not c.image:
        return None
    path = context.services.content.directory / c.image
    return path if path.is_file() else None


async def on_list(update: Update, context: BotContext) -> None:
    """Back to the list from a campaign: its buttons are taken off, the list comes below."""
    await answer(update)
    await remove_buttons(update)
    await campaigns_command(update, context)


def _handlers(services: Services) -> Sequence[Handler]:
    return (
        (on_button(cd.CampaignOpen, on_open), Group.FEATURES),
        (on_button(cd.CampaignList, on_list), Group.FEATURES),
    )


FEATURE = Feature(
    name="campaigns",
    commands=(Command("campaigns", campaigns_command),),
    handlers=_handlers,
    intents={"campaigns": tips_words},
)
