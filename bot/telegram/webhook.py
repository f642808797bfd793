"""Webhook mode: Telegram posts each update to our HTTP server instead of our polling for it.

The route (the path of telegram.webhook_url) checks the secret_token Telegram sends in the
X-Telegram-Bot-Api-Secret-Token header in constant time, refuses anything else (403, counted),
turns the body into an Update and puts it on the Application's update_queue, then answers 200 at
once: the update is handled by the same PerChatOrderedProcessor, in the same per-chat order, as a
polled one. A body that is not an update (not JSON, too big, not an object with an update_id)
gets 400 and is never logged (it would carry a resident's message).

`run_webhook` runs the Application without its Updater (python-telegram-bot's custom webhook
example), the way `run_polling` runs it with one: the same start-up, signals and shutdown.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import signal
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from telegram.error import TelegramError
from telegram.ext import Application

from bot.ops.metrics import Metrics
from bot.telegram.http import decode_json
from bot.telegram.updates import parse_update

logger = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
# The updates the bot handles, in both modes (bot/cli.py passes the same list to run_polling).
ALLOWED_UPDATES = ["message", "callback_query", "my_chat_member"]


def _bytes(value: str) -> bytes:
    return value.encode("utf-8", "surrogateescape")


class WebhookReceiver:
    """The aiohttp handler of the webhook route."""

    def __init__(
        self, app: Application[Any, Any, Any, Any, Any, Any], secret: str, metrics: Metrics | None
    ) -> None:
        self.app = app
        self._secret = _bytes(secret)
        self.metrics = metrics

    def _refuse(self, reason: str, status: int, text: str) -> web.Response:
        if self.metrics is not None:
            self.metrics.refused(reason)
        return web.json_response({"error": text}, status=status)

    async def handle(self, request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER)
        # compare_digest on bytes: constant time for any input, including non-ASCII headers.
        if given is None or not hmac.compare_digest(_bytes(given), self._secret):
            logger.warning("Webhook request refused: missing or wrong secret token")
            return self._refuse("secret", 403, "forbidden")
        try:
            body = await request.read()
        except web.HTTPRequestEntityTooLarge:
            return self._refuse("bad_request", 400, "body too large")
        try:
            data = decode_json(body)
        except TelegramError:
            return self._refuse("bad_request", 400, "not JSON")
        if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
            return self._refuse("bad_request", 400, "not an update")
        try:
            update = parse_update(data, self.app.bot)
        except Exception:  # noqa: BLE001 - any malformed part: 400, never a traceback
            return self._refuse("bad_request", 400, "not an update")
        if self.metrics is not None:
            self.metrics.webhook_updates.inc()
        # Handled later by the Application's processor: Telegram gets its answer now.
        self.app.update_queue.put_nowait(update)
        return web.Response(status=200)


async def set_webhook(
    app: Application[Any, Any, Any, Any, Any, Any], url: str, secret: str
) -> None:
    """Ask Telegram to post updates to `url` with `secret`; pending updates are kept, as polling
    keeps them (bot/cli.py), and the same kinds are asked for."""
    await app.bot.set_webhook(
        url=url,
        secret_token=secret,
        allowed_updates=ALLOWED_UPDATES,
        drop_pending_updates=False,
    )
    logger.info("Webhook set: Telegram posts updates to the configured telegram.webhook_url")


def _exit() -> None:
    raise SystemExit  # out of run_until_complete or run_forever, as run_polling's handler does


def run_webhook(
    app: Application[Any, Any, Any, Any, Any, Any],
    loop: asyncio.AbstractEventLoop,
    stop_intake: Callable[[], Awaitable[None]],
) -> None:
    """Run the (initialised) Application without its Updater until SIGINT or SIGTERM or
    `app.stop_running()`, then stop and shut it down like `run_polling` does.

    post_init (bot/app.py: startup) starts the HTTP server and sets the webhook. On the way out
    `stop_intake` (stopping the server) runs *before* the Application stops: an update accepted
    after that would be answered 200 and then dropped with the rest of the queue, where a
    refused connection makes Telegram send it again later. `loop` is closed at the end, as
    run_polling closes its loop.
    """
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, _exit)
    try:
        if app.post_init:
            loop.run_until_complete(app.post_init(app))
        loop.run_until_complete(app.start())
        loop.run_forever()  # until a signal, or app.stop_running() stops the loop
    except (KeyboardInterrupt, SystemExit):
        logger.debug("Stop signal received: shutting down")
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
        try:
            loop.run_until_complete(stop_intake())
            if app.running:
                loop.run_until_complete(app.stop())  # handles what was queued, then stops
                if app.post_stop:
                    loop.run_until_complete(app.post_stop(app))
            loop.run_until_complete(app.shutdown())
            if app.post_shutdown:
                loop.run_until_complete(app.post_shutdown(app))
        finally:
            loop.close()
