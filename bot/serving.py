"""The composition root's operations part: the HTTP server (with the webhook route in webhook
mode), the officers' web console (its own server, bot/console/), the readiness and metrics hooks
into the transport, the database and the sender, and the jobs that keep readiness current.
bot/app.py calls `wire_ops` and `wire_console` when it builds the Application and
`start_serving` / `stop_serving` from post_init / post_shutdown.
"""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import Application, TypeHandler
from telegram.request import BaseRequest

from bot.console.pages import PAGES
from bot.console.server import ConsoleServer
from bot.context import BotContext, Services
from bot.ops import readiness
from bot.ops.server import OpsServer
from bot.plumbing.config_http import webhook_path
from bot.telegram.http import BotApiRequest
from bot.telegram.pacing import Pacer
from bot.telegram.processing import PerChatOrderedProcessor
from bot.telegram.webhook import WebhookReceiver, set_webhook

# Before every other group (bot.handlers.registry.Group starts at -30): each update is counted
# once, whichever handlers then take it.
METRICS_GROUP = -1000
OPS_CHECK_S = 30.0  # how often readiness problems are checked without anyone asking /readyz
WEBHOOK_INFO_S = 60.0  # webhook mode: a cheap Bot API call, so a quiet bot still sees the API


def wire_ops(
    app: Application[Any, Any, Any, Any, Any, Any],
    services: Services,
    with_metrics: bool,
    requests: tuple[BaseRequest, ...],
) -> None:
    """Readiness and metrics hooks, the HTTP server (webhook route included) and its jobs."""
    cfg, status, m = services.config, services.status, services.metrics

    def observe(url: str, code: int) -> None:
        if code == 200:
            status.api_ok()
        if with_metrics:
            m.api_call(url, code)

    for req in requests:  # sending, getUpdates
        if isinstance(req, BotApiRequest):
            req.observe = observe
    if with_metrics:

        async def count_update(update: Update, context: BotContext) -> None:
            m.update_seen(update)

        async def count_error(update: object, context: BotContext) -> None:
            m.handler_errors.inc()

        app.add_handler(TypeHandler(Update, count_update), group=METRICS_GROUP)
        app.add_error_handler(count_error)
        services.db.on_timed = m.db_seconds.observe
        services.delivery.on_outcome = m.broadcast_outcome
        services.surveys.on_complete = m.survey_completions.inc
        if isinstance(app.update_processor, PerChatOrderedProcessor):
            m.watch_flood(app.update_processor)
    http = cfg.settings.http
    if http.wanted(cfg.webhook):
        pacer = app.bot.rate_limiter
        server = OpsServer(
            services,
            m if with_metrics else None,
            http.host,
            http.bind_port,
            pacing_rate=lambda: pacer.rate if isinstance(pacer, Pacer) else None,
        )
        if cfg.webhook and cfg.settings.telegram.webhook_url is not None:
            receiver = WebhookReceiver(app, cfg.webhook_secret, m if with_metrics else None)
            server.webhook = (webhook_path(cfg.settings.telegram.webhook_url), receiver.handle)
        services.server = server
    if app.job_queue is not None:

        async def ops_check(context: BotContext) -> None:
            await readiness.check(context.services)

        app.job_queue.run_repeating(ops_check, OPS_CHECK_S, name="ops-check")
        if cfg.webhook:

            async def webhook_info(context: BotContext) -> None:
                await context.bot.get_webhook_info()  # its success is what readiness needs

            app.job_queue.run_repeating(webhook_info, WEBHOOK_INFO_S, name="webhook-info")


def wire_console(app: Application[Any, Any, Any, Any, Any, Any], services: Services) -> None:
    """The officers' web console (console.enabled), served beside the ops server."""
    if not services.config.settings.console.enabled:
        return

    def bot_username() -> str | None:
        try:
            return app.bot.username
        except RuntimeError:  # not initialised yet
            return None

    services.console_server = ConsoleServer(services, PAGES, bot_username)


async def start_serving(app: Application[Any, Any, Any, Any, Any, Any], s: Services) -> None:
    """Listen (when configured), then in webhook mode tell Telegram where to post updates."""
    if s.server is not None:
        try:
            await s.server.start()
        except OSError as exc:
            http = s.config.settings.http
            raise RuntimeError(
                f"cannot listen on {http.host}:{http.bind_port} (http.host, http.port): "
                f"{exc.strerror or exc}"
            ) from None
    if s.console_server is not None:
        try:
            await s.console_server.start()
        except OSError as exc:
            if s.server is not None:
                await s.server.stop()
            c = s.config.settings.console
            raise RuntimeError(
                f"cannot listen on {c.host}:{c.port} (console.host, console.port): "
                f"{exc.strerror or exc}"
            ) from None
    if s.config.webhook:
        url = s.config.settings.telegram.webhook_url
        assert url is not None  # checked with the config
        await set_webhook(app, url, s.config.webhook_secret)


async def stop_serving(s: Services) -> None:
    """Stop listening. The webhook stays set: Telegram keeps what arrives while the bot is
    down (a restart, say) and posts it when the bot is back."""
    if s.server is not None:
        await s.server.stop()
    if s.console_server is not None:
        await s.console_server.stop()
