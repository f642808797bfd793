"""How the console writes a count: every count it shows passes through `count_text`, which
asks the disclosure rules (bot/domain/disclosure.py) whether it may be shown. A 0 is a count;
1 to k-1 is "fewer than k"; k and more are shown. Broadcasts' audiences and delivery figures
come from bot/services/audiences.py (`audience_text`, `reach_text`, `rounded_text`)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.context import Services
from bot.domain import disclosure as dc
from bot.services import audiences as au
from bot.services.languages import audience_languages
from bot.services.officers import reach as reach_of
from storage.broadcasts import Broadcast
from storage.model import Audience


def shown(count: int, k: int) -> int | None:
    """The count if it may be shown (0, or k and more), else None."""
    return dc.shown(count, k)


def count_text(count: int, k: int) -> str:
    value = shown(count, k)
    return f"{value:,}" if value is not None else f"fewer than {k}"


def when_text(at: datetime, tz: ZoneInfo) -> str:
    """A time as officers read it: "Mon 23 Nov 2026, 18:00" in the bot's time zone."""
    local = at.astimezone(tz)
    return local.strftime("%a %-d %b %Y, %H:%M")


def day_text(at: datetime, tz: ZoneInfo) -> str:
    return at.astimezone(tz).strftime("%-d %b %Y")


async def audience_figures(s: Services, broadcasts: Sequence[Broadcast]) -> au.AudienceFigures:
    """The audience figures of one page holding these broadcasts (worked out once)."""
    k = s.config.settings.survey.min_count
    surveys = {b.audience.survey for b in broadcasts}
    return await au.audience_figures(s.db, [n.id for n in s.content.nags], k, surveys)


async def audience_text(s: Services, b: Broadcast | None, audience: Audience | None = None) -> str:
    """How many a broadcast (or, without one, a draft's `audience`) reaches, as shown."""
    k = s.config.settings.survey.min_count
    if b is not None:
        fig = await audience_figures(s, [b])
        r = await reach_of(s.broadcasts, b)
        return reach_text(fig.reach(b, r.total, r.sent, r.remaining), k)
    assert audience is not None
    fig = await au.audience_figures(s.db, [n.id for n in s.content.nags], k, [audience.survey])
    raw = await s.broadcasts.count_audience(audience)
    return reach_text(au.ReachShown(fig.audience(audience), small=dc.small(raw, k)), k)


async def languages_text(s: Services, audience: Audience, own: Collection[str]) -> str | None:
    """How many of an audience now get the message in which language ("English 40, Polish
    12"), by the chat preview's rules (bot/services/languages.py); `own`: the languages with
    a text of their own (the rest get English). None when the bot offers English only."""
    k = s.config.settings.survey.min_count
    fig = await au.audience_figures(s.db, [n.id for n in s.content.nags], k, [audience.survey])
    counts = await audience_languages(
        s.broadcasts, audience, fig.audience(audience), {"en", *own}, s.offered(), k
    )
    if counts is None:
        return None
    if counts.withheld:
        names = ", ".join(x.english_name for x in counts.withheld)
        if counts.total_hidden:
            return f"{names} (figures per language not shown, as the number of recipients isn't)"
        return f"{names} (figures per language not shown: one would be fewer than {k})"
    if not counts.shown:
        return "nobody at the moment"
    about = "about " if counts.rounded else ""
    figures = ", ".join(f"{x.english_name} {about}{n:,}" for x, n in counts.shown)
    if counts.rounded:
        figures += f" (each to the nearest {k}, so that they can't be subtracted from others)"
    return figures


def reach_text(shown: au.ReachShown, k: int) -> str:
    """A broadcast's reach (bot/services/audiences.py): a written-out one's figures are rounded
    to a multiple of k, and say so ("about 40")."""
    if shown.total is not None:
        return f"about {shown.total:,}" if shown.rounded and shown.total else f"{shown.total:,}"
    return f"fewer than {k}" if shown.small else "not shown"


def rounded_text(value: int | None, k: int) -> str:
    """One of a written-out broadcast's figures, rounded by bot/services/audiences.py."""
    if value is None:
        return "not shown"
    return f"about {value:,}" if value else "0"
