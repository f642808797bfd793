"""The /broadcast wizard's group picker: NAGs by their short names with how many subscribers
each has (a count from 1 to k-1 shows only as "<k", by the disclosure rule; 0 is a count and
shows; the preview's number of recipients follows the same rule, so picking one small NAG does
not give its count away), a page at a time; typing part of a name (or an area in it) narrows
the list.
"""

from __future__ import annotations

from typing import Any

from telegram import Update

from bot import callback_officers as ob
from bot.context import BotContext
from bot.handlers.common import reply, texts
from bot.handlers.wizard_draft import Draft, show
from bot.handlers.wizard_time import ask_time
from bot.render.wizard import nag_picker
from bot.services import audiences as au
from storage.model import Audience, AudienceKind

MAX_SEARCH = 40  # characters of a typed search kept (a name is at most 64)


async def nag_counts(context: BotContext) -> dict[str, str]:
    """Each NAG's subscribers as officers may see them: 0, k or more, or "<k". The NAGs are
    parts of everyone a broadcast to all would reach (with those in no NAG as one more part),
    protected together with every other audience figure and the console's Reach page
    (bot/services/audiences.py), so a hidden count can't be worked out from any of them."""
    s = context.services
    k = s.config.settings.survey.min_count
    figures = await au.audience_figures(s.db, [n.id for n in s.content.nags], k)
    small = texts(context).get("broadcast.nag_count_small", k=k)
    return {
        n.id: small if (shown := figures.nag_part(n.id)) is None else f"{shown:,}"
        for n in s.content.nags
    }


async def show_nags(update: Update, context: BotContext, draft: Draft, *, edit: bool) -> None:
    """The group picker at the draft's page and search."""
    draft.step = "nags"
    t = texts(context)
    k = context.services.config.settings.survey.min_count
    text, markup = nag_picker(
        t,
        context.services.content.nags,
        draft.picks,
        await nag_counts(context),
        draft.search,
        draft.nag_page,
        t.get("broadcast.nags_counts_note", k=k),
    )
    await show(update, draft, text, markup, edit=edit)


async def nag_toggled(
    update: Update, context: BotContext, draft: Draft, data: ob.WizardNag
) -> None:
    """Tick or untick one NAG."""
    if data.nag not in context.services.content.nag_by_id:
        await reply(update, texts(context).get("common.stale_button"))
        return
    if data.nag in draft.picks:
        draft.picks.remove(data.nag)
    else:
        draft.picks.append(data.nag)
    await show_nags(update, context, draft, edit=True)


async def nag_page(
    update: Update, context: BotContext, draft: Draft, data: ob.WizardNagPage
) -> None:
    """Another page of the picker."""
    draft.nag_page = data.page
    await show_nags(update, context, draft, edit=True)


async def nags_all(update: Update, context: BotContext, draft: Draft, data: Any) -> None:
    """Every NAG again (the typed search cleared)."""
    draft.search, draft.nag_page = None, 0
    await show_nags(update, context, draft, edit=True)


async def nags_done(update: Update, context: BotContext, draft: Draft, data: Any) -> None:
    """The ticked NAGs are the audience."""
    if not draft.picks:
        await reply(update, texts(context).get("broadcast.pick_one_nag"))
        return
    draft.audience = Audience(AudienceKind.NAGS, nags=tuple(sorted(draft.picks)))
    await ask_time(update, context, draft)


async def nag_search(update: Update, context: BotContext, draft: Draft, raw: str) -> None:
    """Typed while the picker is open: show the NAGs matching it (as a new screen)."""
    draft.search = " ".join(raw.split())[:MAX_SEARCH] or None
    draft.nag_page = 0
    await show_nags(update, context, draft, edit=False)
