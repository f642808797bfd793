"""The real bot on the Bot API double: the one place the preview touches bot.app.

The same Application as `safermk-bot run` (every handler, the JobQueue, delivery, SQLite),
started the way `run_polling` starts it, but with both request layers answered in-process by
the double, so no token and no network are involved.
"""

from __future__ import annotations

import asyncio
import logging

from telegram.ext import Application

from bot.app import build_application, make_services, shutdown, startup
from bot.content import Content
from bot.plumbing.clock import Clock
from bot.plumbing.config import Config
from bot.preview.double import BotApiDouble
from bot.preview.transport import DoubleRequest
from bot.scheduling import reload_content

logger = logging.getLogger(__name__)

ALLOWED_UPDATES = ["message", "callback_query", "my_chat_member"]


class PreviewBot:
    """Start, stop and reload the bot; nothing else in the preview builds an Application."""

    def __init__(
        self, config: Config, content: Content, api: BotApiDouble, clock: Clock | None = None
    ) -> None:
        self.config = config
        self.clock = clock
        self.content = content
        self.api = api
        self.app: Application | None = None
        self._started = False

    async def start(self) -> None:
        services = make_services(self.config, self.content, self.clock)
        app = build_application(
            services, request=DoubleRequest(self.api), updates_request=DoubleRequest(self.api)
        )
        self.app = app
        # run_polling's order: initialize, post_init (our start-up hooks), poll, start.
        await app.initialize()
        try:
            await startup(app)
            assert app.updater is not None
            await app.updater.start_polling(allowed_updates=ALLOWED_UPDATES, timeout=10)
            await app.start()
        except BaseException:
            await self._close()
            raise
        self._started = True

    async def _close(self) -> None:
        app = self.app
        if app is None:
            return
        if app.updater is not None and app.updater.running:
            await app.updater.stop()
        if app.running:
            await app.stop()
        try:
            await shutdown(app)
        finally:
            await app.shutdown()

    async def stop(self) -> None:
        if self._started:
            self._started = False
            await self._close()

    async def reload(self) -> list[str]:
        """Validate the content folder and swap it in exactly as /reload does; the problems."""
        if self.app is None:
            return ["the bot is not running"]
        return await reload_content(self.app)

    async def settle(self, timeout: float = 20.0) -> None:
        """Wait until the bot has handled every update pushed so far (tests, event-driven)."""
        if self.app is None:
            return
        target = self.api.last_update_id
        await self.api.wait_for(lambda: self.api.delivered_up_to >= target, timeout)
        # The updater queued them before acknowledging; join() returns once all are handled.
        await asyncio.wait_for(self.app.update_queue.join(), timeout)

    @property
    def services(self):  # noqa: ANN201 - bot.context.Services, without importing it here
        return self.app.bot_data.services if self.app is not None else None
