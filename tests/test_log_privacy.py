"""With -v (DEBUG) the log still holds no message text, no name and no chat id."""

from __future__ import annotations

import io
import logging
from pathlib import Path

from bot.content import Content
from bot.plumbing.logsetup import setup_logging
from tests import builders as b
from tests.conftest import close_harness, make_harness

CHAT = 987654321
NAME = "Zebedee"
TEXT = "my neighbour on Quxbridge Lane keeps shouting"


async def test_debug_logging_keeps_residents_out_of_the_log(tmp_path: Path, content: Content):
    stream = io.StringIO()
    setup_logging(logging.DEBUG, stream=stream)
    try:
        h = await make_harness(tmp_path, content)
        try:
            update = b.text_update(CHAT, TEXT)
            update["message"]["from"]["first_name"] = NAME
            update["message"]["chat"]["first_name"] = NAME
            await h.push(update)
            await h.send(CHAT, "/start")
            await h.send(CHAT, "MK6 2LP")
            assert h.api.texts(CHAT), "the bot did answer"
        finally:
            await close_harness(h)
    finally:
        setup_logging(logging.WARNING)
    log = stream.getvalue()
    assert "DEBUG" in log or "INFO" in log, "the log was captured"
    assert TEXT not in log and "Quxbridge" not in log
    assert NAME not in log
    assert str(CHAT) not in log
    assert "MK6 2LP" not in log


def test_libraries_stay_quiet_with_verbose():
    setup_logging(logging.DEBUG, stream=io.StringIO())
    try:
        for name in ("telegram", "telegram.ext", "telegram.ext.ExtBot", "aiosqlite"):
            assert logging.getLogger(name).getEffectiveLevel() >= logging.INFO, name
        for name in ("httpx", "httpcore", "apscheduler"):
            assert logging.getLogger(name).getEffectiveLevel() >= logging.WARNING, name
        assert logging.getLogger("bot.handlers.areas").isEnabledFor(logging.DEBUG)
    finally:
        setup_logging(logging.WARNING)


def test_url_encoded_token_is_redacted():
    token = "1234567890" + "%3A" + "AbCdEfGhIjKlMnOpQrStUvWxYzAbCdEfGhI"
    stream = io.StringIO()
    setup_logging(logging.DEBUG, stream=stream)
    try:
        logging.getLogger("bot.test").warning("GET https://proxy/?u=bot%s/getMe", token)
    finally:
        setup_logging(logging.WARNING)
    assert "AbCdEfGhIjKlMnOpQrStUvWxYz" not in stream.getvalue()
    assert "[REDACTED-TOKEN]" in stream.getvalue()
