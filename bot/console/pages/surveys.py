"""Surveys: each survey's results with charts, filtered by NAG and start date under the
small-number rules (a view that would show too few is refused with a sentence), each NAG's top
three, and the CSV files: protected tables for officers, one row per response for admins."""

from __future__ import annotations

import re
from datetime import date

from aiohttp import web

from bot.console.figures import count_text
from bot.console.framework import Ctx, Page, Route, url
from bot.console.html import Column, Html, field, join, link, message, select, table, tag, void
from bot.console.pages import survey_parts as sp
from bot.content.surveys import Survey
from bot.domain import surveys as dom
from bot.services import results as rs
from storage.console import ConsoleAction

DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
STATUS = {"open": "open", "closed": "closed", "upcoming": "not open yet"}


def _survey(ctx: Ctx) -> Survey:
    survey = ctx.services.content.survey_by_id.get(ctx.request.match_info["survey"])
    if survey is None:
        raise web.HTTPNotFound()
    return survey


async def survey_list(ctx: Ctx) -> web.StreamResponse:
    s = ctx.services
    k = s.config.settings.survey.min_count
    tz = s.config.tz
    today = ctx.now().astimezone(tz).date()
    overview = await s.surveys.overview()
    said = {
        x.survey.id: x for x in await rs.you_said_we_did_status(s.surveys, s.content.surveys, today)
    }
    rows = []
    for survey in s.content.surveys:
        completed = overview.get(survey.id, (0, 0))[1]
        state = STATUS[dom.status(survey, today)]
        dates = f"{survey.opens:%-d %b %Y} to {survey.closes:%-d %b %Y}"
        title = link(url(f"/surveys/{survey.id}"), survey.title)
        rows.append((title, state, dates, count_text(completed, k), _you_said(said[survey.id])))
    cols = [Column("Survey"), Column("Status"), Column("Dates"), Column("Completed", numeric=True),
            Column("You said, we did")]  # fmt: skip
    body = table("Surveys", cols, rows) + tag(
        "p",
        f"Counts from 1 to {k - 1} show as “fewer than {k}”. “You said, we did”: whether the"
        " results went back to the residents who took part (/results in chat sends them).",
        class_="hint",
    )
    return ctx.page("Surveys", Html(body))


def _you_said(x: rs.YouSaidStatus) -> str:
    if x.sent:
        return "Results sent to participants"
    if x.status == "closed":
        return "Closed: results not sent yet"
    return "After it closes" if x.status == "open" else "Not open yet"


def _filters(ctx: Ctx, survey: Survey, nag: str | None, since: str | None) -> Html:
    nags = [("", "All of Milton Keynes")]
    nags += [(n.id, n.name) for n in ctx.services.content.nags]
    since_input = void(
        "input", type="date", name="since", id="f-since", value=since or "",
        aria_describedby="f-since-hint",
    )  # fmt: skip
    return ctx.form(
        f"/surveys/{survey.id}",
        field("NAG", select("nag", nags, nag, id_="f-nag"), id_="f-nag"),
        field(
            "From", since_input, "Responses from this date on (leave empty for all).", id_="f-since"
        ),  # fmt: skip
        submit="Show results",
        method="get",
        class_="filters",
        aria_label="Filter the results",
    )


def _query(ctx: Ctx) -> tuple[str | None, str | None, str | None]:
    """The NAG and start date asked for, and a problem with them (in words)."""
    nag = ctx.query("nag")
    since = ctx.query("since")
    if nag is not None and nag not in ctx.services.content.nag_by_id:
        return None, since, "There is no such NAG: showing all of Milton Keynes."
    if since is not None and not DATE.match(since):
        return nag, None, "Give the date as a day of the calendar: showing all weeks."
    if since is not None:
        try:
            date.fromisoformat(since)
        except ValueError:
            return nag, None, "That date does not exist: showing all weeks."
    return nag, since, None


async def _results(ctx: Ctx, survey: Survey) -> rs.SurveyResults | rs.Refused:
    s = ctx.services
    nag, since, _ = _query(ctx)
    return await rs.survey_results(
        s.surveys,
        survey,
        [n.id for n in s.content.nags],
        s.config.settings.survey.min_count,
        nag,
        since,
    )


def refusal(ctx: Ctx, refused: rs.Refused) -> str:
    k = ctx.services.config.settings.survey.min_count
    if refused.reason == "nag":
        name = sp.nag_name(ctx.services.content, refused.nag)
        return (
            f"Results for {name} can't be shown on their own: it has fewer than {k} responses, "
            f"or showing it would leave a group of fewer than {k} elsewhere. Choose all of "
            "Milton Keynes, or another NAG."
        )
    return (
        f"This view would show fewer than {k} responses, so it is not shown (nobody may be "
        "singled out). Choose an earlier date or all of Milton Keynes."
    )


def _downloads(ctx: Ctx, survey: Survey) -> Html:
    query = ctx.request.query_string
    suffix = f"?{query}" if query else ""
    items = [link(url(f"/surveys/{survey.id}/tables.csv") + suffix,
                  "Download the tables (CSV)")]  # fmt: skip
    if ctx.officer.admin:
        items.append(link(url(f"/surveys/{survey.id}/responses.csv") + suffix,
                          "Download one row per response (CSV, admins only)"))  # fmt: skip
    return tag("p", join(items, " · "), class_="downloads")


async def survey_view(ctx: Ctx) -> web.StreamResponse:
    survey = _survey(ctx)
    s = ctx.services
    nag, since, problem = _query(ctx)
    dates = f"Open {day_text_of(survey.opens)} to {day_text_of(survey.closes)}."
    parts = [tag("p", dates, class_="hint"), _filters(ctx, survey, nag, since)]
    if problem:
        parts.append(message(problem, "error"))
    found = await _results(ctx, survey)
    if isinstance(found, rs.Refused):
        parts.append(message(refusal(ctx, found), "error"))
        return ctx.page(survey.title, join(parts))
    k = found.min_count
    if not found.enough:
        parts.append(message(f"Fewer than {k} completed responses so far: nothing to show yet."))
        return ctx.page(survey.title, join(parts))
    parts.append(sp.header(s.content, found))
    parts.append(_downloads(ctx, survey))
    questions = join(sp.question_block(f, k) for f in found.figures)
    parts.append(tag("section", tag("h2", "Questions", id="qs"), questions, aria_labelledby="qs"))
    parts.append(sp.top_table(s.content, found))
    return ctx.page(survey.title, join(parts))


def day_text_of(d: date) -> str:
    return d.strftime("%-d %b %Y")


def _csv(name: str, text: str) -> web.Response:
    return web.Response(
        text=text,
        content_type="text/csv",
        charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


async def tables_download(ctx: Ctx) -> web.StreamResponse:
    """The protected tables of the view asked for (officers and admins)."""
    survey = _survey(ctx)
    found = await _results(ctx, survey)
    if isinstance(found, rs.Refused) or not found.enough:
        why = refusal(ctx, found) if isinstance(found, rs.Refused) else "Too few responses yet."
        return ctx.page(survey.title, message(why, "error"), status=403)
    t = ctx.services.texts()
    note = t.get("results.csv_tables_note", title=survey.title, min=found.min_count)
    file = rs.tables_csv(found, note)
    await ctx.audit(ConsoleAction.DOWNLOAD, detail=f"tables: {file.name}")
    return _csv(file.name, file.text)


async def responses_download(ctx: Ctx) -> web.StreamResponse:
    """One row per response (admins only: the route's role), with a first line saying so."""
    survey = _survey(ctx)
    found = await _results(ctx, survey)
    file = None
    if not isinstance(found, rs.Refused):
        note = ctx.services.texts().get(
            "results.csv_responses_note", title=survey.title, min=found.min_count
        )
        file = await rs.responses_csv(ctx.services.surveys, found, note)
    if isinstance(found, rs.Refused) or file is None:
        why = refusal(ctx, found) if isinstance(found, rs.Refused) else "Too few responses yet."
        return ctx.page(survey.title, message(why, "error"), status=403)
    await ctx.audit(ConsoleAction.DOWNLOAD, detail=f"responses: {file.name}")
    return _csv(file.name, file.text)


PAGE = Page(
    title="Surveys",
    path="/surveys",
    routes=(
        Route("GET", "/surveys", survey_list),
        Route("GET", "/surveys/{survey}", survey_view),
        Route("GET", "/surveys/{survey}/tables.csv", tables_download),
        Route("GET", "/surveys/{survey}/responses.csv", responses_download, role="admin"),
    ),
)
