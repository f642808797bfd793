"""One broadcast's sending loop: quiet hours, expiry, the outbox claimed a window at a time and
at most `window` sends in flight (mixed into `Delivery`, bot/delivery.py).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from bot.delivery_message import Languages, MessageSender
from bot.delivery_results import DatabaseDown
from bot.domain.broadcasts import effective_send_time
from bot.services.languages import broadcast_translations
from storage.broadcasts import Broadcast, Claimed
from storage.db import DatabaseUnavailable

logger = logging.getLogger("bot.delivery")

EXPIRY_GRACE = timedelta(minutes=5)  # a job firing a little late is not "the bot was down"


class BroadcastSender(MessageSender):
    """Sends the rest of one due broadcast."""

    _in_flight: set[asyncio.Task[None]]
    on_deferred: Callable[[Broadcast], Awaitable[None]] | None
    on_expired: Callable[[Broadcast, datetime, float], Awaitable[bool]] | None

    def _send_time(self, b: Broadcast, now: datetime) -> datetime:
        """When `b` may go out if it were sent at `now` (the officers' previews use the same)."""
        config = self.services.config
        return effective_send_time(now, b.urgent, config.quiet_hours, config.tz)

    def _quiet_now(self, b: Broadcast, now: datetime) -> bool:
        return self._send_time(b, now) > now

    async def _defer(self, b: Broadcast, now: datetime) -> None:
        s = self.services
        until = self._send_time(b, now)
        await s.broadcasts.set_due(b.id, until, now)
        logger.info("Broadcast %d waits for the end of quiet hours", b.id)
        deferred = await s.broadcasts.get(b.id)
        if deferred is not None and self.on_deferred is not None:
            await self.on_deferred(deferred)

    async def _expire_if_late(self, b: Broadcast, now: datetime) -> bool:
        s = self.services
        max_age = timedelta(hours=s.config.settings.broadcast.max_age_hours)
        if now - b.due_at <= max(max_age, EXPIRY_GRACE):
            return False
        hours = (now - b.due_at).total_seconds() / 3600
        if self.on_expired is not None:
            await self.on_expired(b, now, hours)
        else:
            await s.broadcasts.expire(b.id, now, f"{hours:.1f} hours late")
        return True

    async def _release(self, b: Broadcast, rows: list[Claimed]) -> None:
        """A graceful stop: put claimed rows that were not sent back (best effort)."""
        try:
            await self.services.broadcasts.release(b.id, [r.chat_id for r in rows])
        except DatabaseUnavailable as exc:  # left 'sending': reset_in_flight at the next start
            self._note_db_error(exc)

    async def _texts(self, b: Broadcast) -> Languages:
        """Each language's text of `b`: a campaign message as each language's content has it,
        else the translations stored with the broadcast (English, its own text, for the rest
        and for a language no longer offered). Each row gets the one its resident reads when
        it is claimed (storage/outbox.py), so a switch while it waits or goes out counts."""
        s = self.services
        offered = [x.code for x in s.offered() if x.code != "en"]
        if not offered or b.text is None:  # a personal message: each row has its own text
            return Languages({}, frozenset(offered))
        translations = await broadcast_translations(s.broadcasts, s.content_all, b, offered)
        return Languages(translations, frozenset(offered))

    async def _send_broadcast(self, b: Broadcast) -> bool:
        """Send the rest of `b`; False if it stopped early (quiet hours, cancelled, stopping).

        Raises DatabaseDown or DatabaseUnavailable when the database refuses; every request
        already made is awaited and its result kept in the buffer first.
        """
        s = self.services
        store = s.broadcasts
        now = s.clock.now()
        if self._quiet_now(b, now):
            await self._defer(b, now)
            return False
        await store.materialise(b, now)
        self._languages[b.id] = langs = await self._texts(b)
        self._written()
        # Nothing of this broadcast is in flight or buffered now (every earlier pass waited for
        # its sends and the buffer was written first), so rows still 'sending' were claimed and
        # never sent (e.g. a batch cut short by an outage): they go back to the queue.
        await store.requeue_sending(b.id)
        in_flight = self._in_flight
        try:
            while True:
                if self.stopping():
                    return False
                if await store.status_of(b.id) != "sending":
                    return False  # cancelled or expired meanwhile
                if self._quiet_now(b, s.clock.now()):
                    await asyncio.gather(*in_flight)  # bounded: at most `window` tasks
                    if not await self._flush():
                        raise DatabaseDown
                    await self._defer(b, s.clock.now())
                    return False
                self.stats.claims += 1
                batch = await store.claim(b, self.window, langs.texts)
                if not batch:
                    if not in_flight:
                        break
                    # The last sends may give a row back (unsent): wait, write, look again.
                    await asyncio.gather(*in_flight)
                    if not await self._flush():
                        raise DatabaseDown
                    continue
                for i, row in enumerate(batch):
                    if self.stopping() or not await self._take_slot():
                        await self._release(b, batch[i:])
                        return False
                    task = asyncio.create_task(self._send_row(b, row))
                    in_flight.add(task)
                    task.add_done_callback(in_flight.discard)
        finally:
            # Never leave a request unrecorded: wait for the (at most `window`) sends in flight.
            if in_flight:
                await asyncio.gather(*in_flight, return_exceptions=True)
        if not await self._flush():
            raise DatabaseDown
        if await store.finish_if_done(b.id, s.clock.now()):
            logger.info("Broadcast %d finished", b.id)
            self._photo_ids.pop(b.id, None)
            self._languages.pop(b.id, None)
            return True
        return False
