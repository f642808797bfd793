"""The campaign calendar and meeting reminders as broadcasts, and the jobs that keep them current.

The database is the source of truth. At start (and on /reload, and every night) the campaign
calendar and the NAG meeting reminders become broadcast rows with stable keys, so a restart or a
reload never duplicates them; then the broadcast service (bot/services/broadcasts.py) rebuilds
one job per pending broadcast under a stable name. APScheduler skips a job that is more than a
second late unless told otherwise, so jobs carry misfire_grace_time=None, and a sweep every
minute catches anything a job missed.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from telegram.ext import Application, JobQueue

from bot.content import ContentError, Nag, Texts, load_content
from bot.context import (
    BotContext,
    Services,
    language_guesser,
    services_of,
    understandings_for,
)
from bot.domain.broadcasts import fingerprint, plan_campaign, reminder_key
from bot.domain.meetings import Meeting, day_before, upcoming
from bot.features import Feature, daily
from bot.modelstore import default_store
from bot.render.text import campaign_message_html, e, when
from storage.model import Audience, AudienceKind, BroadcastKind, BroadcastSpec

logger = logging.getLogger(__name__)

REMINDER_MEETINGS = 2  # reminders are planned for each NAG's next two meetings


# ---------------------------------------------------------------- planning


async def import_calendar(services: Services, now: datetime) -> list[int]:
    """Campaign messages of each campaign's current or next run become scheduled broadcasts."""
    t = services.texts()
    tz = services.config.tz
    created: list[int] = []
    keep: set[str] = set()
    for campaign in services.content.campaigns:
        for planned in plan_campaign(campaign, now, tz):
            keep.add(planned.key)
            text = campaign_message_html(t, campaign, planned.message)
            spec = BroadcastSpec(
                kind=BroadcastKind.CAMPAIGN,
                text=text,
                audience=Audience(AudienceKind.ALL),
                send_at=planned.at,
                key=planned.key,
                ref=campaign.id,
                image=campaign.image,
                fingerprint=fingerprint(text),
                detail="campaign calendar",
            )
            bid, new = await services.broadcasts.create(spec, now)
            if new:
                created.append(bid)
            else:
                await services.broadcasts.update_planned(
                    planned.key, text, campaign.image, planned.at, now
                )
    await services.broadcasts.cancel_planned_except("campaign:", keep, now)
    return created


def reminder_text(t: Texts, nag: Nag, meeting: Meeting, tz: ZoneInfo) -> str:
    """A meeting reminder in the language of `t` (names and venues as they are)."""
    return t.get(
        "broadcast.reminder_text",
        name=e(nag.name),
        when=e(when(t, meeting.start, tz)),
        venue=e(nag.venue.name),
        address=e(nag.venue.address),
    )


async def plan_reminders(services: Services, now: datetime) -> list[int]:
    """One reminder broadcast per NAG meeting, 18:00 the day before, to those who opted in;
    with the reminder in every other language the content has (delivery sends each resident
    theirs, English where the bot no longer offers it)."""
    content = services.content_all
    tz = services.config.tz
    others = [x.code for x in content.languages() if x.code != "en"]
    created: list[int] = []
    for nag in content.nags:
        for meeting in upcoming(nag.meetings, now, tz, count=REMINDER_MEETINGS):
            at = day_before(meeting)
            if at <= now:
                continue
            text = reminder_text(content.t("en"), nag, meeting, tz)
            translations = {x: reminder_text(content.t(x), nag, meeting, tz) for x in others}
            spec = BroadcastSpec(
                kind=BroadcastKind.REMINDER,
                text=text,
                audience=Audience(AudienceKind.REMINDER, nags=(nag.id,)),
                send_at=at,
                key=reminder_key(nag.id, meeting.start.date()),
                ref=nag.id,
                ratings=False,
                detail="meeting reminder",
            )
            bid, new = await services.broadcasts.create(spec, now)
            if new:
                created.append(bid)
            if others:  # kept current (a translation added or corrected since it was planned)
                await services.broadcasts.set_translations(
                    bid, {x: v for x, v in translations.items() if v != text}
                )
    return created


async def plan(services: Services) -> None:
    """Bring the calendar and reminders up to date, tell officers, rebuild every job."""
    now = services.clock.now()
    await import_calendar(services, now)
    await plan_reminders(services, now)
    await services.broadcasting.send_notices()
    await services.broadcasting.rebuild_jobs()


# ---------------------------------------------------------------- lifecycle


async def start(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Resume after a restart: retry in-flight rows, expire stale broadcasts, plan, rebuild jobs."""
    s = services_of(app)
    retried = await s.broadcasts.reset_in_flight()
    if retried:
        logger.info("Retrying %d broadcast messages that were in flight at the last stop", retried)
    await s.broadcasting.expire_overdue()
    await plan(s)


async def stop(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Let the sender finish the requests in flight and record them."""
    await services_of(app).delivery.stop()


SWEEP_SECONDS = 60


async def _sweep_job(context: BotContext) -> None:
    """Every minute: officers' 24-hour notices, and anything due that a job did not wake."""
    await context.services.broadcasting.send_notices()
    context.services.broadcasting.kick()


async def _nightly_job(context: BotContext) -> None:
    """Every night: plan the next campaign run and meeting reminders as they come into view."""
    await plan(context.services)


def jobs(jq: JobQueue[Any], services: Services) -> None:
    """The minute sweep and the nightly planning job (stable names; rebuilt at every start)."""
    jq.run_repeating(
        _sweep_job,
        interval=SWEEP_SECONDS,
        first=SWEEP_SECONDS,
        name="broadcast-sweep",
        job_kwargs={"misfire_grace_time": None, "coalesce": True},
    )
    daily(
        jq,
        _nightly_job,
        time(0, 5, tzinfo=services.config.tz),
        "broadcast-plan",
        grace=timedelta(hours=1),
    )


async def reload_content(app: Application) -> list[str]:
    """Validate content/ like `safermk-bot check-content`; on success swap it in and re-plan.

    Returns the problems (empty on success); on failure the old content stays.
    """
    s = services_of(app)
    # Loading and training can take seconds (new examples, a renamed NAG): in a thread, so the
    # bot goes on answering residents meanwhile; the swap itself happens here, in one step.
    try:
        content = await asyncio.to_thread(load_content, s.config.content_dir, s.config.tz)
    except ContentError as err:
        return [str(p) for p in err.problems]
    understanding = await asyncio.to_thread(understandings_for, content, s.config, default_store())
    guesser = await asyncio.to_thread(language_guesser, content)
    s.set_content(content, understanding, guesser)
    await plan(s)
    return []


FEATURE = Feature(
    name="broadcast delivery",
    jobs=jobs,
    on_start=start,
    on_stop=stop,
    tables_without_personal_data={
        "broadcasts": "messages to many; who received them is in outbox",
        "broadcast_texts": "a broadcast's text per language; nobody in them",
    },
)
