"""Officers' survey results: /results (list), /results <id> [nag] [since] (summary, charts, CSV).

Also composes the "you said, we did" messages sent to participants when a survey closes. Counts
come from SQL GROUP BY (storage/surveys.py); arithmetic and small-number suppression from
bot/domain/surveys.py; every figure under the configured threshold is withheld.
"""

from __future__ import annotations

import io
import logging
import re
from datetime import date, datetime, time

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Update
from telegram.ext import Application

from bot import callback_data as cd
from bot.charts import bar_chart
from bot.content import Texts
from bot.context import BotContext, Services
from bot.delivery import enqueue_personal
from bot.domain import surveys as dom
from bot.export import write_csv
from bot.handlers.common import answer, on_button, pressed, reply, texts
from bot.handlers.registry import Command, allowed
from bot.handlers.surveys import respondent_key, survey_by_id, today
from bot.render import e
from bot.surveys_content import Survey
from storage.surveys import SurveyCounts

logger = logging.getLogger(__name__)

DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _pct(value: float | None) -> str:
    return f"{value:.0f}" if value is not None else "–"


def _num(value: float | None) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".") if value is not None else "–"


def _status_line(t: Texts, survey: Survey, day: date) -> str:
    state = dom.status(survey, day)
    if state == "open":
        return t.get("results.status_open", closes=survey.closes.isoformat())
    if state == "closed":
        return t.get("results.status_closed", closes=survey.closes.isoformat())
    return t.get("results.status_upcoming", opens=survey.opens.isoformat())


def _min_count(services: Services) -> int:
    return services.config.settings.survey.min_count


async def summary_text(
    services: Services, t: Texts, survey: Survey, nag_id: str | None, since: str | None
) -> tuple[str, list[dom.QuestionResult], int]:
    """The results message for one survey (and the per-question results for the charts)."""
    k = _min_count(services)
    counts = await services.surveys.counts(survey.id, nag_id, since)
    results = dom.summarise(survey, counts.answered, counts.values, k)
    filters = ""
    if nag_id:
        nag = services.content.nag_by_id.get(nag_id)
        filters += t.get("results.filter_nag", nag=e(nag.name if nag else nag_id))
    if since:
        filters += t.get("results.filter_since", since=e(since))
    lines = [
        t.get(
            "results.header",
            title=e(survey.title),
            filters=filters,
            completed=counts.completed,
            min=k,
        )
    ]
    for i, r in enumerate(results, 1):
        q = r.question
        if r.answered is None:
            lines.append(t.get("results.question_suppressed", n=i, text=e(q.text), min=k))
            continue
        lines.append(t.get("results.question", n=i, text=e(q.text), answered=r.answered))
        for c in r.cells:
            if c.count is None:
                lines.append(t.get("results.cell_suppressed", label=e(c.label), min=k))
            else:
                lines.append(
                    t.get("results.cell", label=e(c.label), count=c.count, percent=_pct(c.percent))
                )
        if q.type == "number":
            lines.append(t.get("results.mean_median", mean=_num(r.mean), median=_num(r.median)))
        elif q.type == "rating":
            lines.append(t.get("results.mean", mean=_num(r.mean)))
        elif q.type == "text":
            lines.append(t.get("results.text_answers"))
    if nag_id is None:
        for q in survey.questions:
            if q.type == "top":
                lines.append("")
                lines.extend(await top_lines(services, t, survey, q.id, since))
    return "\n".join(lines), results, counts.completed


async def top_lines(
    services: Services, t: Texts, survey: Survey, question_id: str, since: str | None
) -> list[str]:
    """Each NAG's top three priorities, with small NAGs withheld."""
    q = survey.question(question_id)
    assert q is not None
    k = _min_count(services)
    totals, per_nag = await services.surveys.counts_by_nag(survey.id, q.id, since)
    lines = [t.get("results.top_header", text=e(q.text))]
    for r in dom.top_per_nag(q, totals, per_nag, k):
        nag = services.content.nag_by_id.get(r.nag_id)
        name = nag.name if nag else (r.nag_id or "—")
        if r.respondents is None:
            lines.append(t.get("results.top_nag_suppressed", nag=e(name), min=k))
            continue
        top = "; ".join(
            f"{i}. {e(c.label)} ({c.count if c.count is not None else '&lt;' + str(k)})"
            for i, c in enumerate(r.top, 1)
        )
        lines.append(t.get("results.top_nag", nag=e(name), respondents=r.respondents, top=top))
    return lines


def _chartable(r: dom.QuestionResult) -> bool:
    return r.answered is not None and r.question.type in (
        "single",
        "multi",
        "top",
        "yesno",
        "rating",
    )


async def send_results(
    update: Update, context: BotContext, survey: Survey, nag_id: str | None, since: str | None
) -> None:
    """Summary text, one bar chart per choice question, then the CSV file."""
    s = context.services
    t = texts(context)
    text, results, completed = await summary_text(s, t, survey, nag_id, since)
    await reply(update, text)
    if completed == 0:
        await reply(update, t.get("results.no_responses"))
        return
    chat = update.effective_chat
    k = _min_count(s)
    for r in results:
        if not _chartable(r):
            continue
        png = bar_chart(
            r.question.text,
            [c.label for c in r.cells],
            [c.count for c in r.cells],
            suppressed_label=f"<{k}",
        )
        caption = t.get("results.chart_caption", title=e(survey.title), text=e(r.question.text))
        await chat.send_photo(
            InputFile(png, filename=f"{survey.id}-{r.question.id}.png"), caption=caption[:1024]
        )
    buf = io.StringIO()
    await write_csv(s.surveys, survey, buf, nag_id, since)
    name = f"{survey.id}{'-' + nag_id if nag_id else ''}{'-since-' + since if since else ''}.csv"
    await chat.send_document(
        InputFile(buf.getvalue().encode("utf-8"), filename=name),
        caption=t.get("results.csv_caption", title=e(survey.title)),
    )


async def results_command(update: Update, context: BotContext) -> None:
    """List surveys with completion rates, or send one survey's results (officers only)."""
    s = context.services
    t = texts(context)
    args = list(context.args or [])
    if not args:
        await list_surveys(update, context)
        return
    survey = survey_by_id(s, args[0])
    if survey is None:
        await reply(update, t.get("results.unknown", id=e(args[0])))
        return
    nag_id = since = None
    for arg in args[1:]:
        if arg in s.content.nag_by_id:
            nag_id = arg
        elif DATE_RE.match(arg):
            try:
                since = date.fromisoformat(arg).isoformat()
            except ValueError:
                await reply(update, t.get("results.bad_args", arg=e(arg)))
                return
        else:
            await reply(update, t.get("results.bad_args", arg=e(arg)))
            return
    await send_results(update, context, survey, nag_id, since)


async def list_surveys(update: Update, context: BotContext) -> None:
    s = context.services
    t = texts(context)
    if not s.content.surveys:
        await reply(update, t.get("results.none"))
        return
    overview = await s.surveys.overview()
    day = today(s)
    lines = [t.get("results.list_header")]
    rows = []
    for survey in s.content.surveys:
        started, completed = overview.get(survey.id, (0, 0))
        lines.append(
            t.get(
                "results.list_item",
                title=e(survey.title),
                id=e(survey.id),
                status=_status_line(t, survey, day),
                started=started,
                completed=completed,
                rate=_pct(dom.completion_rate(started, completed)),
            )
        )
        if completed:
            rows.append(
                [InlineKeyboardButton(survey.title, callback_data=cd.Results(survey.id).pack())]
            )
    await reply(update, "\n".join(lines), InlineKeyboardMarkup(rows) if rows else None)


async def on_results_button(update: Update, context: BotContext) -> None:
    """A survey picked from the /results list (checked again: buttons can be forwarded)."""
    s = context.services
    role = s.config.role_of(update.effective_user.id if update.effective_user else None)
    if not allowed("officer", role):
        await answer(update, texts(context).get("common.stale_button"))
        return
    await answer(update)
    data = pressed(update, cd.Results)
    survey = survey_by_id(s, data.survey) if data else None
    if survey is None:
        await reply(update, texts(context).get("common.stale_button"))
        return
    await send_results(update, context, survey, None, None)


# ---------------------------------------------------------------- "you said, we did"


async def compose_you_said_we_did(
    services: Services, survey_id: str, now: datetime
) -> list[tuple[int, str]]:
    """(chat_id, HTML) for each participant who agreed to messages, with their NAG's results.

    A NAG with fewer completed responses than the threshold gets the Milton Keynes-wide results
    instead, so nothing under the threshold is ever shown. The caller sends these through the
    outbox and then calls `services.surveys.mark_results_sent(survey_id, now)`; nothing is
    composed once that mark exists.
    """
    del now  # results are as stored; the time is the caller's for the sent mark
    survey = survey_by_id(services, survey_id)
    if survey is None or await services.surveys.results_sent(survey_id):
        return []
    t = services.texts()
    k = _min_count(services)
    participants = await services.surveys.participants(survey_id)
    if not participants:
        return []
    by_area: dict[str, str] = {}

    async def message_for(nag_id: str) -> str:
        if nag_id not in by_area:
            counts = await services.surveys.counts(survey_id, nag_id or None)
            area_nag = nag_id if nag_id and counts.completed >= k else None
            if area_nag is None:
                counts = await services.surveys.counts(survey_id)
            by_area[nag_id] = _ysdw_text(services, t, survey, counts, area_nag, k)
        return by_area[nag_id]

    out: list[tuple[int, str]] = []
    async for batch in services.surveys.opted_in_residents():
        for chat_id, nag_id in batch:
            if respondent_key(services, chat_id) in participants:
                text = await message_for(nag_id)
                if text:
                    out.append((chat_id, text))
    return out


def _ysdw_text(
    services: Services,
    t: Texts,
    survey: Survey,
    counts: SurveyCounts,
    nag_id: str | None,
    k: int,
) -> str:
    results = dom.summarise(survey, counts.answered, counts.values, k)
    nag = services.content.nag_by_id.get(nag_id or "")
    area = nag.name if nag else t.get("results.ysdw_area_all")
    lines = [t.get("results.ysdw_header", title=e(survey.title), area=e(area))]
    for r in results:
        if r.answered is None or not r.cells:
            continue
        shown = [c for c in r.cells if c.count is not None]
        shown.sort(key=lambda c: -(c.count or 0))
        if not shown:
            continue
        top = "; ".join(f"{e(c.label)} {_pct(c.percent)}%" for c in shown[:3])
        lines.append(t.get("results.ysdw_line", text=e(r.question.text), top=top))
    if len(lines) == 1:
        return ""
    lines.append(t.get("results.ysdw_footer"))
    return "\n".join(lines)


COMMANDS = [Command("results", results_command, audience="officer")]


async def send_closed_survey_results(services: Services, now: datetime) -> list[str]:
    """ "You said, we did": queue each closed survey's results for its participants, once.

    The messages go through the broadcast outbox (paced, quiet hours respected, resumable).
    Returns the ids of the surveys whose results were queued.
    """
    day = now.astimezone(services.config.tz).date()
    queued = []
    for survey in services.content.surveys:
        if dom.status(survey, day) != "closed" or await services.surveys.results_sent(survey.id):
            continue
        messages = await compose_you_said_we_did(services, survey.id, now)
        if messages:
            await enqueue_personal(services, "survey_results", survey.id, messages, now)
        if await services.surveys.mark_results_sent(survey.id, now):
            queued.append(survey.id)
            logger.info("Survey %s closed: results queued for %d", survey.id, len(messages))
    return queued


async def _results_job(context: BotContext) -> None:
    await send_closed_survey_results(context.services, context.services.clock.now())


def setup(app: Application, services: Services) -> None:
    """Check for closed surveys at start and every morning at 10:00."""

    async def on_startup(app: Application) -> None:
        await send_closed_survey_results(services, services.clock.now())

    app.bot_data.startup_hooks.append(on_startup)
    if app.job_queue is not None:
        app.job_queue.run_daily(
            _results_job,
            time(10, 0, tzinfo=services.config.tz),
            name="surveys:you-said-we-did",
            job_kwargs={"misfire_grace_time": 6 * 3600, "coalesce": True},
        )


def register(app: Application) -> None:
    app.add_handler(on_button(cd.Results, on_results_button))
