"""Reach: residents per NAG (and the share taking campaign messages), joined, stopped and
blocked over time, and sign-up sources (each deep-link source, e.g. a leaflet's QR code).
Every figure comes protected from bot/services/reach.py and is written by count_text."""

from __future__ import annotations

from datetime import date

from aiohttp import web

from bot.console.charts import Bar, bar_chart
from bot.console.figures import count_text
from bot.console.framework import Ctx, Page, Route
from bot.console.html import Column, Html, field, join, message, select, table, tag
from bot.services import reach as rch

TITLES = {
    "joined": "Joined",
    "stopped": "Stopped campaign messages",
    "blocked": "Blocked the bot",
}
HINTS = {
    "joined": "Residents who started the bot, by the month they started.",
    "stopped": "Residents who said no to campaign messages or sent /stop (and have not "
    "blocked the bot since), by the month.",
    "blocked": "Residents who blocked the bot, by the month the bot found out.",
}


def _month(m: str) -> str:
    return date.fromisoformat(m + "-01").strftime("%b %Y")


def _period(first: str, last: str) -> str:
    return _month(first) if first == last else f"{_month(first)} to {_month(last)}"


def _group(ctx: Ctx, key: str | None) -> str:
    if key is None:
        return "All residents"
    if key == rch.OTHER:
        return "Other NAGs and no NAG, together"
    nag = ctx.services.content.nag_by_id.get(key)
    return nag.name if nag else key


def _source(key: str) -> str:
    if key == rch.NO_LINK:
        return "Came without a link"
    if key == rch.OTHER:
        return "Other sources, together"
    return key


STATUS_TITLES = {
    "taking": "Taking campaign messages",
    "said_no": "Said no or stopped",
    "not_answered": "Not answered yet",
    "blocked": "Blocked the bot",
}


def _figure(value: int | None) -> str:
    # A hidden figure says only that: whether it is small is not told (that would bound it).
    return "not shown" if value is None else f"{value:,}"


def _nags_table(ctx: Ctx, r: rch.Reach, k: int) -> Html:
    t = r.nags
    v = t.view
    taking = rch.STATUSES.index("taking")
    rows = []
    lines: list[tuple[str | None, int, tuple[int | None, ...]]] = list(
        zip(t.labels, v.rows, v.cells, strict=True)
    )
    for label, total, cells in [*lines, (None, v.total, v.columns)]:
        rate = "not shown"
        yes = cells[taking]
        if yes is not None and total:
            rate = f"{100 * yes / total:.0f}%"
        rows.append((_group(ctx, label), count_text(total, k), *map(_figure, cells), rate))
    cols = [
        Column("NAG"),
        Column("Residents", numeric=True),
        *(Column(STATUS_TITLES[x], numeric=True, part=True) for x in rch.STATUSES),
        Column("Consent rate", numeric=True),
    ]
    caption = "Residents per NAG, by whether they take campaign messages"
    return table(caption, cols, rows, class_="sums")


def _series_section(ctx: Ctx, s: rch.Series, nag: str | None, k: int) -> Html:
    title = TITLES[s.name]
    counts = s.of(nag)
    head = tag("h3", title, id=f"s-{s.name}")
    hint = tag("p", HINTS[s.name], class_="hint")
    if s.withheld:
        text = "Too few residents in all for this figure to be shown (see the table above)."
        return tag("section", head, hint, tag("p", text), aria_labelledby=f"s-{s.name}")
    if not s.periods:
        return tag("section", head, hint, tag("p", "None yet."), aria_labelledby=f"s-{s.name}")
    if counts is None:
        text = (
            f"Too few residents of {_group(ctx, nag)} for this figure to be shown on its "
            "own (or it is not shown in the table above): it is counted in “Other NAGs and no "
            "NAG, together”."
        )
        return tag("section", head, hint, tag("p", text), aria_labelledby=f"s-{s.name}")
    rows = [(_period(a, b), count_text(n, k)) for (a, b), n in zip(s.periods, counts, strict=True)]
    caption = f"{title}: {_group(ctx, nag)}, per period"
    body = table(caption, [Column("Period"), Column("Residents", numeric=True)], rows)
    bars = [
        Bar(_period(a, b), n, count_text(n, k)) for (a, b), n in zip(s.periods, counts, strict=True)
    ]
    chart = bar_chart(caption, bars[-12:], f"chart-{s.name}")
    return tag("section", head, hint, chart, body, aria_labelledby=f"s-{s.name}")


def _sources_section(r: rch.Reach, k: int) -> Html:
    sources = table(
        "Residents per sign-up source",
        [Column("Source"), Column("Residents", numeric=True)],
        [(_source(src), count_text(n, k)) for src, n in r.sources],
    )
    hint = tag(
        "p",
        "Where residents found the bot: each leaflet's or poster's link "
        "(“qr:fishermead”), as it was when they first started it.",
        class_="hint",
    )
    h2 = tag("h2", "Sign-up sources", id="sources")
    return tag("section", h2, hint, sources, aria_labelledby="sources")


def _over_time(ctx: Ctx, r: rch.Reach, asked: str | None, k: int) -> Html:
    choices = [("", "All residents")] + [(n.id, n.name) for n in ctx.services.content.nags]
    form = ctx.form(
        "/reach",
        field("NAG", select("nag", choices, asked, id_="f-nag"), id_="f-nag"),
        submit="Show",
        method="get",
        class_="filters",
        aria_label="Choose a NAG",
    )
    series = join(_series_section(ctx, x, asked, k) for x in r.series)
    h2 = tag("h2", "Over time", id="time")
    return tag("section", h2, form, series, aria_labelledby="time")


async def reach_page(ctx: Ctx) -> web.StreamResponse:
    s = ctx.services
    k = s.config.settings.survey.min_count
    r = await rch.reach(s.db, [n.id for n in s.content.nags], k)
    asked = ctx.query("nag") or None
    notice = Html("")
    if asked is not None and asked not in s.content.nag_by_id:
        notice, asked = message("There is no such NAG: showing all residents.", "error"), None
    note = tag(
        "p",
        f"Counts from 1 to {k - 1} show as “fewer than {k}”, and figures that would let one be "
        "worked out are not shown: NAGs and sources with too few residents are counted "
        "together, months are joined into longer periods until each has enough, and in the "
        "table of NAGs, figures that rows' and columns' totals would give away are not shown.",
        class_="hint",
    )
    nags = tag(
        "section",
        tag("h2", "Residents per NAG", id="nags"),
        _nags_table(ctx, r, k),
        aria_labelledby="nags",
    )
    body = join([notice, note, nags, _over_time(ctx, r, asked, k), _sources_section(r, k)])
    return ctx.page("Reach", body)


PAGE = Page(title="Reach", path="/reach", routes=(Route("GET", "/reach", reach_page),))
