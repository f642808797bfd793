"""Home: what is scheduled next, and a few headline figures (each under the small-number rules)."""

from __future__ import annotations

from aiohttp import web

from bot.console.figures import audience_figures, count_text, reach_text, when_text
from bot.console.framework import Ctx, Page, Route
from bot.console.html import Column, Html, join, table, tag
from bot.content import Content
from bot.domain import surveys as dom
from bot.services import officers as ro
from storage.broadcasts import Broadcast
from storage.model import Audience, AudienceKind, BroadcastKind

NEXT = 6  # broadcasts listed

KIND_WORDS = {
    BroadcastKind.OFFICER: "officer's message",
    BroadcastKind.CAMPAIGN: "campaign tip",
    BroadcastKind.REMINDER: "meeting reminder",
    BroadcastKind.SURVEY_RESULTS: "survey results",
}


def audience_words(content: Content, a: Audience) -> str:
    """Who a broadcast goes to, in words (NAG names, never anyone's details)."""
    names = [content.nag_by_id[n].name if n in content.nag_by_id else n for n in a.nags]
    if a.kind == AudienceKind.NAGS:
        return "residents of " + ", ".join(names)
    if a.kind == AudienceKind.REMINDER:
        return "reminders in " + ", ".join(names)
    if a.kind == AudienceKind.SURVEY:
        survey = content.survey_by_id.get(a.survey or "") if a.survey else None
        return "people who took " + (survey.title if survey else "a survey")
    if a.kind == AudienceKind.PERSONAL:
        return "each participant"
    return "everyone"


def _about(content: Content, b: Broadcast) -> str | None:
    """What an automatic broadcast is about: its campaign, NAG or survey, by name."""
    ref = b.ref or ""
    if b.kind == BroadcastKind.CAMPAIGN and ref in content.campaign_by_id:
        return content.campaign_by_id[ref].title
    if b.kind == BroadcastKind.REMINDER and ref in content.nag_by_id:
        return content.nag_by_id[ref].name
    if b.kind == BroadcastKind.SURVEY_RESULTS and ref in content.survey_by_id:
        return content.survey_by_id[ref].title
    return None


def _what(content: Content, b: Broadcast) -> str:
    """A broadcast's title: its kind and what it is about, never the text an officer wrote."""
    kind = KIND_WORDS.get(b.kind, str(b.kind))
    about = _about(content, b)
    return f"#{b.id} {kind}" + (f": {about}" if about else "")


async def home(ctx: Ctx) -> web.StreamResponse:
    s = ctx.services
    k = s.config.settings.survey.min_count
    tz, now = s.config.tz, ctx.now()
    page = await ro.scheduled_page(s.broadcasts, now, later=False, page=0, per_page=NEXT)
    fig = await audience_figures(s, [b for b, _ in page.shown])
    rows = [
        (_what(s.content, b), when_text(b.due_at, tz), audience_words(s.content, b.audience),
         reach_text(fig.reach(b, r.total, r.sent, r.remaining), k))
        for b, r in page.shown
    ]  # fmt: skip
    cols = [Column("Broadcast"), Column("When"), Column("To"), Column("Residents", numeric=True)]
    nextup = (
        table("What is scheduled next", cols, rows) if rows else tag("p", "Nothing is scheduled.")
    )
    everyone = await s.broadcasts.count_audience(Audience())
    today = now.astimezone(tz).date()
    open_now = [x for x in s.content.surveys if dom.status(x, today) == "open"]
    overview = await s.surveys.overview()  # survey id -> (started, completed)
    completed = sum(done for _, done in overview.values())
    figures = tag(
        "dl",
        _figure("Residents who get campaign messages", count_text(everyone, k)),
        _figure("Surveys open now", str(len(open_now)), people=False),
        _figure("Survey responses completed", count_text(completed, k)),
        class_="figures",
    )
    note = tag(
        "p",
        f"Counts from 1 to {k - 1} show as “fewer than {k}”, so nobody can be singled out.",
        class_="hint",
    )
    body = join([
        tag("section", tag("h2", "Headline figures", id="figures"), figures, note,
            aria_labelledby="figures"),
        tag("section", tag("h2", "Coming up", id="next"), nextup, aria_labelledby="next"),
    ])  # fmt: skip
    return ctx.page("Home", body)


def _figure(label: str, value: str, *, people: bool = True) -> Html:
    """A headline figure; `people` False for one that counts no one (surveys, say)."""
    return tag("div", tag("dt", label), tag("dd", value, class_=None if people else "not-people"))


PAGE = Page(title="Home", path="/", routes=(Route("GET", "/", home),))
