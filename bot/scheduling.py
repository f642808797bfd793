"""Jobs rebuilt from storage: the campaign calendar, meeting reminders, expiry and notices.

The database is the source of truth. At start (and on /reload, and every night) the campaign
calendar and the NAG meeting reminders become broadcast rows with stable keys, so a restart or a
reload never duplicates them; then one JobQueue job per pending broadcast is (re)built with a
stable name. APScheduler skips a job that is more than a second late unless told otherwise, so
jobs carry misfire_grace_time=None, and a sweep every minute catches anything a job missed.
"""

from __future__ import annotations

import logging
from datetime import datetime, time, timedelta

from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import Application

from bot import callback_data as cd
from bot.content import ContentError, load_content
from bot.context import BotContext, Services, services_of
from bot.delivery import delivery_of
from bot.domain.broadcasts import (
    NOTICE_BEFORE,
    Audience,
    fingerprint,
    plan_campaign,
    reminder_key,
)
from bot.domain.meetings import day_before, upcoming
from bot.render.text import campaign_message_html, e, first_line, when
from storage.broadcasts import Broadcast

logger = logging.getLogger(__name__)

JOB_PREFIX = "broadcast:"
SWEEP_SECONDS = 60
REMINDER_MEETINGS = 2  # reminders are planned for each NAG's next two meetings


def job_name(broadcast_id: int) -> str:
    return f"{JOB_PREFIX}{broadcast_id}"


async def _due_job(context: BotContext) -> None:
    """A broadcast's time has come: wake the sender (which reads what is due from storage)."""
    delivery_of(context.application).kick()


async def _sweep_job(context: BotContext) -> None:
    """Every minute: officers' 24-hour notices, and anything due that a job did not wake."""
    await send_notices(context.application)
    delivery_of(context.application).kick()


async def _nightly_job(context: BotContext) -> None:
    """Every night: plan the next campaign run and meeting reminders as they come into view."""
    await plan(context.application)


def schedule_job(app: Application, b: Broadcast) -> None:
    """(Re)build the job of one broadcast under its stable name."""
    jq = app.job_queue
    if jq is None:
        return
    name = job_name(b.id)
    for old in jq.get_jobs_by_name(name):
        old.schedule_removal()
    jq.run_once(_due_job, when=b.due_at, name=name, job_kwargs={"misfire_grace_time": None})


def unschedule_job(app: Application, broadcast_id: int) -> None:
    jq = app.job_queue
    if jq is not None:
        for old in jq.get_jobs_by_name(job_name(broadcast_id)):
            old.schedule_removal()


async def rebuild_jobs(app: Application) -> int:
    s = services_of(app)
    active = await s.broadcasts.active()
    for b in active:
        schedule_job(app, b)
    return len(active)


# ---------------------------------------------------------------- planning


async def import_calendar(services: Services, now: datetime) -> list[int]:
    """Campaign messages of each campaign's current or next run become scheduled broadcasts."""
    t = services.texts()
    tz = services.config.tz
    audience = Audience("all")
    created: list[int] = []
    keep: set[str] = set()
    for campaign in services.content.campaigns:
        for planned in plan_campaign(campaign, now, tz):
            keep.add(planned.key)
            text = campaign_message_html(t, campaign, planned.message)
            bid, new = await services.broadcasts.create(
                kind="campaign",
                text=text,
                audience=audience.to_json(),
                requires=audience.requires,
                send_at=planned.at,
                now=now,
                key=planned.key,
                ref=campaign.id,
                image=campaign.image,
                fingerprint=fingerprint(text),
                detail="campaign calendar",
            )
            if new:
                created.append(bid)
            else:
                await services.broadcasts.update_planned(
                    planned.key, text, campaign.image, planned.at, now
                )
    await services.broadcasts.cancel_planned_except("campaign:", keep, now)
    return created


async def plan_reminders(services: Services, now: datetime) -> list[int]:
    """One reminder broadcast per NAG meeting, 18:00 the day before, to those who opted in."""
    t = services.texts()
    tz = services.config.tz
    created: list[int] = []
    for nag in services.content.nags:
        for meeting in upcoming(nag.meetings, now, tz, count=REMINDER_MEETINGS):
            at = day_before(meeting)
            if at <= now:
                continue
            text = t.get(
                "broadcast.reminder_text",
                name=e(nag.name),
                when=e(when(t, meeting.start, tz)),
                venue=e(nag.venue.name),
                address=e(nag.venue.address),
            )
            audience = Audience("reminder", nags=(nag.id,))
            bid, new = await services.broadcasts.create(
                kind="reminder",
                text=text,
                audience=audience.to_json(),
                requires=audience.requires,
                send_at=at,
                now=now,
                key=reminder_key(nag.id, meeting.start.date()),
                ref=nag.id,
                ratings=False,
                detail="meeting reminder",
            )
            if new:
                created.append(bid)
    return created


async def plan(app: Application) -> None:
    """Bring the calendar and reminders up to date, tell officers, rebuild every job."""
    s = services_of(app)
    now = s.clock.now()
    await import_calendar(s, now)
    await plan_reminders(s, now)
    await send_notices(app)
    await rebuild_jobs(app)


async def expire_overdue(app: Application) -> list[int]:
    """At start: what should have gone out long ago is marked expired, and officers are told."""
    s = services_of(app)
    now = s.clock.now()
    max_age = timedelta(hours=s.config.settings.broadcast.max_age_hours)
    expired = []
    for b in await s.broadcasts.active():
        late = now - b.due_at
        if late > max_age:
            hours = late.total_seconds() / 3600
            if await s.broadcasts.expire(b.id, now, f"{hours:.1f} hours late"):
                expired.append(b.id)
                await tell_officers_expired(app, b, hours)
    return expired


# ---------------------------------------------------------------- telling officers


async def _tell_officers(
    app: Application, text: str, markup: InlineKeyboardMarkup | None = None
) -> int:
    s = services_of(app)
    told = 0
    for officer_id in s.config.officer_roles:
        try:
            await app.bot.send_message(
                officer_id, text, parse_mode=ParseMode.HTML, reply_markup=markup
            )
            told += 1
        except (Forbidden, BadRequest) as exc:  # the officer has not started the bot
            logger.info("Could not notify an officer: %s", exc)
        except TelegramError as exc:
            logger.warning("Officer notice failed: %s", exc)
    return told


async def tell_officers_expired(app: Application, b: Broadcast, hours: float) -> None:
    s = services_of(app)
    t = s.texts()
    await _tell_officers(
        app,
        t.get(
            "broadcast.expired_notice",
            id=b.id,
            title=first_line(b.text or b.kind),
            when=e(when(t, b.due_at, s.config.tz)),
            hours=f"{hours:.0f}",
        ),
    )


async def send_notices(app: Application) -> int:
    """Officers hear 24 hours ahead of each automatic campaign message, with a Cancel button."""
    s = services_of(app)
    t = s.texts()
    now = s.clock.now()
    sent = 0
    for b in await s.broadcasts.needing_notice(now + NOTICE_BEFORE):
        recipients = await s.broadcasts.count_audience(b.audience)
        markup = InlineKeyboardMarkup(
            [
                [
                    InlineKeyboardButton(
                        t.get("broadcast.btn_cancel"), callback_data=cd.CancelBroadcast(b.id).pack()
                    )
                ]
            ]
        )
        await _tell_officers(
            app,
            t.get(
                "broadcast.notice",
                id=b.id,
                title=first_line(b.text or b.kind),
                when=e(when(t, b.due_at, s.config.tz)),
                count=recipients,
            ),
            markup,
        )
        await s.broadcasts.mark_notified(b.id)
        sent += 1
    return sent


# ---------------------------------------------------------------- lifecycle


async def on_startup(app: Application) -> None:
    """Resume after a restart: retry in-flight rows, expire stale broadcasts, plan, rebuild jobs."""
    s = services_of(app)
    retried = await s.broadcasts.reset_in_flight()
    if retried:
        logger.info("Retrying %d broadcast messages that were in flight at the last stop", retried)
    await expire_overdue(app)
    await plan(app)


async def on_shutdown(app: Application) -> None:
    await delivery_of(app).stop()


def schedule_housekeeping(app: Application) -> None:
    """The minute sweep and the nightly planning job (stable names; rebuilt at every start)."""
    jq = app.job_queue
    if jq is None:
        return
    tz = services_of(app).config.tz
    jq.run_repeating(
        _sweep_job,
        interval=SWEEP_SECONDS,
        first=SWEEP_SECONDS,
        name="broadcast-sweep",
        job_kwargs={"misfire_grace_time": None, "coalesce": True},
    )
    jq.run_daily(
        _nightly_job,
        time(0, 5, tzinfo=tz),
        name="broadcast-plan",
        job_kwargs={"misfire_grace_time": 3600, "coalesce": True},
    )


async def reload_content(app: Application) -> list[str]:
    """Validate content/ like `safermk-bot check-content`; on success swap it in and re-plan.

    Returns the problems (empty on success); on failure the old content stays.
    """
    s = services_of(app)
    try:
        content = load_content(s.config.content_dir, s.config.tz)
    except ContentError as err:
        return [str(p) for p in err.problems]
    s.set_content(content)
    await plan(app)
    return []
