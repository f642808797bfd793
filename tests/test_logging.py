"""The bot token never reaches the logs, not even inside a network error's text."""

from __future__ import annotations

import io
import logging

import pytest
from telegram.error import NetworkError

from bot.plumbing.logsetup import RedactingFilter, redact, setup_logging
from bot.telegram.http import BotApiRequest

REAL_SHAPED = "1234567890:" + "AbCdEfGhIjKlMnOpQrStUvWxYz012345678"  # built at run time


@pytest.fixture
def log_stream():
    stream = io.StringIO()
    setup_logging(logging.DEBUG, secrets=("my-secret-token-value",), stream=stream)
    yield stream
    setup_logging(logging.WARNING)


def test_token_shapes_redacted_in_messages_args_and_tracebacks(log_stream: io.StringIO):
    log = logging.getLogger("bot.test")
    log.info("calling https://api.telegram.org/bot%s/getMe", REAL_SHAPED)
    log.warning("configured secret my-secret-token-value leaked?")
    try:
        raise RuntimeError(f"connect to /bot{REAL_SHAPED}/sendMessage failed")
    except RuntimeError:
        log.exception("network problem")
    out = log_stream.getvalue()
    assert REAL_SHAPED not in out and REAL_SHAPED.split(":")[1] not in out
    assert "my-secret-token-value" not in out
    assert out.count("[REDACTED-TOKEN]") >= 3
    assert "network problem" in out and "RuntimeError" in out


def test_http_libraries_are_quiet_at_info(log_stream: io.StringIO):
    assert logging.getLogger("httpx").getEffectiveLevel() == logging.WARNING
    assert logging.getLogger("httpcore").getEffectiveLevel() == logging.WARNING
    logging.getLogger("httpx").info(
        "HTTP Request: POST https://api.telegram.org/bot%s/x", REAL_SHAPED
    )
    assert REAL_SHAPED not in log_stream.getvalue()


async def test_network_error_from_transport_carries_no_url(log_stream: io.StringIO):
    req = BotApiRequest(connect_timeout=2, read_timeout=2)
    await req.initialize()
    try:
        with pytest.raises(NetworkError) as info:
            # Port 9 on loopback: nothing listens, so the connection is refused at once.
            await req.do_request(f"http://127.0.0.1:9/bot{REAL_SHAPED}/getMe", "POST")
    finally:
        await req.shutdown()
    assert REAL_SHAPED not in str(info.value)
    logging.getLogger("telegram.ext").error("polling failed", exc_info=info.value)
    assert REAL_SHAPED not in log_stream.getvalue()
    assert isinstance(info.value.__cause__, ConnectionRefusedError)


def test_redact_helper():
    assert redact(f"x {REAL_SHAPED} y") == "x [REDACTED-TOKEN] y"
    f = RedactingFilter()
    rec = logging.LogRecord("n", logging.INFO, "p", 1, "token %s", (REAL_SHAPED,), None)
    f.filter(rec)
    assert REAL_SHAPED not in rec.getMessage()
