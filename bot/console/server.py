"""The console's HTTP server: its own aiohttp site on console.host:console.port, started and
stopped with the bot (bot/app.py's startup and shutdown) and by the preview.

Routes: every page's (bot/console/pages.py: PAGES), the sign-in pair (bot/console/signin.py)
and the static files under /console/static/. No access log: a path can carry a sign-in token.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import partial
from pathlib import Path

from aiohttp import web

from bot.console import signin
from bot.console.framework import Console, Page, RateLimit, bind, guard, routes_of, url
from bot.context import Services
from bot.ops.server import listen

logger = logging.getLogger(__name__)

STATIC = Path(__file__).parent / "static"
MAX_BODY = 64 * 1024  # forms only


class ConsoleServer:
    """Serve the console; `start()` listens (OSError is the caller's to report)."""

    def __init__(
        self,
        services: Services,
        pages: tuple[Page, ...],
        bot_username: Callable[[], str | None] = lambda: None,
    ) -> None:
        cfg = services.config.settings.console
        self.services = services
        self.host = cfg.host
        self.port = cfg.port  # the bound one once started
        self.console = Console(
            services=services,
            pages=pages,
            base_url=lambda: cfg.base_url(self.port),
            bot_username=bot_username,
            limiter=RateLimit(cfg.signin_per_minute, lambda: services.clock.now().timestamp()),
        )
        self._runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        """The console's home page as officers open it."""
        return self.console.base_url() + url("/")

    def signin_url(self, token: str) -> str:
        return self.console.base_url() + url(f"/signin/{token}")

    def web_app(self) -> web.Application:
        app = web.Application(client_max_size=MAX_BODY, middlewares=[guard(self.console)])
        app.router.add_get(url("/signin/{token}"), partial(signin.signin_form, self.console))
        app.router.add_post(url("/signin"), partial(signin.signin, self.console))
        app.router.add_static(url("/static/"), STATIC, append_version=False)
        for (method, path), route in routes_of(self.console.pages).items():
            app.router.add_route(method, url(path), bind(self.console, route))
        return app

    async def start(self) -> None:
        self._runner, self.port = await listen(self.web_app(), self.host, self.port)
        logger.info("Officers' console listening on %s", self.url)

    async def stop(self) -> None:
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()
