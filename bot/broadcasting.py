"""The broadcast service: every workflow around a broadcast, in one place.

Handlers (the /broadcast wizard, /scheduled and its buttons), the campaign calendar and the
start-up all go through this service: create (with the duplicate guard), schedule (a job under
the broadcast's stable name, and a kick when it is already due), cancel, send now, change the
time, expire with officers told, the officers' 24-hour notices, personal messages ("you said, we
did"), and rebuilding every job from the database at start. Delivery (bot/delivery.py) sends;
it reports deferral and expiry back through callbacks, so it imports nothing from here.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from telegram import InlineKeyboardMarkup
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import Application

from bot import callback_data as cd
from bot.domain.broadcasts import NOTICE_BEFORE, duplicate_window, effective_send_time
from bot.ops.status import Problem
from bot.ports import Created, DeliveryPort, Duplicate
from bot.render.keyboards import button
from bot.render.text import e, first_line, when_words
from storage.broadcasts import Broadcast
from storage.model import BroadcastKind, BroadcastSpec

if TYPE_CHECKING:
    from bot.context import Services
    from bot.delivery import Delivery

logger = logging.getLogger(__name__)

JOB_PREFIX = "broadcast:"


def job_name(broadcast_id: int) -> str:
    return f"{JOB_PREFIX}{broadcast_id}"


class BroadcastService:
    def __init__(self, app: Application[Any, Any, Any, Any, Any, Any], services: Services) -> None:
        self.app = app
        self.services = services

    @property
    def delivery(self) -> DeliveryPort:
        return self.services.delivery

    def kick(self) -> None:
        """Wake the sender: it reads what is due from the database."""
        self.delivery.kick()

    # ------------------------------------------------------------ creating and scheduling

    async def create(self, spec: BroadcastSpec, *, force: bool = False) -> Created | Duplicate:
        """Store a broadcast (idempotent on its key) and schedule it.

        An officer's broadcast whose fingerprint matches one to the same audience within the
        duplicate window is not created unless `force` (the officer confirmed a second time).
        """
        s = self.services
        if not force and spec.fingerprint and spec.kind == BroadcastKind.OFFICER:
            lo, hi = duplicate_window(spec.send_at)
            same = await s.broadcasts.duplicates(spec.fingerprint, spec.audience, lo, hi)
            if same:
                return Duplicate(same[0])
        bid, _ = await s.broadcasts.create(spec, s.clock.now())
        b = await s.broadcasts.get(bid)
        assert b is not None
        self.schedule(b)
        return Created(b)

    def schedule(self, b: Broadcast) -> None:
        """(Re)build the job of one broadcast under its stable name; kick if already due."""
        jq = self.app.job_queue
        if jq is not None:
            self.unschedule(b.id)
            jq.run_once(
                _due_job,
                when=b.due_at,
                name=job_name(b.id),
                job_kwargs={"misfire_grace_time": None},
            )
        if b.due_at <= self.services.clock.now():
            self.kick()

    def unschedule(self, broadcast_id: int) -> None:
        jq = self.app.job_queue
        if jq is not None:
            for old in jq.get_jobs_by_name(job_name(broadcast_id)):
                old.schedule_removal()

    async def rebuild_jobs(self) -> int:
        active = await self.services.broadcasts.active()
        for b in active:
            self.schedule(b)
        return len(active)

    # ------------------------------------------------------------ officers' actions

    # Each takes the due time the officer was shown (`expected_due`): a confirmation pressed
    # after the broadcast was moved, sent now or pressed a second time changes nothing.

    async def cancel(
        self,
        broadcast_id: int,
        officer: int | None,
        detail: str | None = None,
        expected_due: datetime | None = None,
    ) -> bool:
        s = self.services
        done = await s.broadcasts.cancel(
            broadcast_id, officer, s.clock.now(), detail=detail, expected_due=expected_due
        )
        if done:
            self.unschedule(broadcast_id)
        return done

    async def send_now(
        self,
        broadcast_id: int,
        officer: int,
        expected_due: datetime | None = None,
        *,
        urgent: bool = False,
    ) -> Broadcast | None:
        """Send it now (if still due at `expected_due`); the broadcast as it now stands, None if
        it could not be (already sent, cancelled, moved...)."""
        s = self.services
        now = s.clock.now()
        if not await s.broadcasts.send_now(broadcast_id, officer, now, expected_due, urgent):
            return None
        return await self._reschedule(broadcast_id)

    async def retime(
        self,
        broadcast_id: int,
        at: datetime,
        officer: int,
        expected_due: datetime | None = None,
    ) -> Broadcast | None:
        """Move it to `at` (if still due at `expected_due`); the broadcast as it now stands,
        None if it could not be."""
        s = self.services
        now = s.clock.now()
        if not await s.broadcasts.reschedule(broadcast_id, at, officer, now, expected_due):
            return None
        return await self._reschedule(broadcast_id)

    def send_time(self, planned: datetime, urgent: bool) -> datetime:
        """When residents get a broadcast planned for `planned`: the rule delivery applies
        (bot/delivery.py holds a non-urgent broadcast back until quiet hours end)."""
        config = self.services.config
        return effective_send_time(planned, urgent, config.quiet_hours, config.tz)

    async def _reschedule(self, broadcast_id: int) -> Broadcast | None:
        b = await self.services.broadcasts.get(broadcast_id)
        if b is not None:
            self.schedule(b)
        return b

    # ------------------------------------------------------------ expiry and notices

    async def expire(self, b: Broadcast, now: datetime, hours: float) -> bool:
        """Too late to send: mark it expired (rows not sent are never sent) and tell officers."""
        if not await self.services.broadcasts.expire(b.id, now, f"{hours:.1f} hours late"):
            return False
        logger.warning("Broadcast %d expired: %.1f hours late", b.id, hours)
        s = self.services
        # For the log and /metrics; the notice below is the officers' (and admins') alert.
        s.status.raise_problem(Problem.BROADCAST_EXPIRED, f"broadcast {b.id}, {hours:.1f} h late")
        s.status.clear_problem(Problem.BROADCAST_EXPIRED)
        t = s.texts()
        await self.tell_officers(
            t.get(
                "broadcast.expired_notice",
                id=b.id,
                title=first_line(b.text or b.kind),
                when=e(when_words(t, b.due_at, s.config.tz, now)),
                hours=f"{hours:.0f}",
            )
        )
        return True

    async def expire_overdue(self) -> list[int]:
        """At start: what should have gone out long ago is expired, and officers are told."""
        s = self.services
        now = s.clock.now()
        max_age = timedelta(hours=s.config.settings.broadcast.max_age_hours)
        expired = []
        for b in await s.broadcasts.active():
            late = now - b.due_at
            if late > max_age and await self.expire(b, now, late.total_seconds() / 3600):
                expired.append(b.id)
        return expired

    async def tell_officers(self, text: str, markup: InlineKeyboardMarkup | None = None) -> int:
        """Send to every officer who has started the bot; returns how many were told."""
        told = 0
        for officer_id in self.services.config.officer_roles:
            try:
                await self.app.bot.send_message(
                    officer_id, text, parse_mode=ParseMode.HTML, reply_markup=markup
                )
                told += 1
            except (Forbidden, BadRequest) as exc:  # the officer has not started the bot
                logger.info("Could not notify an officer: %s", exc)
            except TelegramError as exc:
                logger.warning("Officer notice failed: %s", exc)
        return told

    async def send_notices(self) -> int:
        """Officers hear 24 hours ahead of each automatic campaign message, with a Cancel button."""
        s = self.services
        t = s.texts()
        sent = 0
        for b in await s.broadcasts.needing_notice(s.clock.now() + NOTICE_BEFORE):
            recipients = await s.broadcasts.count_audience(b.audience)
            cancel = button(t.get("broadcast.btn_cancel"), cd.CancelBroadcast(b.id))
            await self.tell_officers(
                t.get(
                    "broadcast.notice",
                    id=b.id,
                    title=first_line(b.text or b.kind),
                    when=e(when_words(t, b.due_at, s.config.tz, s.clock.now())),
                    count=recipients,
                ),
                InlineKeyboardMarkup([[cancel]]),
            )
            await s.broadcasts.mark_notified(b.id)
            sent += 1
        return sent

    # ------------------------------------------------------------ personal messages

    async def enqueue_personal(
        self, kind: BroadcastKind, ref: str, messages: Sequence[tuple[int, str]]
    ) -> int:
        """One message per chat, each its own text (e.g. survey results); idempotent on
        (kind, ref). Paced, quiet hours respected, resumable; chats that are not residents are
        left out. Returns the broadcast id."""
        now = self.services.clock.now()
        bid, _ = await self.services.broadcasts.enqueue_personal(
            kind=kind, ref=ref, messages=messages, send_at=now, now=now
        )
        self.kick()
        return bid

    # ------------------------------------------------------------ lifecycle

    def attach(self, delivery: Delivery) -> None:
        """Delivery reports deferral (rebuild the job) and expiry (expire, tell officers)."""

        async def deferred(b: Broadcast) -> None:
            self.schedule(b)

        delivery.on_deferred = deferred
        delivery.on_expired = self.expire


async def _due_job(context: Any) -> None:
    """A broadcast's time has come: wake the sender (which reads what is due from storage)."""
    context.services.broadcasting.kick()
