"""End to end in webhook mode: `safermk-bot run` as a subprocess, Telegram's side (the Bot API
double over HTTP) posting updates to the bot's own server on 127.0.0.1; then SIGTERM, exit 0."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import stat
import sys
from pathlib import Path

import aiohttp

from tests import builders as b
from tests.conftest import ROOT, TEST_TOKEN, write_config
from tests.fakes.server import FakeBotApiServer
from tests.fakes.webhook import WebhookBotApi

CHAT = 525252
LISTENING = re.compile(rb"HTTP server listening on (http://127\.0\.0\.1:\d+)")


async def _listening(stream: asyncio.StreamReader, seen: list[bytes]) -> str:
    """Read the bot's log until it says where it listens (port 0: the system chose)."""
    while line := await stream.readline():
        seen.append(line)
        if m := LISTENING.search(line):
            return m.group(1).decode()
    raise AssertionError("the bot exited before listening: " + b"".join(seen).decode()[-2000:])


async def test_run_in_webhook_mode_over_real_http(tmp_path: Path):
    api = WebhookBotApi()
    server = await FakeBotApiServer(api).start()
    config = write_config(tmp_path, "http:\n  port: 0\n")
    text = config.read_text(encoding="utf-8").replace(
        'api_url: "http://127.0.0.1:9"\n',
        'api_url: "http://127.0.0.1:9"\n  mode: webhook\n'
        '  webhook_url: "https://bot.example.org/hook"\n',
    )
    config.write_text(text, encoding="utf-8")
    env = {**os.environ, "TELEGRAM_API_URL": server.url, "TELEGRAM_BOT_TOKEN": TEST_TOKEN}
    env.pop("TELEGRAM_WEBHOOK_SECRET", None)  # generated beside the database
    # `python -m bot` from this tree (the venv's safermk-bot script may run another checkout).
    env["PYTHONPATH"] = str(ROOT)
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", "-v", "--config", str(config), env=env, cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert proc.stderr is not None
    seen: list[bytes] = []
    try:
        local = await asyncio.wait_for(_listening(proc.stderr, seen), timeout=60)
        await api.wait_for(lambda: api.webhook is not None, timeout=30)
        api.local = local
        secret_file = tmp_path / "webhook-secret"
        assert api.webhook is not None
        assert api.webhook["secret_token"] == secret_file.read_text().strip()
        assert stat.S_IMODE(secret_file.stat().st_mode) == 0o600
        for text in ("/start", "MK6 2LP", "/nag"):
            assert await api.post(b.text_update(CHAT, text)) == 200
        assert await api.post(b.text_update(CHAT, "/start"), secret=None) == 403
        await api.wait_for(lambda: any("Next meeting" in t for t in api.texts(CHAT)), 60)
        async with aiohttp.ClientSession() as session:
            async with session.get(local + "/readyz") as resp:
                assert resp.status == 200, await resp.text()
            async with session.get(local + "/metrics") as resp:
                metrics = await resp.text()
        assert 'safermk_updates_total{kind="message"} 3.0' in metrics
        assert 'safermk_webhook_refused_total{reason="secret"} 1.0' in metrics
        assert not api.sent("getUpdates"), "webhook mode never polls"
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGTERM)
        stdout, stderr = await asyncio.wait_for(proc.communicate(), timeout=30)
        await server.stop()
    log = (b"".join(seen) + stdout + stderr).decode()
    assert proc.returncode == 0, log
    assert TEST_TOKEN.split(":")[1] not in log
    assert api.webhook["secret_token"] not in log, "the webhook secret is redacted"
    assert "Starting: 28 NAGs" in log and "webhook" in log
    assert not api.sent("deleteWebhook"), "the webhook stays set across a restart"


async def test_run_in_polling_mode_after_a_webhook_deletes_it_and_polls(tmp_path: Path):
    api = WebhookBotApi()
    api.webhook = {"url": "https://bot.example.org/hook", "secret_token": "x" * 40}
    server = await FakeBotApiServer(api).start()
    config = write_config(tmp_path)  # telegram.mode left out: polling
    env = {**os.environ, "TELEGRAM_API_URL": server.url, "TELEGRAM_BOT_TOKEN": TEST_TOKEN}
    env["PYTHONPATH"] = str(ROOT)
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", "-v", "--config", str(config), env=env, cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        server.push(b.text_update(CHAT, "/start"))
        exited = asyncio.ensure_future(proc.wait())
        waiting = asyncio.ensure_future(
            api.wait_for(lambda: any("Welcome to" in t for t in api.texts(CHAT)), timeout=60)
        )
        await asyncio.wait({exited, waiting}, return_when=asyncio.FIRST_COMPLETED)
        assert not exited.done(), "the bot exited early"
        exited.cancel()
        waiting.result()
        assert api.webhook is None and api.sent("deleteWebhook")
        assert api.conflicts == 0, "deleteWebhook came before the first getUpdates"
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGTERM)
        stdout, stderr = await asyncio.wait_for(proc.communicate(), timeout=30)
        await server.stop()
    assert proc.returncode == 0, (stdout + stderr).decode()
