"""End to end: `safermk-bot run` as a subprocess against a fake Bot API HTTP server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import pytest

from tests import builders as b
from tests.conftest import TEST_TOKEN, write_config
from tests.fakes.proxy import ConnectProxy
from tests.fakes.server import FakeBotApiServer

CHAT = 515151


@pytest.mark.parametrize("through_proxy", [False, True], ids=["direct", "through a proxy"])
async def test_start_area_nag_over_real_http(tmp_path: Path, through_proxy: bool):
    server = await FakeBotApiServer().start()
    config = write_config(tmp_path)
    env = {
        **os.environ,
        "TELEGRAM_API_URL": server.url,
        "TELEGRAM_BOT_TOKEN": TEST_TOKEN,
    }
    proxy = None
    if through_proxy:  # telegram.proxy: the start-up check, polling and replies all tunnel
        proxy = await ConnectProxy(credential="mk:proxy-pw").start()
        env["TELEGRAM_PROXY"] = proxy.url("mk:proxy-pw")
    exe = Path(sys.executable).parent / "safermk-bot"
    proc = await asyncio.create_subprocess_exec(
        str(exe),
        "run",
        "--config",
        str(config),
        env=env,
        cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        # All three at once: per-chat ordering must keep them in sequence.
        server.push(b.text_update(CHAT, "/start"))
        server.push(b.text_update(CHAT, "MK6 2LP"))
        server.push(b.text_update(CHAT, "/nag"))

        def card_sent() -> bool:
            return any("Next meeting" in t for t in server.api.texts(CHAT))

        # Wait for the card, but stop at once if the bot process exits instead.
        exited = asyncio.ensure_future(proc.wait())
        waiting = asyncio.ensure_future(server.wait_for(card_sent, timeout=60))
        await asyncio.wait({exited, waiting}, return_when=asyncio.FIRST_COMPLETED)
        if exited.done():
            waiting.cancel()
            _, err = await proc.communicate()
            raise AssertionError(
                f"the bot exited early ({proc.returncode}): {err.decode()[-2000:]}"
            )
        exited.cancel()
        waiting.result()
        texts = server.api.texts(CHAT)
        welcome = next(i for i, t in enumerate(texts) if "Welcome to" in t)
        area = next(i for i, t in enumerate(texts) if "Your area is now" in t)
        card = next(i for i, t in enumerate(texts) if "Next meeting" in t)
        assert welcome < area < card, "updates of one chat are handled in order"
        assert "Fishermead" in texts[card]
        assert server.tokens_seen == {TEST_TOKEN}, "requests go to {api_url}/bot{token}/{method}"
        assert server.api.sent("setMyCommands"), "the command menu was published at start"
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGTERM)
        stdout, stderr = await asyncio.wait_for(proc.communicate(), timeout=30)
        await server.stop()
        if proxy is not None:
            await proxy.stop()
    log = (stdout + stderr).decode()
    assert proc.returncode == 0, log
    assert TEST_TOKEN not in log and TEST_TOKEN.split(":")[1] not in log
    if proxy is not None:
        host = server.url.removeprefix("http://")
        assert proxy.tunnels >= 2 and set(proxy.targets) == {host}, "every connection tunnels"
        assert set(proxy.credentials) == {"mk:proxy-pw"}
        assert "proxy-pw" not in log
    assert "Starting: 28 NAGs" in log
    db = tmp_path / "bot.sqlite3"
    assert db.exists()
