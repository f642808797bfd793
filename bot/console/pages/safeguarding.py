"""Safeguarding: how often each kind of help was given, per week (counts only, as /safety)."""

from __future__ import annotations

from aiohttp import web

from bot.console.framework import Ctx, Page, Route
from bot.console.html import Column, field, join, select, table, tag
from bot.services import safeguarding as sg

CHOICES = (("8", "8 weeks"), ("13", "13 weeks"), ("26", "26 weeks"))


async def safeguarding(ctx: Ctx) -> web.StreamResponse:
    s = ctx.services
    k = s.config.settings.survey.min_count
    asked = ctx.query("weeks") or "8"
    weeks = int(asked) if asked in dict(CHOICES) else sg.WEEKS
    today = ctx.now().astimezone(s.config.tz).date()
    categories = [(c.id, c.title) for c in s.content.safety.categories]
    report = await sg.weekly_help(s.safety_counts, categories, today, k, weeks)
    form = ctx.form(
        "/safeguarding",
        field("Period", select("weeks", CHOICES, str(weeks), id_="f-weeks"), id_="f-weeks"),
        submit="Show",
        method="get",
        class_="filters",
        aria_label="Choose the period",
    )
    intro = tag(
        "p",
        "How often the bot gave each kind of help, per week (Monday to Sunday). Only these "
        "counts are kept: never the message, who sent it or when in the week. Counts from 1 to "
        f"{k - 1} show as “fewer than {k}”.",
    )
    if not report.rows:
        body = tag("p", f"No help was given in the last {weeks} weeks.")
    else:
        cols = [Column("Kind of help")]
        cols += [Column(f"w/c {d:%-d %b}", numeric=True) for d in report.weeks]
        rows = [
            (r.title, *(f"{n:,}" if n is not None else f"<{k}" for n in r.counts))
            for r in report.rows
        ]
        body = table(f"Help given per week, last {weeks} weeks", cols, rows)
        body += tag("p", f"“<{k}”: fewer than {k}.", class_="hint")
    return ctx.page("Safeguarding", join([intro, form, body]))


PAGE = Page(
    title="Safeguarding",
    path="/safeguarding",
    routes=(Route("GET", "/safeguarding", safeguarding),),
)
