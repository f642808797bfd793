"""The broadcast service on Telegram: its jobs on the job queue, its notices as chat messages.

The workflows (create, cancel, send now, move, expire, notices) are bot/services/broadcasts.py's
and know no Telegram; this module gives them the two ports they need and wires delivery's
callbacks. bot/broadcasting.py re-exports these names, which callers used before the split.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING, Any

from telegram import InlineKeyboardMarkup
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import Application

from bot import callback_officers as ob
from bot.render.keyboards import button
from bot.services.broadcasts import Broadcasts
from storage.broadcasts import Broadcast

if TYPE_CHECKING:
    from bot.context import Services
    from bot.delivery import Delivery

logger = logging.getLogger(__name__)

JOB_PREFIX = "broadcast:"

AnyApp = Application[Any, Any, Any, Any, Any, Any]


def job_name(broadcast_id: int) -> str:
    return f"{JOB_PREFIX}{broadcast_id}"


class QueueJobs:
    """One job-queue job per broadcast, under its stable name."""

    def __init__(self, app: AnyApp) -> None:
        self.app = app

    def at(self, broadcast_id: int, when: datetime) -> None:
        jq = self.app.job_queue
        if jq is None:
            return
        self.drop(broadcast_id)
        jq.run_once(
            _due_job,
            when=when,
            name=job_name(broadcast_id),
            job_kwargs={"misfire_grace_time": None},
        )

    def drop(self, broadcast_id: int) -> None:
        jq = self.app.job_queue
        if jq is not None:
            for old in jq.get_jobs_by_name(job_name(broadcast_id)):
                old.schedule_removal()


class ChatOfficers:
    """Notices to every officer who has started the bot."""

    def __init__(self, app: AnyApp, services: Services) -> None:
        self.app = app
        self.services = services

    async def tell(self, text: str, cancel: int | None = None) -> int:
        markup = None
        if cancel is not None:
            label = self.services.texts().get("broadcast.btn_cancel")
            markup = InlineKeyboardMarkup([[button(label, ob.CancelBroadcast(cancel))]])
        return await self.send(text, markup)

    async def send(self, text: str, markup: InlineKeyboardMarkup | None = None) -> int:
        told = 0
        for officer_id in self.services.roster.roles:
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


class BroadcastService(Broadcasts):
    """The service as the bot runs it: jobs on the application's queue, notices in chat."""

    def __init__(self, app: AnyApp, services: Services) -> None:
        self.app = app
        self.services = services
        self.chat_officers = ChatOfficers(app, services)
        super().__init__(services, QueueJobs(app), self.chat_officers)

    async def tell_officers(self, text: str, markup: InlineKeyboardMarkup | None = None) -> int:
        """Send to every officer who has started the bot; returns how many were told."""
        return await self.chat_officers.send(text, markup)

    def attach(self, delivery: Delivery) -> None:
        """Delivery reports deferral (rebuild the job) and expiry (expire, tell officers)."""

        async def deferred(b: Broadcast) -> None:
            self.schedule(b)

        delivery.on_deferred = deferred
        delivery.on_expired = self.expire


async def _due_job(context: Any) -> None:
    """A broadcast's time has come: wake the sender (which reads what is due from storage)."""
    context.services.broadcasting.kick()
