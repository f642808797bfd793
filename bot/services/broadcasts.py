"""The broadcast service: every workflow around a broadcast, in one place, for any front end.

The chat (the /broadcast wizard, /scheduled and its buttons), the web console, the campaign
calendar and the start-up all go through this service: create (with the duplicate guard),
schedule (a job under the broadcast's stable name, and a kick when it is already due), cancel,
send now, change the time, list what is scheduled, expire with officers told, the officers'
24-hour notices, personal messages ("you said, we did"), and rebuilding every job from the
database at start. The chat's rules hold for every caller: an officer's action takes the due
time the officer was shown, and a non-urgent broadcast waits for quiet hours to end.

It knows no Telegram: the jobs and the officers' notices come in as two ports (`Jobs`,
`Officers`), which bot/handlers/broadcasting.py builds on the job queue and the Bot API.
Delivery (bot/delivery.py) sends; it reports deferral and expiry back through callbacks, so it
imports nothing from here.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Protocol

from bot.content import Content, Texts
from bot.domain.broadcasts import NOTICE_BEFORE, duplicate_window, effective_send_time
from bot.ops.status import OpsStatus, Problem
from bot.plumbing.clock import Clock
from bot.plumbing.config import Config
from bot.ports import Created, DeliveryPort, Duplicate
from bot.render.text import e, first_line, when_words
from bot.services import audiences as au
from bot.services import officers
from storage.broadcasts import Broadcast, BroadcastStore
from storage.model import BroadcastKind, BroadcastSpec

logger = logging.getLogger(__name__)


class Jobs(Protocol):
    """Timers under each broadcast's stable name (the chat: the job queue)."""

    def at(self, broadcast_id: int, when: datetime) -> None:
        """(Re)build the broadcast's one timer for `when` (replacing any it had)."""

    def drop(self, broadcast_id: int) -> None:
        """Remove the broadcast's timer, if it has one."""


class Officers(Protocol):
    """Telling every officer something (the chat: a message to each who started the bot)."""

    async def tell(self, text: str, cancel: int | None = None) -> int:
        """Send `text` (HTML), with a Cancel button for broadcast `cancel` when given; how
        many officers were told."""


class Parts(Protocol):
    """What the service reads from the composition root's services (bot/context.py)."""

    config: Config
    clock: Clock
    broadcasts: BroadcastStore
    status: OpsStatus
    delivery: DeliveryPort

    @property
    def content(self) -> Content: ...

    def texts(self, lang: str = "en") -> Texts: ...


class Broadcasts:
    def __init__(self, parts: Parts, jobs: Jobs, officers: Officers) -> None:
        self.parts = parts
        self.jobs = jobs
        self.officers = officers

    @property
    def store(self) -> BroadcastStore:
        return self.parts.broadcasts

    def kick(self) -> None:
        """Wake the sender: it reads what is due from the database."""
        self.parts.delivery.kick()

    # ------------------------------------------------------------ creating and scheduling

    async def create(self, spec: BroadcastSpec, *, force: bool = False) -> Created | Duplicate:
        """Store a broadcast (idempotent on its key) and schedule it.

        An officer's broadcast whose fingerprint matches one to the same audience within the
        duplicate window is not created unless `force` (the officer confirmed a second time).
        """
        if not force and spec.fingerprint and spec.kind == BroadcastKind.OFFICER:
            lo, hi = duplicate_window(spec.send_at)
            same = await self.store.duplicates(spec.fingerprint, spec.audience, lo, hi)
            if same:
                return Duplicate(same[0])
        bid, _ = await self.store.create(spec, self.parts.clock.now())
        b = await self.store.get(bid)
        assert b is not None
        self.schedule(b)
        return Created(b)

    def schedule(self, b: Broadcast) -> None:
        """(Re)build the job of one broadcast under its stable name; kick if already due."""
        self.jobs.at(b.id, b.due_at)
        if b.due_at <= self.parts.clock.now():
            self.kick()

    def unschedule(self, broadcast_id: int) -> None:
        self.jobs.drop(broadcast_id)

    async def rebuild_jobs(self) -> int:
        active = await self.store.active()
        for b in active:
            self.schedule(b)
        return len(active)

    async def scheduled(self) -> officers.Scheduled:
        """What is scheduled, as /scheduled lists it (bot/services/officers.py: the coming
        month, automatic messages further ahead folded away, idle reminders left out)."""
        return await officers.scheduled(self.store, self.parts.clock.now())

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
        done = await self.store.cancel(
            broadcast_id, officer, self.parts.clock.now(), detail=detail, expected_due=expected_due
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
        now = self.parts.clock.now()
        if not await self.store.send_now(broadcast_id, officer, now, expected_due, urgent):
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
        now = self.parts.clock.now()
        if not await self.store.reschedule(broadcast_id, at, officer, now, expected_due):
            return None
        return await self._reschedule(broadcast_id)

    def send_time(self, planned: datetime, urgent: bool) -> datetime:
        """When residents get a broadcast planned for `planned`: the rule delivery applies
        (bot/delivery.py holds a non-urgent broadcast back until quiet hours end)."""
        config = self.parts.config
        return effective_send_time(planned, urgent, config.quiet_hours, config.tz)

    async def _reschedule(self, broadcast_id: int) -> Broadcast | None:
        b = await self.store.get(broadcast_id)
        if b is not None:
            self.schedule(b)
        return b

    # ------------------------------------------------------------ expiry and notices

    async def expire(self, b: Broadcast, now: datetime, hours: float) -> bool:
        """Too late to send: mark it expired (rows not sent are never sent) and tell officers."""
        if not await self.store.expire(b.id, now, f"{hours:.1f} hours late"):
            return False
        logger.warning("Broadcast %d expired: %.1f hours late", b.id, hours)
        p = self.parts
        # For the log and /metrics; the notice below is the officers' (and admins') alert.
        p.status.raise_problem(Problem.BROADCAST_EXPIRED, f"broadcast {b.id}, {hours:.1f} h late")
        p.status.clear_problem(Problem.BROADCAST_EXPIRED)
        t = p.texts()
        await self.officers.tell(
            t.get(
                "broadcast.expired_notice",
                id=b.id,
                title=first_line(b.text or b.kind),
                when=e(when_words(t, b.due_at, p.config.tz, now)),
                hours=f"{hours:.0f}",
            )
        )
        return True

    async def expire_overdue(self) -> list[int]:
        """At start: what should have gone out long ago is expired, and officers are told."""
        now = self.parts.clock.now()
        max_age = timedelta(hours=self.parts.config.settings.broadcast.max_age_hours)
        expired = []
        for b in await self.store.active():
            late = now - b.due_at
            if late > max_age and await self.expire(b, now, late.total_seconds() / 3600):
                expired.append(b.id)
        return expired

    async def send_notices(self) -> int:
        """Officers hear 24 hours ahead of each automatic campaign message, with a Cancel button."""
        p = self.parts
        t = p.texts()
        sent = 0
        k = p.config.settings.survey.min_count
        due = await self.store.needing_notice(p.clock.now() + NOTICE_BEFORE)
        if not due:
            return 0
        # By the audience rules of every other view (bot/services/audiences.py): a NAG's
        # audience here must not subtract from "everyone" shown elsewhere.
        fig = await au.audience_figures(
            self.store.db, [n.id for n in p.content.nags], k, [b.audience.survey for b in due]
        )
        for b in due:
            recipients = fig.audience(b.audience)
            text = t.get(
                "broadcast.notice",
                id=b.id,
                title=first_line(b.text or b.kind),
                when=e(when_words(t, b.due_at, p.config.tz, p.clock.now())),
                count=t.get("broadcast.count_withheld")
                if recipients is None
                else f"{recipients:,}",
            )
            await self.officers.tell(text, cancel=b.id)
            await self.store.mark_notified(b.id)
            sent += 1
        return sent

    # ------------------------------------------------------------ personal messages

    async def enqueue_personal(
        self, kind: BroadcastKind, ref: str, messages: Sequence[tuple[int, str]]
    ) -> int:
        """One message per chat, each its own text (e.g. survey results); idempotent on
        (kind, ref). Paced, quiet hours respected, resumable; chats that are not residents are
        left out. Returns the broadcast id."""
        now = self.parts.clock.now()
        bid, _ = await self.store.enqueue_personal(
            kind=kind, ref=ref, messages=messages, send_at=now, now=now
        )
        self.kick()
        return bid
