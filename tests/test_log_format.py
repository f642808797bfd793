"""`logging.format: json`: one JSON object a line, redacted exactly as the text lines are."""

from __future__ import annotations

import io
import json
import logging
import sys
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest

from bot.plumbing.logsetup import REDACTED, install_excepthooks, setup_logging

# Built at run time so no token-shaped literal sits in the source.
REAL_SHAPED = "1234567890:" + "AbCdEfGhIjKlMnOpQrStUvWxYz012345678"
CONFIGURED = "my-secret-token-value"


@pytest.fixture
def json_stream() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    setup_logging(logging.DEBUG, secrets=(CONFIGURED,), stream=stream, log_format="json")
    yield stream
    setup_logging(logging.WARNING)


def _records(stream: io.StringIO) -> list[dict[str, str]]:
    lines = stream.getvalue().splitlines()
    assert lines, "something was logged"
    return [json.loads(line) for line in lines]  # each line parses on its own


def test_each_line_is_one_json_object_with_the_fields(json_stream: io.StringIO):
    logging.getLogger("bot.test").info("started with %d NAGs", 28)
    logging.getLogger("bot.other").warning("two\nlines")
    first, second = _records(json_stream)
    assert first["level"] == "INFO" and first["logger"] == "bot.test"
    assert first["message"] == "started with 28 NAGs"
    assert "exc_info" not in first
    when = datetime.fromisoformat(first["time"])
    assert when.utcoffset() == timedelta(0), "the time is UTC"
    assert abs(datetime.now(when.tzinfo) - when) < timedelta(minutes=1)
    assert second["message"] == "two\nlines" and second["level"] == "WARNING"


def test_token_in_message_and_traceback_is_redacted(json_stream: io.StringIO):
    log = logging.getLogger("bot.test")
    log.info("calling https://api.telegram.org/bot%s/getMe", REAL_SHAPED)
    log.warning("configured secret %s leaked?", CONFIGURED)
    try:
        raise RuntimeError(f"connect to /bot{REAL_SHAPED}/sendMessage as {CONFIGURED} failed")
    except RuntimeError:
        log.exception("network problem")
    out = json_stream.getvalue()
    assert REAL_SHAPED not in out and REAL_SHAPED.split(":")[1] not in out
    assert CONFIGURED not in out
    calling, leaked, problem = _records(json_stream)
    assert calling["message"] == f"calling https://api.telegram.org/bot{REDACTED}/getMe"
    assert leaked["message"] == f"configured secret {REDACTED} leaked?"
    assert problem["message"] == "network problem" and problem["level"] == "ERROR"
    trace = problem["exc_info"]
    assert trace.startswith("Traceback") and "RuntimeError: connect to /bot" in trace
    assert trace.count(REDACTED) == 2


def test_text_format_is_still_the_default():
    stream = io.StringIO()
    setup_logging(logging.INFO, stream=stream)
    try:
        logging.getLogger("bot.test").info("plain")
    finally:
        setup_logging(logging.WARNING)
    line = stream.getvalue()
    assert line.rstrip().endswith("INFO bot.test: plain")
    with pytest.raises(json.JSONDecodeError):
        json.loads(line)


def test_uncaught_errors_are_json_lines_too(
    json_stream: io.StringIO, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Python's own hooks come back after the test.
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    monkeypatch.setattr(threading, "excepthook", threading.excepthook)
    monkeypatch.setattr(sys, "unraisablehook", sys.unraisablehook)
    # A secret with characters json.dumps escapes: redacted before, so still found.
    odd = 'se"cret\\value'
    install_excepthooks((CONFIGURED, odd), stream=json_stream)

    def fail() -> None:
        raise RuntimeError(f"GET /bot{REAL_SHAPED}/getMe as {CONFIGURED} with {odd}")

    try:
        fail()
    except RuntimeError as exc:
        sys.excepthook(type(exc), exc, exc.__traceback__)
    worker = threading.Thread(target=fail, name="worker")
    worker.start()
    worker.join()
    main, thread = _records(json_stream)
    assert main["level"] == thread["level"] == "CRITICAL"
    assert main["message"].startswith("RuntimeError: GET /bot" + REDACTED)
    assert thread["message"] == "Uncaught error in worker:"
    for entry in (main, thread):
        assert entry["exc_info"].startswith("Traceback") and entry["exc_info"].count(REDACTED) == 3
        assert REAL_SHAPED not in str(entry) and CONFIGURED not in str(entry)
        assert odd not in entry["exc_info"] and odd not in entry["message"]
