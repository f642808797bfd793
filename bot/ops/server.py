"""The one HTTP server in the bot's process (aiohttp): /healthz, /readyz, /metrics and, in
webhook mode, the route Telegram posts updates to (handled by bot/telegram/webhook.py).

Answers are small JSON documents or Prometheus text; a request that fails inside a handler gets
a plain 500 from aiohttp with the error logged once (no traceback to the client). No access log:
request lines could carry a path someone made up to put text in our logs.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST

from bot.ops import readiness
from bot.ops.metrics import Metrics

logger = logging.getLogger(__name__)

# Telegram's updates are a few kilobytes; anything over this is not one of them.
MAX_BODY = 1024 * 1024
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


async def listen(app: web.Application, host: str, port: int) -> tuple[web.AppRunner, int]:
    """Serve `app` on host:port (0: any free port); the runner and the port bound. Nothing is
    left open when it fails (OSError, e.g. the port is taken, is the caller's to report)."""
    runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=2.0)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    try:
        await site.start()
    except BaseException:
        await runner.cleanup()
        raise
    server: Any = site._server  # aiohttp keeps the listening sockets there
    if server is not None and server.sockets:
        port = server.sockets[0].getsockname()[1]
    return runner, port


class OpsServer:
    """Serve the ops endpoints (and a webhook route when given) on host:port."""

    def __init__(
        self,
        services: readiness.Services,
        metrics: Metrics | None,
        host: str,
        port: int,
        *,
        pacing_rate: Callable[[], float | None] = lambda: None,
    ) -> None:
        self.services = services
        self.metrics = metrics
        self.host = host
        self.port = port  # the bound one once started (0 asks for any free port)
        self.pacing_rate = pacing_rate
        self.webhook: tuple[str, Handler] | None = None  # (path, handler), set before start
        self._runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def web_app(self) -> web.Application:
        app = web.Application(client_max_size=MAX_BODY)
        app.router.add_get("/healthz", self.healthz)
        app.router.add_get("/readyz", self.readyz)
        app.router.add_get("/metrics", self.metrics_page)
        if self.webhook is not None:
            path, handler = self.webhook
            app.router.add_post(path, handler)
        return app

    async def start(self) -> None:
        """Listen; OSError (e.g. the port is taken) is the caller's to report."""
        self._runner, self.port = await listen(self.web_app(), self.host, self.port)
        logger.info("HTTP server listening on %s", self.url)

    async def stop(self) -> None:
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    # ---------------------------------------------------------------- endpoints

    async def healthz(self, request: web.Request) -> web.Response:
        """Alive: the event loop answers."""
        return web.json_response({"status": "ok"})

    async def readyz(self, request: web.Request) -> web.Response:
        """Ready (200) or not (503), with the reasons."""
        result = await readiness.check(self.services)
        return web.json_response(result.as_json(), status=200 if result.ready else 503)

    async def metrics_page(self, request: web.Request) -> web.Response:
        """Prometheus text format; the database gauges are read now."""
        if self.metrics is None:
            raise web.HTTPNotFound(text="metrics are off\n")
        outbox = await readiness.outbox_state(self.services)
        body = self.metrics.scraped(self.services.status, outbox, self.pacing_rate())
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})
