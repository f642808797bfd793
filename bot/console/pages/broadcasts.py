"""Broadcasts: a month's calendar of what is scheduled, sent and expired (a grid and the same
broadcasts as a list), one broadcast with its delivery report, history and actions, and
campaign ratings by month. Creating and acting on broadcasts:
bot/console/pages/broadcast_actions.py; shared pieces: bot/console/pages/broadcast_parts.py."""

from __future__ import annotations

import calendar
import re
from datetime import date

from aiohttp import web

from bot.console.figures import count_text, rounded_text, when_text
from bot.console.framework import Ctx, Page, Route, url
from bot.console.html import Column, Html, join, link, message, table, table_region, tag
from bot.console.pages import broadcast_parts as bp
from bot.console.pages.home import audience_words
from bot.services import broadcast_desk as desk

MONTH = re.compile(r"^(\d{4})-(\d{2})$")
DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def _first(ctx: Ctx) -> date:
    today = ctx.now().astimezone(ctx.services.config.tz).date()
    found = MONTH.match(ctx.query("month") or "")
    if found and 1 <= int(found.group(2)) <= 12 and 2000 <= int(found.group(1)) <= 2100:
        return date(int(found.group(1)), int(found.group(2)), 1)
    return today.replace(day=1)


def _shift(first: date, months: int) -> date:
    n = first.year * 12 + first.month - 1 + months
    return date(n // 12, n % 12 + 1, 1)


def _grid(ctx: Ctx, m: desk.Month) -> Html:
    tz = ctx.services.config.tz
    head = join(tag("th", d[:3], scope="col", abbr=d) for d in DAYS)
    weeks = []
    for week in calendar.Calendar().monthdatescalendar(m.first.year, m.first.month):
        cells = []
        for day in week:
            if day.month != m.first.month:
                cells.append(tag("td", "", class_="out"))
                continue
            items = [
                tag(
                    "li",
                    link(
                        url(f"/broadcasts/{b.id}"),
                        f"{bp.shown_at(b, tz):%H:%M} #{b.id} {bp.STATUS[b.status]}",
                    ),
                    class_=f"b-{b.status}",
                )
                for b in m.on(day, tz)
            ]
            listed = tag("ul", join(items)) if items else Html("")
            cells.append(tag("td", tag("span", day.day, class_="day"), listed))
        weeks.append(tag("tr", join(cells)))
    caption = f"{m.first:%B %Y}: broadcasts by day"
    return table_region(caption, head, join(weeks), class_="calendar")


def _list(ctx: Ctx, m: desk.Month, k: int) -> Html:
    s = ctx.services
    rows = []
    for b in m.broadcasts:
        r = m.reports.get(b.id)
        figures = bp.report_cells(r, k) if r else ("", "", "")
        rows.append(
            (
                link(url(f"/broadcasts/{b.id}"), bp.title(s.content, b)),
                when_text(bp.shown_at(b, s.config.tz), s.config.tz),
                bp.STATUS[b.status],
                audience_words(s.content, b.audience),
                *figures,
            )
        )
    cols = [
        Column("Broadcast"),
        Column("When"),
        Column("Status"),
        Column("To"),
        Column("Sent", numeric=True),
        Column("Blocked", numeric=True),
        Column("Not delivered", numeric=True),
    ]
    if not rows:
        return tag("p", f"No broadcasts in {m.first:%B %Y}.")
    return table(f"Broadcasts in {m.first:%B %Y}, in order", cols, rows)


async def calendar_page(ctx: Ctx) -> web.StreamResponse:
    s = ctx.services
    k = s.config.settings.survey.min_count
    first = _first(ctx)
    m = await desk.month(s.db, first, s.config.tz, k)
    before, after = _shift(first, -1), _shift(first, 1)
    nav = tag(
        "nav",
        tag(
            "ul",
            tag("li", link(url(f"/broadcasts?month={before:%Y-%m}"), f"← {before:%B %Y}")),
            tag("li", link(url(f"/broadcasts?month={after:%Y-%m}"), f"{after:%B %Y} →")),
            tag("li", link(url("/broadcasts/new"), "New broadcast")),
            tag("li", link(url("/broadcasts/ratings"), "Campaign ratings by month")),
        ),
        aria_label="Months",
        class_="months",
    )
    body = join(
        [
            nav,
            tag(
                "section",
                tag("h2", f"{first:%B %Y}", id="month"),
                _grid(ctx, m),
                tag(
                    "p",
                    "Times are the bot's time zone. A broadcast shows on the day it started "
                    "going out, or is due to.",
                    class_="hint",
                ),
                aria_labelledby="month",
            ),
            tag(
                "section",
                tag("h2", "Every broadcast this month", id="list"),
                _list(ctx, m, k),
                bp.small_note(k),
                aria_labelledby="list",
            ),
        ]
    )
    return ctx.page("Broadcasts", body)


DONE = {
    "created": "Done: it is scheduled (or on its way, if it was for now).",
    "edited": "Done: the text is changed.",
    "translated": "Done: the translation is saved; the English is as it was.",
    "untranslated": "Done: the translation is removed; its readers get the English.",
    "moved": "Done: it has a new time.",
    "sent": "Done: it is on its way.",
    "cancelled": "Done: it is cancelled, and nobody will get it.",
}


async def broadcast_page(ctx: Ctx) -> web.StreamResponse:
    b = await bp.broadcast_of(ctx)
    done = DONE.get(ctx.query("done") or "")
    notice = message(done, "ok") if done else Html("")
    return ctx.page(bp.title(ctx.services.content, b), notice + await bp.detail(ctx, b))


async def ratings_page(ctx: Ctx) -> web.StreamResponse:
    s = ctx.services
    k = s.config.settings.survey.min_count
    rated = await desk.campaign_ratings(s.db, k)

    def n(v: int | None) -> str:
        return count_text(v, k) if v is not None else "not shown"

    rows = [
        (
            (
                s.content.campaign_by_id[r.campaign].title
                if r.campaign in s.content.campaign_by_id
                else r.campaign
            ),
            date.fromisoformat(r.month + "-01").strftime("%b %Y"),
            rounded_text(r.sent, k),
            n(r.useful),
            n(r.not_useful),
        )
        for r in rated
    ]
    cols = [
        Column("Campaign"),
        Column("Month"),
        Column("Delivered", numeric=True),
        Column("Rated useful", numeric=True),
        Column("Rated not useful", numeric=True),
    ]
    body = (
        table("Campaign messages by month: delivered and rated", cols, rows)
        if rows
        else tag("p", "No campaign message has gone out yet.")
    )
    return ctx.page("Campaign ratings", join([body, bp.small_note(k)]))


PAGE = Page(
    title="Broadcasts",
    path="/broadcasts",
    routes=(
        Route("GET", "/broadcasts", calendar_page),
        Route("GET", r"/broadcasts/{id:\d+}", broadcast_page),
        Route("GET", "/broadcasts/ratings", ratings_page),
    ),
)
