"""Officers' survey results: /results (list), /results <id> [nag] [since] (summary, charts, CSV).

What an officer gets in chat: with too little data, one line saying so; otherwise a summary
(questions by their short title, a question with no figure to show in one line, split at
question boundaries when it would not fit a screen or two), the charts of the questions that
have a figure to show as one album with a caption, and the CSV file.

Also composes the "you said, we did" messages sent to participants when a survey closes. What
is shown (the view asked for, suppression, the figures each question can show, the CSV) comes
from bot/services/results.py; this module only renders it.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from datetime import date, datetime, time
from typing import Any, TypeVar

from telegram import (
    InlineKeyboardMarkup,
    InputFile,
    InputMediaPhoto,
    Update,
)
from telegram.constants import MediaGroupLimit
from telegram.ext import Application, JobQueue

from bot import callback_data as cd
from bot.charts import bar_chart
from bot.content import Texts
from bot.content.keys import TextKey
from bot.content.surveys import Survey, strip_instructions
from bot.context import BotContext, Services, services_of
from bot.domain import disclosure as dc
from bot.domain import surveys as dom
from bot.features import Feature, Handler, daily
from bot.handlers.common import answer, on_button, pressed, reply, require_chat, texts
from bot.handlers.registry import Command, Group, allowed
from bot.handlers.survey_data import respondent_key
from bot.handlers.survey_screen import today
from bot.render.keyboards import button
from bot.render.text import date_words, e, plain, split_message
from bot.services import results as rs
from storage.model import BroadcastKind

logger = logging.getLogger(__name__)

DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
SUMMARY_LIMIT = 1200  # characters of one summary message (about two phone screens)
T = TypeVar("T")
ALBUM = MediaGroupLimit.MAX_MEDIA_LENGTH  # photos Telegram puts in one album (2 at least)


def _pct(value: float | None) -> str:
    return f"{value:.0f}" if value is not None else "–"


def _num(value: float | None) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".") if value is not None else "–"


def _status_line(t: Texts, survey: Survey, state: str) -> str:
    if state == "open":
        return t.get("results.status_open", closes=date_words(t, survey.closes))
    if state == "closed":
        return t.get("results.status_closed", closes=date_words(t, survey.closes))
    return t.get("results.status_upcoming", opens=date_words(t, survey.opens))


def _week(t: Texts, week: str | None) -> str:
    """A week start ("2026-11-16") in words: "16 November 2026"."""
    return date_words(t, date.fromisoformat(week)) if week else ""


def _min_count(services: Services) -> int:
    return services.config.settings.survey.min_count


def _nag_order(services: Services) -> list[str]:
    return [n.id for n in services.content.nags]


def refusal_text(t: Texts, services: Services, refusal: dc.Refusal, nag_id: str | None) -> str:
    """Why a NAG or start date can't be shown (the same words whatever the exact reason)."""
    k = _min_count(services)
    if refusal == "nag":
        return t.get("results.refused_nag", nag=e(_nag_name(services, nag_id)), min=k)
    return t.get("results.refused_small", min=k)


def _nag_name(services: Services, nag_id: str | None) -> str:
    nag = services.content.nag_by_id.get(nag_id or "")
    return nag.name if nag else (nag_id or "—")


def _filters(t: Texts, services: Services, results: rs.SurveyResults) -> str:
    """The summary's filters in words: the NAG, and the start week (moved, or not usable)."""
    k = results.min_count
    out = ""
    if results.view.nag:
        out += t.get("results.filter_nag", nag=e(_nag_name(services, results.view.nag)))
    since = results.since
    if since is None:
        return out
    if since.kind == "moved":
        words = {"since": _week(t, since.week), "asked": _week(t, since.asked), "min": k}
        return out + t.get("results.filter_since_moved", **words)
    if since.kind == "all_weeks":
        return out + t.get("results.filter_since_all", asked=_week(t, since.asked), min=k)
    return out + t.get("results.filter_since", since=_week(t, since.week))


def _question_lines(t: Texts, f: rs.Figures, k: int) -> list[str]:
    """One question's block: its figures, what is hidden and why, its average."""
    r, q = f.result, f.result.question
    lines = [t.get("results.question", n=f.number, text=e(q.short_title), answered=r.answered)]
    for c in r.cells:
        if c.count is not None:
            lines.append(
                t.get("results.cell", label=e(c.label), count=c.count, percent=_pct(c.percent))
            )
    # Hidden figures in one line each: under the threshold, and withheld (>= it, but
    # showing it would let one under the threshold be worked out).
    if f.small:
        small = "; ".join(e(label) for label in f.small)
        lines.append(t.get("results.cells_small", labels=small, min=k))
    if f.withheld:
        held = "; ".join(e(label) for label in f.withheld)
        lines.append(t.get("results.cells_withheld", labels=held, min=k))
    if q.type == "number":
        lines.append(t.get("results.mean_median", mean=_num(r.mean), median=_num(r.median)))
    elif q.type == "rating":
        if r.mean is None and r.hidden_cells:
            lines.append(t.get("results.mean_withheld"))
        else:
            lines.append(t.get("results.mean", mean=_num(r.mean)))
    elif q.type == "text":
        lines.append(t.get("results.text_answers"))
    return lines


def view_blocks(services: Services, t: Texts, results: rs.SurveyResults) -> list[list[str]]:
    """The summary as blocks of lines: the header, then one block per question (so a long
    summary is split between questions, never inside one)."""
    k, view = results.min_count, results.view
    filters = _filters(t, services, results)
    title = e(results.survey.title)
    header = [
        t.get("results.header", title=title, filters=filters, completed=view.completed, min=k)
    ]
    if view.rounded:
        header.append(t.get("results.rounded", base=k))
    blocks = [header]
    # Questions with no figure to show are listed together, right under the header: what is
    # missing, before what is there.
    nothing = [f"{f.number}. {e(f.result.question.short_title)}" for f in results.figures
               if f.nothing]  # fmt: skip
    if nothing:
        header.append(t.get("results.nothing_to_show", questions="; ".join(nothing), min=k))
    blocks += [_question_lines(t, f, k) for f in results.figures if not f.nothing]
    return blocks


def summary_parts(blocks: Sequence[Sequence[str]], limit: int = SUMMARY_LIMIT) -> list[str]:
    """The summary as messages of at most `limit` characters as read (tags not counted), split
    only between questions and into parts of about the same size (never a stray last line)."""
    texts_ = ["\n".join(block) for block in blocks]
    sizes = [len(plain(text)) + 1 for text in texts_]
    target = sum(sizes) / max(1, -(-sum(sizes) // limit))
    parts: list[str] = []
    shown = 0
    for text, size in zip(texts_, sizes, strict=True):
        if parts and shown < target and shown + size <= limit:
            parts[-1] += "\n" + text
            shown += size
        else:
            parts.append(text)
            shown = size
    return [p for part in parts for p in split_message([part])]  # a huge one: Telegram's limit


def top_lines(
    services: Services, t: Texts, survey: Survey, top: rs.TopPriorities, k: int
) -> list[str]:
    """Each shown NAG's top three priorities, as its own view shows them; the rest together."""
    q = survey.question(top.question)
    assert q is not None
    lines = [t.get("results.top_header", text=e(q.short_title))]
    for nag in top.nags:
        name = e(_nag_name(services, nag.nag))
        if not nag.top:
            lines.append(t.get("results.top_nag_withheld", nag=name, min=k))
            continue
        ranked = enumerate(nag.top, 1)
        shown = "; ".join(f"{i}. {e(c.label)} ({_count(t, c, k)})" for i, c in ranked)
        lines.append(t.get("results.top_nag", nag=name, respondents=nag.completed, top=shown))
    if top.others_hidden:
        lines.append(t.get("results.top_other", min=k))
    return lines


def _count(t: Texts, c: dc.Cell, k: int) -> str:
    if c.count is not None:
        return str(c.count)
    return t.get("results.top_small" if c.small else "results.top_withheld", min=k)


async def send_results(
    update: Update, context: BotContext, survey: Survey, nag_id: str | None, since: str | None
) -> None:
    """One line when there is too little to show; else the summary, the charts of the
    questions with figures to show (one album), then the CSV file. A NAG or a start date that
    would show too few is refused with a reason (bot/services/results.py)."""
    s = context.services
    t = texts(context)
    k = _min_count(s)
    results = await rs.survey_results(s.surveys, survey, _nag_order(s), k, nag_id, since)
    if isinstance(results, rs.Refused):
        await reply(update, refusal_text(t, s, results.reason, nag_id))
        return
    if not results.enough:
        # Too little to show anything: one line (no empty figures, charts or CSV).
        key: TextKey = "results.none_yet" if results.view.completed == 0 else "results.too_few"
        await reply(update, t.get(key, title=e(survey.title), min=k))
        return
    blocks = view_blocks(s, t, results)
    if results.top is not None:
        blocks.append(["", *top_lines(s, t, survey, results.top, k)])
    for part in summary_parts(blocks):
        await reply(update, part)
    chat = require_chat(update)
    charts = [f.result for f in results.charts]
    if charts:
        await _send_charts(update, context, survey, charts, results.view.completed)
    csv = await rs.csv_file(s.surveys, results)
    if csv is None:
        await reply(update, t.get("results.no_csv", min=k))
        return
    await chat.send_document(
        InputFile(csv.text.encode("utf-8"), filename=csv.name),
        caption=t.get("results.csv_caption", title=e(survey.title)),
    )


async def _send_charts(
    update: Update,
    context: BotContext,
    survey: Survey,
    charts: Sequence[dc.QuestionResult],
    completed: int,
) -> None:
    """One bar chart per question with a figure to show, as one album (the caption on its first
    picture); more than ten make one album per ten."""
    t = texts(context)
    chat = require_chat(update)
    caption = t.get(
        "results.album_caption",
        title=e(survey.title),
        count=len(charts),
        completed=completed,
        min=_min_count(context.services),
    )
    photos = [
        (
            bar_chart(
                r.question.short_title,
                [c.label for c in r.cells],
                [c.count for c in r.cells],
                suppressed_label=t.get("results.chart_hidden"),
            ),
            f"{survey.id}-{r.question.id}.png",
        )
        for r in charts
    ]
    if len(photos) == 1:
        png, name = photos[0]
        await chat.send_photo(InputFile(png, filename=name), caption=caption[:1024])
        return
    for i, album in enumerate(albums(photos)):
        media = [
            InputMediaPhoto(
                InputFile(png, filename=name, attach=True),
                caption=caption[:1024] if i == 0 and j == 0 else None,
                parse_mode="HTML",
            )
            for j, (png, name) in enumerate(album)
        ]
        await chat.send_media_group(media)


def albums(items: list[T], most: int = ALBUM) -> list[list[T]]:
    """Items in albums of even size: Telegram refuses an album of one (11 charts go as 6 + 5,
    not 10 + 1). Two items or more."""
    size = -(-len(items) // -(-len(items) // most))
    return [items[i : i + size] for i in range(0, len(items), size)]


async def results_command(update: Update, context: BotContext) -> None:
    """List surveys with completion rates, or send one survey's results (officers only)."""
    s = context.services
    t = texts(context)
    args = list(context.args or [])
    if not args:
        await list_surveys(update, context)
        return
    survey = s.content.survey_by_id.get(args[0])
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
    lines = [t.get("results.list_header")]
    rows = []
    for p in await rs.progress(s.surveys, s.content.surveys, today(s)):
        lines.append(
            t.get(
                "results.list_item",
                title=e(p.survey.title),
                id=e(p.survey.id),
                status=_status_line(t, p.survey, p.status),
                started=p.started,
                completed=p.completed,
                rate=_pct(p.rate),
            )
        )
        if p.completed:
            rows.append([button(p.survey.title, cd.Results(p.survey.id))])
    await reply(update, "\n".join(lines), InlineKeyboardMarkup(rows) if rows else None)


async def on_results_button(update: Update, context: BotContext) -> None:
    """A survey picked from the /results list (checked again: buttons can be forwarded)."""
    s = context.services
    role = s.roster.role_of(update.effective_user.id if update.effective_user else None)
    if not allowed("officer", role):
        await answer(update, texts(context).get("common.stale_button"))
        return
    await answer(update)
    data = pressed(update, cd.Results)
    survey = s.content.survey_by_id.get(data.survey) if data else None
    if survey is None:
        await reply(update, texts(context).get("common.stale_button"))
        return
    await send_results(update, context, survey, None, None)


# ---------------------------------------------------------------- "you said, we did"


async def compose_you_said_we_did(
    services: Services, survey_id: str, now: datetime
) -> list[tuple[int, str]]:
    """(chat_id, HTML) for each participant who agreed to messages, with their NAG's results.

    Each NAG's figures are its view as officers would see it (rounded, protected against
    comparison with the Milton Keynes-wide figures, see bot/domain/surveys.py); a NAG that can't
    be shown gets the Milton Keynes-wide results instead, so nothing under the threshold is ever
    shown or can be worked out. The caller sends these through the outbox and then calls
    `services.surveys.mark_results_sent(survey_id, now)`; nothing is composed once that mark
    exists.
    """
    del now  # results are as stored; the time is the caller's for the sent mark
    survey = services.content.survey_by_id.get(survey_id)
    if survey is None or await services.surveys.results_sent(survey_id):
        return []
    t = services.texts()
    views = await rs.participant_views(
        services.surveys,
        survey,
        _nag_order(services),
        _min_count(services),
        lambda chat_id: respondent_key(services, chat_id),
    )
    by_area: dict[str | None, str] = {}  # one text per NAG shown (None: Milton Keynes-wide)
    out: list[tuple[int, str]] = []
    for chat_id, view in views:
        if view.nag not in by_area:
            by_area[view.nag] = _ysdw_text(services, t, survey, view)
        if by_area[view.nag]:
            out.append((chat_id, by_area[view.nag]))
    return out


def _ysdw_text(services: Services, t: Texts, survey: Survey, view: dc.ViewResult) -> str:
    area = _nag_name(services, view.nag) if view.nag else t.get("results.ysdw_area_all")
    lines = [t.get("results.ysdw_header", title=e(survey.title), area=e(area))]
    for r in view.results:
        if r.answered is None or not r.cells:
            continue
        shown = [c for c in r.cells if c.count is not None]
        shown.sort(key=lambda c: -(c.count or 0))
        if not shown:
            continue
        top = "; ".join(f"{e(c.label)} {_pct(c.percent)}%" for c in shown[:3])
        text = strip_instructions(r.question.text)
        lines.append(t.get("results.ysdw_line", text=e(text), top=top))
    if len(lines) == 1:
        return ""
    lines.append(t.get("results.ysdw_footer"))
    return "\n".join(lines)


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
            await services.broadcasting.enqueue_personal(
                BroadcastKind.SURVEY_RESULTS, survey.id, messages
            )
        if await services.surveys.mark_results_sent(survey.id, now):
            queued.append(survey.id)
            logger.info("Survey %s closed: results queued for %d", survey.id, len(messages))
    return queued


async def _results_job(context: BotContext) -> None:
    await send_closed_survey_results(context.services, context.services.clock.now())


async def _on_start(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Closed surveys whose results were not sent yet (the bot may have been down at 10:00)."""
    services = services_of(app)
    await send_closed_survey_results(services, services.clock.now())


def _jobs(jq: JobQueue[Any], services: Services) -> None:
    """Every morning at 10:00: results of surveys that closed."""
    daily(jq, _results_job, time(10, 0, tzinfo=services.config.tz), "surveys:you-said-we-did")


def _handlers(services: Services) -> Sequence[Handler]:
    return ((on_button(cd.Results, on_results_button), Group.FEATURES),)


FEATURE = Feature(
    name="survey results",
    commands=(Command("results", results_command, audience="officer"),),
    handlers=_handlers,
    jobs=_jobs,
    on_start=_on_start,
    tables_without_personal_data={"survey_results_sent": "which surveys' results went out"},
)
