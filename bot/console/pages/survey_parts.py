"""The Surveys page's pieces: a view's header, one block per question (a chart and its table),
each NAG's top priorities, and the two CSV files. Every figure comes from the results service
(bot/services/results.py), already protected; this module only writes it out."""

from __future__ import annotations

from datetime import date

from bot.console.charts import Bar, bar_chart
from bot.console.html import Column, Html, join, table, tag
from bot.content import Content
from bot.domain import disclosure as dc
from bot.services import results as rs


def _pct(value: float | None) -> str:
    return f"{value:.0f}%" if value is not None else ""


def _num(value: float | None) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".") if value is not None else "not shown"


def cell_text(c: dc.Cell, k: int) -> str:
    if c.count is None:
        return f"fewer than {k}" if c.small else "withheld"
    return f"{c.count:,} ({_pct(c.percent)})" if c.percent is not None else f"{c.count:,}"


def week_words(week: str | None) -> str:
    return date.fromisoformat(week).strftime("%-d %B %Y") if week else ""


def nag_name(content: Content, nag_id: str | None) -> str:
    nag = content.nag_by_id.get(nag_id or "")
    return nag.name if nag else "all of Milton Keynes"


def header(content: Content, results: rs.SurveyResults) -> Html:
    """How many responses the view holds, for which NAG and from when, and the rounding."""
    k, view = results.min_count, results.view
    where = nag_name(content, view.nag)
    parts = [tag("p", f"{view.completed:,} completed responses, {where}.", class_="lead")]
    since = results.since
    if since is not None and since.kind == "moved":
        parts.append(tag("p", (
            f"From the week of {week_words(since.week)}: the nearest start to "
            f"{week_words(since.asked)} that keeps every group at {k} or more responses."
        )))  # fmt: skip
    elif since is not None and since.kind == "since":
        parts.append(tag("p", f"From the week of {week_words(since.week)}."))
    elif since is not None and since.kind == "all_weeks":
        parts.append(tag("p", (
            f"All weeks: a start on {week_words(since.asked)} would leave a group of fewer "
            f"than {k}."
        )))  # fmt: skip
    if view.rounded:
        parts.append(tag("p", f"Figures are rounded to the nearest {k}.", class_="hint"))
    return join(parts)


def question_block(f: rs.Figures, k: int) -> Html:
    """One question: a bar chart when it has figures, the same figures in a table, and what
    cannot be shown and why. Typed answers are never shown."""
    r, q = f.result, f.result.question
    title = f"{f.number}. {q.short_title}"
    head = tag("h3", title)
    if f.nothing:
        why = (
            f"No figures to show: fewer than {k} answered, or a figure would let a smaller one "
            "be worked out."
        )
        return tag("div", head, tag("p", why, class_="hint"), class_="question")
    parts = [head, tag("p", f"{r.answered:,} answered." if r.answered is not None else "")]
    if r.cells:
        bars = [Bar(c.label, c.count, cell_text(c, k)) for c in r.cells]
        if f.chartable:
            chart = bar_chart(title, bars, f"chart-{q.id}")
            note = "The same figures are in the table below."
            parts.append(tag("figure", chart, tag("figcaption", note)))
        rows = [(c.label, cell_text(c, k)) for c in r.cells]
        cols = [Column("Answer"), Column("Count", numeric=True)]
        parts.append(table(f"Answers to {q.short_title}", cols, rows))
    if f.small or f.withheld:
        parts.append(tag("p", (
            f"“Fewer than {k}” hides a small count; “withheld” hides a figure that would let "
            "one be worked out."
        ), class_="hint"))  # fmt: skip
    if q.type == "number":
        parts.append(tag("p", f"Average {_num(r.mean)}, median {_num(r.median)}."))
    elif q.type == "rating":
        mean = "withheld" if r.mean is None and r.hidden_cells else _num(r.mean)
        parts.append(tag("p", f"Average rating: {mean}."))
    elif q.type == "text":
        parts.append(tag("p", "Typed answers are not shown in the console.", class_="hint"))
    return tag("div", join(parts), class_="question")


def top_table(content: Content, results: rs.SurveyResults) -> Html:
    top, k = results.top, results.min_count
    if top is None:
        return Html("")
    q = results.survey.question(top.question)
    rows = []
    for nag in top.nags:
        picks = [f"{c.label}: {cell_text(c, k)}" for c in nag.top]
        if not picks:
            picks = [f"not shown (fewer than {k} or would let a small group be worked out)"]
        rows.append((nag_name(content, nag.nag), "; ".join(picks)))
    caption = f"Top three per NAG: {q.short_title if q else top.question}"
    out = table(caption, [Column("NAG"), Column("Top three (count)")], rows)
    if top.others_hidden:
        out += tag("p", f"NAGs with fewer than {k} responses are counted only together.",
                   class_="hint")  # fmt: skip
    return tag("section", tag("h2", "Top three per NAG", id="top"), out, aria_labelledby="top")
