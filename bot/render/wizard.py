"""The broadcast wizard's screens that need nothing but texts and content: one campaign's
messages to pick from (by the day each goes out and its first words), and how long a sending
takes. The wizard's steps are in bot/handlers/wizard.py, its other screens in
bot/handlers/wizard_screens.py.
"""

from __future__ import annotations

import math
from datetime import date

from telegram import InlineKeyboardMarkup

from bot import callback_data as cd
from bot.content import Campaign, ScheduledMessage, Texts
from bot.render.keyboards import button
from bot.render.text import day_short, e, snippet

PICKER_LABEL = 40  # characters of a message button: its date and first words, for a phone
PICKER_LINE = 70  # ... and of its line in the message above the buttons


def message_snippet(campaign: Campaign, msg: ScheduledMessage, limit: int) -> str:
    return snippet(msg.text or campaign.summary, limit)


def message_list(
    t: Texts, campaign: Campaign, run: tuple[date, date], today: date
) -> tuple[str, InlineKeyboardMarkup]:
    """One campaign's messages: each by the day it goes out and its first words."""
    lines, rows = [], []
    for msg in campaign.messages:
        day = day_short(t, campaign.day_in_run(msg.day, run[0]), today)
        first_words = e(message_snippet(campaign, msg, PICKER_LINE))
        lines.append(t.get("broadcast.message_line", day=day, text=first_words))
        label = f"{day} · {message_snippet(campaign, msg, PICKER_LABEL - len(day) - 3)}"
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


def duration_words(t: Texts, seconds: float) -> str:
    """How long the sending takes, as an officer plans around it."""
    if seconds < 60:
        return t.get("broadcast.takes_under_minute")
    return t.get("broadcast.takes_minutes", minutes=f"{math.ceil(seconds / 60):,}")
