"""Safeguarding: the one entry point every piece of a resident's free text passes through first.

A handler in Group.SAFETY sees each private text (and caption) before any flow does: outside any
flow, while the bot is asking for an area, inside a survey, and in any flow added later, because
no flow can run before it. When the text mentions danger, a crime or a risk to someone, the
resident gets the right help at once (bot/domain/safety.py decides which), and later handlers
can ask `signposted(update, context)`: the fallback then stays quiet instead of answering
"didn't understand", while a survey still saves the answer and goes on. Officers typing into a
wizard are handled earlier (Group.OFFICER_INPUT) and never reach this check.

Privacy: the text is never stored or logged. Only a count per ISO week and category is kept
(storage/safety.py), which officers read with /safety, small counts withheld.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import date, timedelta

from telegram import Update
from telegram.ext import MessageHandler, filters

from bot.context import BotContext, Services
from bot.domain import disclosure as dc
from bot.features import Feature, Handler
from bot.handlers.common import now, reply, texts
from bot.handlers.registry import Command, Group
from bot.render.text import e

logger = logging.getLogger(__name__)

REPORT_WEEKS = 8


def signposted(update: Update, context: BotContext) -> bool:
    """Whether this update already got the safeguarding answer (so a flow need not answer it)."""
    return update.update_id in context.services.signposted


def free_text(update: Update) -> str:
    """The words a resident typed: the text or caption, without a leading /command."""
    msg = update.effective_message
    text = (msg.text or msg.caption or "") if msg is not None else ""
    if text.startswith("/"):
        text = text.partition(" ")[2]
    return text


def iso_week(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


async def check(update: Update, context: BotContext) -> None:
    """Signpost first, whatever flow the resident is in; then count it (best effort, no text)."""
    text = free_text(update)
    if not text.strip():
        return
    s = context.services
    finding = s.understanding.topics(text)
    if not finding:
        return
    s.signposted.add(update.update_id)
    await reply(update, s.help_for(finding))  # in the resident's language
    s.metrics.safeguarding(finding.categories)
    week = iso_week(now(context).astimezone(s.config.tz).date())
    try:
        await s.safety_counts.add(week, finding.categories)
    except Exception as exc:  # noqa: BLE001 - the help was given; a lost count must not hide it
        logger.warning("Could not count a safeguarding answer: %s", type(exc).__name__)


async def safety_command(update: Update, context: BotContext) -> None:
    """Officers: how often each kind of help was given, per week (small counts withheld)."""
    s = context.services
    t = texts(context)
    k = s.config.settings.survey.min_count
    today = now(context).astimezone(s.config.tz).date()
    monday = today - timedelta(days=today.weekday())
    starts = [monday - timedelta(weeks=n) for n in range(REPORT_WEEKS - 1, -1, -1)]
    weeks = [iso_week(d) for d in starts]
    counts = await s.safety_counts.weekly(weeks)

    def shown(n: int) -> str:
        # No totals are shown, so each count stands alone: 0 and k or more as they are.
        figure = dc.shown(n, k)
        return str(figure) if figure is not None else t.get("safety.report_fewer", min=k)

    lines = []
    for category in s.content.safety.categories:
        row = [counts[w].get(category.id, 0) for w in weeks]
        if any(row):
            figures = ", ".join(shown(n) for n in row)
            lines.append(t.get("safety.report_line", title=e(category.title), figures=figures))
    header = t.get(
        "safety.report_header",
        weeks=len(weeks),
        starts=", ".join(f"{d.day} {t.month_short(d)}" for d in starts),
        min=k,
    )
    body = "\n".join(lines) if lines else t.get("safety.report_none", weeks=len(weeks))
    await reply(update, f"{header}\n\n{body}")


def _handlers(services: Services) -> Sequence[Handler]:
    private_text = filters.ChatType.PRIVATE & (filters.TEXT | filters.CAPTION)
    return ((MessageHandler(private_text, check, block=True), Group.SAFETY),)


FEATURE = Feature(
    name="safeguarding",
    commands=(Command("safety", safety_command, audience="officer"),),
    handlers=_handlers,
    tables_without_personal_data={"safety_counts": "counts per week and category, nobody in them"},
)
