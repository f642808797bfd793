"""Webhook mode and the HTTP server, end to end in one process: the real Application, its Bot API
calls over HTTP to the double, Telegram's posts over HTTP to the bot's own server."""

from __future__ import annotations

from pathlib import Path

import aiohttp
import pytest

from bot.content import Content
from bot.ops.status import Problem
from bot.serving import stop_serving
from bot.telegram.webhook import ALLOWED_UPDATES
from tests import builders as b
from tests.fakes.botapi import FakeBotApi, FakeRequest
from tests.fakes.webhook import WebhookBotApi
from tests.opskit import WEBHOOK_SECRET, WEBHOOK_URL, start_bot

CHAT = 616161


async def test_a_resident_journey_over_the_webhook(tmp_path: Path, content: Content):
    bot = await start_bot(tmp_path, content)
    try:
        (hook,) = bot.api.sent("setWebhook")
        assert hook.params["url"] == WEBHOOK_URL
        assert hook.params["secret_token"] == WEBHOOK_SECRET
        assert hook.params["allowed_updates"] == ALLOWED_UPDATES
        assert hook.params.get("drop_pending_updates") in (False, None), "pending updates kept"
        # All three at once: Telegram gets its 200 before any is handled, and per-chat
        # ordering keeps them in sequence.
        for text in ("/start", "MK6 2LP", "/nag"):
            assert await bot.api.post(b.text_update(CHAT, text)) == 200

        def card_sent() -> bool:
            return any("Next meeting" in t for t in bot.api.texts(CHAT))

        await bot.api.wait_for(card_sent, timeout=30)
        texts = bot.api.texts(CHAT)
        welcome = next(i for i, t in enumerate(texts) if "Welcome to" in t)
        area = next(i for i, t in enumerate(texts) if "Your area is now" in t)
        card = next(i for i, t in enumerate(texts) if "Next meeting" in t)
        assert welcome < area < card, "updates of one chat are handled in order"
        assert "Fishermead" in texts[card]
        assert bot.api.conflicts == 0 and not bot.api.sent("getUpdates"), "no polling"

        m = await bot.metrics()
        assert m[("safermk_updates_total", (("kind", "message"),))] == 3
        assert m[("safermk_webhook_updates_total", ())] == 3
        assert m[("safermk_replies_sent_total", ())] >= 3
        ok = (("method", "sendMessage"), ("outcome", "ok"))
        assert m[("safermk_bot_api_calls_total", ok)] >= 3
        assert m[("safermk_bot_api_calls_total", (("method", "setWebhook"), ("outcome", "ok")))]
        assert m[("safermk_db_seconds_count", ())] > 0
        assert m[("safermk_pacing_rate_per_second", ())] == 30
        assert m[("safermk_outbox_due_rows", ())] == 0
        assert m[("safermk_handler_errors_total", ())] == 0
        status, text = await bot.get("/metrics")
        assert str(CHAT) not in text, "no chat id in any label"
    finally:
        await bot.stop()


async def test_a_request_without_the_secret_or_with_a_wrong_one_is_refused_and_counted(
    tmp_path: Path, content: Content
):
    bot = await start_bot(tmp_path, content)
    try:
        assert await bot.api.post(b.text_update(CHAT, "/start"), secret=None) == 403
        assert await bot.api.post(b.text_update(CHAT, "/start"), secret="wrong" * 8) == 403
        assert await bot.api.post(b.text_update(CHAT, "/start"), secret="ünïcode") == 403
        m = await bot.metrics()
        assert m[("safermk_webhook_refused_total", (("reason", "secret"),))] == 3
        assert m.get(("safermk_webhook_updates_total", ()), 0) == 0
        assert m[("safermk_updates_total", (("kind", "message"),))] == 0
        assert bot.api.texts(CHAT) == [], "nothing refused reached the handlers"
    finally:
        await bot.stop()


async def test_bad_bodies_get_400_never_a_traceback(tmp_path: Path, content: Content):
    bot = await start_bot(tmp_path, content)
    try:
        update = b.text_update(CHAT, "/start")
        for body in (
            b"{not json",
            b"[1, 2]",
            b'{"message": {}}',  # no update_id
            b'{"update_id": 1, "message": "a string"}',
            b"\xff\xfe",
            b'{"update_id": 1, "pad": "' + b"x" * (1024 * 1024) + b'"}',  # over 1 MB
        ):
            assert await bot.api.post(update, body=body) == 400, body[:40]
        m = await bot.metrics()
        assert m[("safermk_webhook_refused_total", (("reason", "bad_request"),))] == 6
        assert await bot.api.post(update) == 200, "and the next good one is taken"
        await bot.api.wait_for(lambda: bool(bot.api.texts(CHAT)), timeout=30)
    finally:
        await bot.stop()


async def test_healthz_and_readyz_follow_a_read_only_database(tmp_path: Path, content: Content):
    bot = await start_bot(tmp_path, content)
    try:
        assert await bot.get_json("/healthz") == (200, {"status": "ok"})
        status, ready = await bot.get_json("/readyz")
        assert status == 200 and ready["status"] == "ready" and ready["reasons"] == []
        assert ready["database"] == "writable"
        # SQLite's own read-only path (as tests/faults.py's DbOutage makes it).
        await bot.services.db.execute("PRAGMA query_only = 1")
        status, ready = await bot.get_json("/readyz")
        assert status == 503, ready
        assert ready["status"] == "not ready" and ready["database"] == "read-only"
        assert any(r.startswith("database_unwritable") for r in ready["reasons"])
        assert bot.services.status.is_open(Problem.DATABASE_UNWRITABLE)
        m = await bot.metrics()
        assert m[("safermk_problem_open", (("problem", "database_unwritable"),))] == 1
        assert (await bot.get_json("/healthz"))[0] == 200, "alive all the same"
        await bot.services.db.execute("PRAGMA query_only = 0")
        status, ready = await bot.get_json("/readyz")
        assert status == 200 and ready["reasons"] == [], ready
        assert not bot.services.status.is_open(Problem.DATABASE_UNWRITABLE)
    finally:
        await bot.stop()


async def test_readyz_turns_503_when_the_bot_api_has_been_silent_too_long(
    tmp_path: Path, content: Content
):
    bot = await start_bot(tmp_path, content, extra="  api_silence_seconds: 60\n")
    try:
        assert (await bot.get_json("/readyz"))[0] == 200
        bot.clock.advance(seconds=61)
        status, ready = await bot.get_json("/readyz")
        assert status == 503 and ready["reasons"][0].startswith("bot_api_unreachable"), ready
        await bot.app.bot.get_webhook_info()  # a successful call: the problem is over
        assert (await bot.get_json("/readyz"))[0] == 200
    finally:
        await bot.stop()


async def test_switching_back_to_polling_deletes_the_webhook(tmp_path: Path, content: Content):
    api = WebhookBotApi()
    first = await start_bot(tmp_path / "a", content, api=api)
    await first.stop()
    assert api.webhook is not None, "stopping keeps the webhook (Telegram holds updates)"
    # The same bot (the same double: Telegram remembers the webhook) restarted in polling mode.
    bot = await start_bot(tmp_path / "b", content, webhook=False, api=api)
    try:
        assert bot.services.server is not None, "http.port given: the server runs in polling too"
        assert bot.app.updater is not None
        await bot.app.updater.start_polling(allowed_updates=ALLOWED_UPDATES)
        assert api.sent("deleteWebhook"), "python-telegram-bot's start_polling deletes it"
        assert api.webhook is None and api.conflicts == 0
        api.push(b.text_update(CHAT, "/start"))
        await api.wait_for(lambda: any("Welcome to" in t for t in api.texts(CHAT)), timeout=30)
        m = await bot.metrics()
        assert m[("safermk_updates_total", (("kind", "message"),))] == 1
        gets = (("method", "getUpdates"), ("outcome", "ok"))
        assert m[("safermk_bot_api_calls_total", gets)] >= 1
        await bot.app.updater.stop()
    finally:
        await bot.stop()


async def test_polling_without_http_keys_runs_no_server(tmp_path: Path, content: Content):
    from bot.app import build_application, make_services
    from bot.plumbing.config import load_config
    from tests.conftest import write_config

    services = make_services(load_config(write_config(tmp_path), env={}), content)
    build_application(services)
    assert services.server is None


async def test_stopping_refuses_new_updates_and_handles_those_accepted(
    tmp_path: Path, content: Content
):
    bot = await start_bot(tmp_path, content)
    try:
        assert await bot.api.post(b.text_update(CHAT, "/start")) == 200
        # run_webhook's order: the server stops taking updates, then the Application drains.
        await stop_serving(bot.services)
        with pytest.raises(aiohttp.ClientConnectionError):
            await bot.api.post(b.text_update(CHAT, "/help"))  # Telegram will send it again
        await bot.app.stop()
        assert any("Welcome to" in t for t in bot.api.texts(CHAT)), "the accepted one was handled"
    finally:
        await bot.stop()


async def test_a_port_in_use_stops_the_start_with_one_line(tmp_path: Path, content: Content):
    import socket

    from bot.app import build_application, make_services, startup
    from bot.plumbing.config import load_config
    from tests.conftest import write_config

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        cfg = load_config(write_config(tmp_path, f"http:\n  port: {port}\n"), env={})
        services = make_services(cfg, content)
        app = build_application(services, request=FakeRequest(FakeBotApi()))
        await app.initialize()
        try:
            with pytest.raises(RuntimeError) as err:
                await startup(app)
            assert str(err.value).startswith(f"cannot listen on 127.0.0.1:{port} (http.host")
        finally:
            await services.db.close()
            await app.shutdown()
