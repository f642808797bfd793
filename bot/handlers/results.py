"""Officers' survey results: /results (list), /results <id> [nag] [since] (summary, charts, CSV).

What an officer gets in chat: with too little data, one line saying so; otherwise a summary
(questions by their short title, a question with no figure to show in one line, split at
question boundaries when it would not fit a screen or two), the charts of the questions that
have a figure to show as one album with a caption, and a CSV file: the protected tables for
officers, one row per response for admins only.

Also sends the "you said, we did" messages to participants when a survey closes. What is shown
comes from bot/services/results.py (every count through bot/domain/disclosure.py) and is
written by bot/render/results.py; this module only sends it.
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

from bot import callback_officers as ob
from bot.charts import bar_chart
from bot.content.keys import TextKey
from bot.content.surveys import Survey
from bot.context import BotContext, Services, services_of
from bot.domain import disclosure as dc
from bot.domain import surveys as dom
from bot.features import Feature, Handler, daily
from bot.handlers.common import answer, on_button, pressed, reply, require_chat, texts
from bot.handlers.registry import Command, Group, allowed
from bot.handlers.survey_data import respondent_key
from bot.handlers.survey_screen import today
from bot.render import results as rr
from bot.render.keyboards import button
from bot.render.text import e
from bot.services import results as rs
from storage.model import BroadcastKind

logger = logging.getLogger(__name__)

DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
T = TypeVar("T")
ALBUM = MediaGroupLimit.MAX_MEDIA_LENGTH  # photos Telegram puts in one album (2 at least)


def _min_count(services: Services) -> int:
    return services.config.settings.survey.min_count


def _nag_order(services: Services) -> list[str]:
    return [n.id for n in services.content.nags]


def _is_admin(update: Update, services: Services) -> bool:
    user = update.effective_user
    return services.roster.role_of(user.id if user else None) == "admin"


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
        await reply(update, rr.refusal_text(t, s.content, results.reason, nag_id, k))
        return
    if not results.enough:
        # Too little to show anything: one line (no empty figures, charts or CSV).
        key: TextKey = "results.none_yet" if results.view.completed == 0 else "results.too_few"
        await reply(update, t.get(key, title=e(survey.title), min=k))
        return
    blocks = rr.view_blocks(t, s.content, results)
    if results.top is not None:
        blocks.append(["", *rr.top_lines(t, s.content, survey, results.top, k)])
    for part in rr.summary_parts(blocks):
        await reply(update, part)
    charts = [f.result for f in results.charts]
    if charts:
        await _send_charts(update, context, survey, charts, results.view.completed)
    await _send_csv(update, context, results)


async def _send_csv(update: Update, context: BotContext, results: rs.SurveyResults) -> None:
    """Admins get one row per response (the file says so in its first line); officers get
    the tables as shown, never a response."""
    s, t, k = context.services, texts(context), results.min_count
    title = e(results.survey.title)
    if _is_admin(update, s):
        note = t.get("results.csv_responses_note", title=results.survey.title, min=k)
        csv = await rs.responses_csv(s.surveys, results, note)
        if csv is None:
            await reply(update, t.get("results.no_csv", min=k))
            return
        caption = t.get("results.csv_caption", title=title)
    else:
        note = t.get("results.csv_tables_note", title=results.survey.title, min=k)
        csv = rs.tables_csv(results, note)
        caption = t.get("results.csv_tables_caption", title=title, min=k)
    await require_chat(update).send_document(
        InputFile(csv.text.encode("utf-8"), filename=csv.name), caption=caption
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
    progress = await rs.progress(s.surveys, s.content.surveys, today(s), _min_count(s))
    # A button for every survey: one only where responses exist would tell 0 from 1.
    rows = [[button(p.survey.title, ob.Results(p.survey.id))] for p in progress]
    await reply(update, rr.survey_list(t, progress, _min_count(s)), InlineKeyboardMarkup(rows))


async def on_results_button(update: Update, context: BotContext) -> None:
    """A survey picked from the /results list (checked again: buttons can be forwarded)."""
    s = context.services
    role = s.roster.role_of(update.effective_user.id if update.effective_user else None)
    if not allowed("officer", role):
        await answer(update, texts(context).get("common.stale_button"))
        return
    await answer(update)
    data = pressed(update, ob.Results)
    survey = s.content.survey_by_id.get(data.survey) if data else None
    if survey is None:
        await reply(update, texts(context).get("common.stale_button"))
        return
    await send_results(update, context, survey, None, None)


# ---------------------------------------------------------------- "you said, we did"


async def compose_you_said_we_did(
    services: Services, survey_id: str, now: datetime
) -> list[tuple[int, str]]:
    """(chat_id, HTML) for each participant who agreed to messages, with their NAG's results
    (bot/services/results.py `you_said_we_did`: a NAG that can't be shown gets the Milton
    Keynes-wide results). The caller sends these through the outbox and then calls
    `services.surveys.mark_results_sent(survey_id, now)`; nothing is composed once that mark
    exists."""
    del now  # results are as stored; the time is the caller's for the sent mark
    survey = services.content_all.survey_by_id.get(survey_id)
    if survey is None:
        return []
    said = await rs.you_said_we_did(
        services.surveys,
        survey,
        _nag_order(services),
        _min_count(services),
        lambda chat_id: respondent_key(services, chat_id),
    )
    offered = {x.code for x in services.offered()}
    langs = await services.broadcasts.languages_of([chat for chat, _ in said])
    # One message per area and language: each participant's in theirs, English per key or
    # question where that language has no translation (or the bot no longer offers it).
    by_area: dict[tuple[str | None, str], str] = {}
    out = []
    for chat, area in said:
        lang = langs.get(chat, "en") if langs.get(chat) in offered else "en"
        if (area.nag, lang) not in by_area:
            view = services.content_all.view(lang)
            mine = view.survey_by_id.get(survey.id, survey)
            by_area[area.nag, lang] = rr.you_said(services.texts(lang), view, mine, area)
        out.append((chat, by_area[area.nag, lang]))
    return out


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
    return ((on_button(ob.Results, on_results_button), Group.FEATURES),)


FEATURE = Feature(
    name="survey results",
    commands=(Command("results", results_command, audience="officer"),),
    handlers=_handlers,
    jobs=_jobs,
    on_start=_on_start,
    tables_without_personal_data={
        "survey_results_sent": "which surveys' results went out",
        "survey_tally": "counts of complete responses' answers per NAG and week, kept by triggers",
        "survey_tally_totals": "counts of complete responses per NAG and week, kept by triggers",
    },
)
