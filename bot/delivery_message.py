"""One broadcast message: send it, classify Telegram's answer, put the outcome in Delivery's
results buffer (bot/delivery_results.py). Photos are uploaded once per broadcast, then sent by
Telegram's file id.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from telegram import InlineKeyboardMarkup, InputFile, Message
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)

from bot.context import Services
from bot.delivery_results import ResultsBuffer
from bot.domain.broadcasts import sends_image
from bot.render.keyboards import rating_keyboard
from bot.telegram.pace_parts import retry_after
from bot.telegram.pacing import Pacer
from storage.broadcasts import Broadcast, Claimed, Outcome
from storage.db import DatabaseUnavailable
from storage.model import OutboxStatus

logger = logging.getLogger("bot.delivery")


BULK = {"lane": "bulk"}  # rate_limit_args of a broadcast send already paced by the sender
MAX_ATTEMPTS = 5  # network errors and 5xx: tries before a row is 'failed'
MAX_FLOOD_RETRIES = 10  # 429s for one row before giving up on it
BACKOFF_BASE = 1.0  # seconds; doubled per attempt


@dataclass(frozen=True)
class Languages:
    """One broadcast's text in each language that has its own ({language: text}; any other
    gets the broadcast's text), and the languages offered other than English (rating buttons
    in them): worked out once per pass of the sender, applied row by row as rows are claimed."""

    texts: Mapping[str, str]
    offered: frozenset[str]


class MessageSender(ResultsBuffer):
    """Sends one row of a broadcast (mixed into `Delivery`, bot/delivery.py)."""

    limiter: Pacer
    paced_by_bot: bool
    _photo_ids: dict[int, str]
    _languages: dict[int, Languages]  # by broadcast: its text per language, set per pass
    on_send_result: Callable[[bool, str], None] | None
    on_outcome: Callable[[str], None] | None

    def _markup(self, b: Broadcast, row: Claimed) -> InlineKeyboardMarkup | None:
        """The 👍/👎 buttons, in the language the recipient read when their row was claimed
        (English for a language the bot no longer offers)."""
        if not b.ratings:
            return None
        langs = self._languages.get(b.id)
        lang = row.language if langs is not None and row.language in langs.offered else "en"
        return rating_keyboard(self.services.texts(lang), b.id)

    async def _deliver(self, b: Broadcast, row: Claimed) -> Message:
        text = row.text if row.text is not None else (b.text or "")
        rl = BULK if self.paced_by_bot else None
        markup = self._markup(b, row)
        if b.image and sends_image(b.image, text):
            photo: Any = self._photo_ids.get(b.id) or photo_source(self.services, b.image)
            msg = await self.app.bot.send_photo(
                row.chat_id,
                photo,
                caption=text,
                parse_mode=ParseMode.HTML,
                reply_markup=markup,
                rate_limit_args=rl,
            )
            if msg.photo:  # upload once, then reuse Telegram's file id
                self._photo_ids[b.id] = msg.photo[-1].file_id
            return msg
        return await self.app.bot.send_message(
            row.chat_id, text, parse_mode=ParseMode.HTML, reply_markup=markup, rate_limit_args=rl
        )

    async def _send_row(self, b: Broadcast, row: Claimed) -> None:
        """Send one row and put its outcome in the buffer, then write the buffer."""
        try:
            outcome = await self._send_row_inner(b, row)
        except asyncio.CancelledError:
            # Given up at a stop (abandon): no result; the row stays 'sending' and is sent
            # again after the restart. Its slot is free, so the worker can finish.
            self._unrecorded -= 1
            self._changed.set()
            raise
        except Exception:  # a bug must not leave the row 'sending' and the broadcast stuck
            logger.exception("Broadcast %d: unexpected error on one message", b.id)
            outcome = Outcome(
                b.id, row.chat_id, OutboxStatus.FAILED, row.attempts + 1, "internal error"
            )
        self._count(outcome)
        self._results[(b.id, row.chat_id)] = outcome
        self._changed.set()
        await self._flush()  # during an outage it returns at once: the worker's backoff writes

    def _count(self, outcome: Outcome) -> None:
        if self.on_outcome is not None:
            self.on_outcome(outcome.status)
        st = self.stats
        st.sent += outcome.status == "sent"
        st.blocked += outcome.status in ("blocked", "not_found")
        st.failed += outcome.status == "failed"
        st.skipped += outcome.status == "skipped"

    async def _note_attempt(self, b: Broadcast, row: Claimed, attempts: int, error: str) -> None:
        """Record a failed try that will be retried; skipped while the database is unavailable."""
        if self._db_down:
            return
        try:
            await self.services.broadcasts.set_attempts(b.id, row.chat_id, attempts, error)
        except DatabaseUnavailable as exc:  # the final outcome carries the count anyway
            self._note_db_error(exc)

    async def _send_row_inner(self, b: Broadcast, row: Claimed) -> Outcome:
        store = self.services.broadcasts
        attempts = row.attempts
        floods = 0

        def done(status: OutboxStatus, error: str | None = None, **kw: Any) -> Outcome:
            return Outcome(b.id, row.chat_id, status, attempts + 1, error, **kw)

        while True:
            await self.limiter.acquire(row.chat_id)
            # Checked right before the request: /stop during a broadcast takes effect at once.
            try:
                eligible = await store.still_eligible(b, row.chat_id)
            except DatabaseUnavailable as exc:
                # Cannot tell whether they still want it: do not send; the row goes back.
                self._note_db_error(exc)
                return Outcome(b.id, row.chat_id, OutboxStatus.PENDING, attempts)
            if not eligible:
                return done(OutboxStatus.SKIPPED, "no longer subscribed")
            try:
                msg = await self._deliver(b, row)
            except RetryAfter as exc:
                delay = retry_after(exc)
                self.limiter.pause(delay)
                floods += 1
                self.stats.flood += 1
                if floods > MAX_FLOOD_RETRIES:
                    return done(OutboxStatus.FAILED, "flood control")
                continue  # acquire() waits until the pause is over
            except Forbidden as exc:
                return done(OutboxStatus.BLOCKED, str(exc), at=self.services.clock.now())
            except BadRequest as exc:  # before NetworkError: BadRequest is a subclass of it
                gone = "chat not found" in str(exc).lower()
                return done(OutboxStatus.NOT_FOUND if gone else OutboxStatus.FAILED, str(exc))
            except (TimedOut, NetworkError) as exc:  # also 5xx answers
                # A timed-out request may have reached Telegram: the retry can then repeat it.
                # Telegram offers no way to know, so this is the one at-least-once case.
                if self.on_send_result is not None:
                    self.on_send_result(False, type(exc).__name__)
                attempts += 1
                if attempts >= MAX_ATTEMPTS:
                    return Outcome(b.id, row.chat_id, OutboxStatus.FAILED, attempts, str(exc))
                await self._note_attempt(b, row, attempts, str(exc))
                await self.sleep(BACKOFF_BASE * 2 ** (attempts - 1))
                continue
            except TelegramError as exc:  # e.g. ChatMigrated: nothing a retry would fix
                return done(OutboxStatus.FAILED, str(exc))
            if self.on_send_result is not None:
                self.on_send_result(True, "")
            return done(OutboxStatus.SENT, message_id=msg.message_id, at=self.services.clock.now())


def photo_source(services: Services, image: str) -> Any:
    """A campaign image: its URL, or the file under content/ to upload."""
    if image.startswith(("http://", "https://")):
        return image
    path = Path(services.content.directory) / image
    return InputFile(path.read_bytes(), filename=path.name)
