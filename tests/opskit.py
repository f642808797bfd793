"""A running bot for the HTTP server's tests: the real Application, started as `run` starts it
(post_init, Application.start), its Bot API calls going over HTTP to the double on 127.0.0.1,
and its own server on 127.0.0.1 at a free port. Every handler error fails the test."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import aiohttp
from prometheus_client.parser import text_string_to_metric_families
from telegram.ext import Application

from bot.app import build_application, make_services, shutdown, startup
from bot.content import Content
from bot.context import Services
from bot.ops.server import OpsServer
from bot.plumbing.clock import FixedClock
from bot.plumbing.config import load_config
from bot.serving import stop_serving
from bot.telegram.pacing import Pacer
from tests.conftest import LONDON, write_config
from tests.fakes.server import FakeBotApiServer
from tests.fakes.webhook import WebhookBotApi

WEBHOOK_URL = "https://bot.example.org/telegram/updates"
WEBHOOK_SECRET = "webhook-secret-for-tests-" + "x" * 20


@dataclass
class Bot:
    app: Application[Any, Any, Any, Any, Any, Any]
    services: Services
    api: WebhookBotApi
    api_server: FakeBotApiServer
    clock: FixedClock
    errors: list[BaseException] = field(default_factory=list)
    started: bool = False

    @property
    def server(self) -> OpsServer:
        assert isinstance(self.services.server, OpsServer)
        return self.services.server

    async def get(self, path: str) -> tuple[int, str]:
        async with aiohttp.ClientSession() as session:
            async with session.get(self.server.url + path) as resp:
                return resp.status, await resp.text()

    async def get_json(self, path: str) -> tuple[int, dict[str, Any]]:
        async with aiohttp.ClientSession() as session:
            async with session.get(self.server.url + path) as resp:
                return resp.status, await resp.json()

    async def metrics(self) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
        """Every sample of /metrics, parsed by prometheus-client: (name, labels) -> value."""
        status, text = await self.get("/metrics")
        assert status == 200, text
        out: dict[tuple[str, tuple[tuple[str, str], ...]], float] = {}
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                out[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
        return out

    async def stop(self) -> None:
        if self.started:
            self.started = False
            await stop_serving(self.services)  # as run_webhook: no intake, then drain
            if self.app.running:
                await self.app.stop()
            await shutdown(self.app)
            await self.app.shutdown()
        await self.api_server.stop()
        assert not self.errors, f"handler errors: {self.errors!r}"


async def start_bot(
    tmp_path: Path,
    content: Content,
    *,
    webhook: bool = True,
    extra: str = "",
    api: WebhookBotApi | None = None,
    metrics: bool = True,
) -> Bot:
    """Start the bot (webhook mode unless told otherwise) against a fresh HTTP double."""
    api = api or WebhookBotApi()
    tmp_path.mkdir(parents=True, exist_ok=True)
    api_server = await FakeBotApiServer(api).start()
    telegram = (
        f'  mode: webhook\n  webhook_url: "{WEBHOOK_URL}"\n  webhook_secret: "{WEBHOOK_SECRET}"\n'
        if webhook
        else ""
    )
    path = write_config(tmp_path, f"http:\n  port: 0\n{extra}")
    # The telegram section is write_config's: add the webhook keys to it.
    text = path.read_text(encoding="utf-8").replace(
        'api_url: "http://127.0.0.1:9"\n', f'api_url: "{api_server.url}"\n{telegram}'
    )
    path.write_text(text, encoding="utf-8")
    cfg = load_config(path, env={})
    clock = FixedClock(datetime(2026, 11, 23, 12, 0, tzinfo=LONDON))
    services = make_services(cfg, content, clock)
    app = build_application(services, metrics=metrics)
    pacer = app.bot.rate_limiter
    assert isinstance(pacer, Pacer)
    pacer.use_virtual_time()  # no test waits for the pacer in real time
    bot = Bot(app, services, api, api_server, clock)

    async def record(update: object, context: Any) -> None:
        bot.errors.append(context.error)

    app.add_error_handler(record)
    await app.initialize()
    bot.started = True
    await startup(app)
    await app.start()
    if services.server is not None:
        api.local = bot.server.url
    return bot
