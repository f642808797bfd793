"""Stopping within Docker's 10 s grace, whatever the Bot API does (issue 20).

A SIGTERM used to take up to 31 s when the Bot API was silent: the Updater's last getUpdates
(which acknowledges the updates already fetched) waited for the 30 s read timeout, and
Application.stop() then waited, without a bound, for every handler and every broadcast send still
waiting on an answer. Now, from the stop signal:

* the last getUpdates waits at most STOP_POLL_READ_S (bot/telegram/polling.py); if it gets no
answer,
  Telegram sends those updates again after the restart, which is better than being killed;
* `Application.stop()` waits STOP_GRACE_S for handlers, jobs and broadcast sends to finish (the
  sends' results are written as each answer arrives); after that the sends still waiting are
  given up (their rows stay 'sending' and go out after the restart: bot/delivery.py `abandon`),
  handlers and jobs still waiting are cancelled, and what is known is written;
* a watchdog thread ends the process after STOP_HARD_S if anything else still holds it, with one
  line: SQLite's transactions keep the database whole, and a supervisor restarts the bot.

The numbers: STOP_POLL_READ_S (2 s) + STOP_GRACE_S (4) + STOP_CUT_S (1.5) of bounded waits, plus
closing the database, stay under 9 s; the watchdog is the last resort.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
import threading
from typing import Any

from telegram.ext import Application

from bot.plumbing.runtime import language_scope
from bot.telegram.processing import PerChatOrderedProcessor

logger = logging.getLogger(__name__)

STOP_GRACE_S = 4.0  # handlers, jobs and broadcast sends in flight may finish within this
STOP_CUT_S = 1.5  # after cancelling what still waits, for the results to be written
# The bounded waits above (2 + 4 + 1.5 s) leave two seconds for closing everything.
STOP_HARD_S = 9.5  # from the stop signal to the end of the process, whatever holds it


def _hard_exit() -> None:
    print(
        f"The bot did not stop within {STOP_HARD_S:.1f} s of the stop signal: exiting now",
        file=sys.stderr,
        flush=True,
    )
    os._exit(1)


class StoppingApplication(Application):
    """python-telegram-bot's Application with a stop that is bounded in time."""

    stop_grace = STOP_GRACE_S
    stop_cut = STOP_CUT_S
    hard_stop = STOP_HARD_S
    _watchdog: threading.Timer | None = None
    _polling = False  # inside run_polling: the process ends when it returns

    def arm_watchdog(self) -> None:
        """From the stop signal on, the process ends within `hard_stop` seconds (only while
        run_polling runs the process: an Application driven by tests is never shot)."""
        if self._polling and self._watchdog is None and self.hard_stop > 0:
            self._watchdog = threading.Timer(self.hard_stop, _hard_exit)
            self._watchdog.daemon = True
            self._watchdog.start()

    def disarm_watchdog(self) -> None:
        if self._watchdog is not None:
            self._watchdog.cancel()
            self._watchdog = None

    def run_polling(self, *args: Any, **kwargs: Any) -> None:
        self._polling = True
        try:
            super().run_polling(*args, **kwargs)
        finally:
            self._polling = False
            self.disarm_watchdog()  # stopped in time: the watchdog has nothing left to guard

    async def process_update(self, update: object) -> None:
        """Each update in its own language scope: what the language feature sets for it
        (bot/handlers/languages.py) never reaches the next update or a job run afterwards."""
        with language_scope():
            await super().process_update(update)

    def _raise_system_exit(self) -> None:  # type: ignore[override]  # a staticmethod upstream
        self.arm_watchdog()
        raise SystemExit

    def stop_running(self) -> None:
        self.arm_watchdog()
        super().stop_running()

    async def stop(self) -> None:
        """Stop as python-telegram-bot does, but give up on what waits past the grace."""
        processor = self.update_processor
        if isinstance(processor, PerChatOrderedProcessor):
            processor.release()  # surplus messages waiting for the budget are answered now
        stopping = asyncio.ensure_future(self._stop_everything())
        done, _ = await asyncio.wait({stopping}, timeout=self.stop_grace)
        if not done:
            given_up = self._cut_short()
            logger.warning(
                "Still busy %.0f s after the stop signal (the Bot API is not answering): "
                "gave up %d broadcast sends (sent again after the restart) and %d other tasks",
                self.stop_grace,
                given_up[0],
                given_up[1],
            )
            done, _ = await asyncio.wait({stopping}, timeout=self.stop_cut)
            if not done:
                stopping.cancel()
                await asyncio.wait({stopping})
                logger.warning("Stopped without waiting for the last tasks")
                return
        stopping.result()

    async def _stop_everything(self) -> None:
        """python-telegram-bot's stop, and the broadcast sender's beside it: the sender's worker
        is not always one of the Application's tasks (it may start before the Application
        runs), and it must finish before the connections close, or a send that reached
        Telegram could lose its answer and go out again after the restart."""
        await asyncio.gather(super().stop(), self._stop_delivery())

    async def _stop_delivery(self) -> None:
        services: Any = getattr(self.bot_data, "services", None)
        delivery = getattr(services, "delivery", None) if services is not None else None
        if delivery is not None:
            await delivery.stop()

    def _cut_short(self) -> tuple[int, int]:
        """Cancel what still waits: broadcast sends (their results written), handlers, jobs."""
        services: Any = getattr(self.bot_data, "services", None)
        delivery = getattr(services, "delivery", None) if services is not None else None
        sends = delivery.abandon() if delivery is not None else 0
        others = 0
        processor = self.update_processor
        if isinstance(processor, PerChatOrderedProcessor):
            others += processor.cancel_all()
        executor = getattr(self.job_queue, "_executor", None)  # APScheduler's running jobs
        for future in list(getattr(executor, "_pending_futures", ())):
            if not future.done():
                future.cancel()
                others += 1
        worker = getattr(delivery, "_task", None)
        # Tasks made with create_task (Application keeps them in a private set): all but the
        # delivery worker, which returns by itself once its sends are given up and written.
        for task in list(getattr(self, "_Application__create_task_tasks", ())):
            if task is not worker and not task.done():
                task.cancel()
                others += 1
        return sends, others
