"""Logging and last-resort error output: quiet chatty libraries, redact secrets everywhere.

Everything the bot writes to stderr passes through `redact`: log records (via RedactingFilter),
and uncaught exceptions in the main thread, other threads and the event loop (via the hooks
`install_excepthooks` and `loop_exception_handler` set), so neither the configured token nor
anything shaped like a bot token can reach the terminal or a log collector.

Records are written as text lines or, for a log collector, as one JSON object a line
(`logging.format: json`); the redacting filter sits on the handler, so it runs before either
formatter and both carry the same redacted text.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import sys
import threading
import time
import traceback
from collections.abc import Callable
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Literal, TextIO

logger = logging.getLogger(__name__)

# A bot token: the bot's id, a colon (possibly URL-encoded), then 35 characters of secret.
TOKEN_SHAPE = re.compile(r"\d{5,15}(?::|%3[Aa])[A-Za-z0-9_-]{30,}")
REDACTED = "[REDACTED-TOKEN]"


def redact(text: str, secrets: tuple[str, ...] = ()) -> str:
    for s in secrets:
        if s:
            text = text.replace(s, REDACTED)
    return TOKEN_SHAPE.sub(REDACTED, text)


class RedactingFilter(logging.Filter):
    """Rewrites each record's message and traceback text with tokens removed."""

    def __init__(self, secrets: tuple[str, ...] = ()) -> None:
        super().__init__()
        self.secrets = secrets

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a bad format string must not hide the record
            message = str(record.msg)
        record.msg = redact(message, self.secrets)
        record.args = None
        if record.exc_info:
            if not record.exc_text:
                record.exc_text = logging.Formatter().formatException(record.exc_info)
            record.exc_text = redact(record.exc_text, self.secrets)
        if record.stack_info:
            record.stack_info = redact(record.stack_info, self.secrets)
        return True


# Libraries whose DEBUG (or INFO) output carries residents' data or the token, held at a level
# that does not, even with -v: python-telegram-bot logs every request's parameters and every
# answer (message texts, first names, chat ids) at DEBUG; aiosqlite logs each SQL statement
# with its parameters (chat ids) at DEBUG; httpx logs each request URL (with the token) at INFO;
# APScheduler logs each job run at INFO.
QUIET_LOGGERS: dict[str, int] = {
    "telegram": logging.INFO,
    "telegram.ext": logging.INFO,
    "aiosqlite": logging.INFO,
    "httpx": logging.WARNING,
    "httpcore": logging.WARNING,
    "aiohttp.access": logging.WARNING,
    "apscheduler": logging.WARNING,
}


LogFormat = Literal["text", "json"]


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time (ISO 8601, UTC), level, logger, message, exc_info, stack.

    It formats what RedactingFilter left on the record (the message with its arguments merged,
    `exc_text`), so it adds no path around the redaction; json.dumps escapes newlines, so a
    traceback stays inside its line.
    """

    def format(self, record: logging.LogRecord) -> str:
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        return json_line(
            record.created,
            record.levelname,
            record.name,
            record.getMessage(),
            record.exc_text or None,
            record.stack_info or None,
        )


def json_line(
    created: float,
    level: str,
    logger_name: str,
    message: str,
    exc_info: str | None = None,
    stack_info: str | None = None,
) -> str:
    """One log entry as a JSON object on one line (the text given is already redacted)."""
    entry = {
        "time": datetime.fromtimestamp(created, UTC).isoformat(timespec="milliseconds"),
        "level": level,
        "logger": logger_name,
        "message": message,
    }
    if exc_info:
        entry["exc_info"] = exc_info
    if stack_info:
        entry["stack_info"] = stack_info
    return json.dumps(entry, ensure_ascii=False)


def _logging_json() -> bool:
    """Whether setup_logging chose JSON lines, so last-resort output should match them."""
    return any(isinstance(h.formatter, JsonFormatter) for h in logging.getLogger().handlers)


def setup_logging(
    level: int = logging.INFO,
    secrets: tuple[str, ...] = (),
    stream: TextIO | None = None,
    log_format: LogFormat = "text",
) -> None:
    """One stderr handler with the redacting filter; the bot's own loggers at `level`."""
    handler = logging.StreamHandler(stream or sys.stderr)
    if log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    # On the handler, not a logger: handlers filter a record before they format it, and every
    # logger's records reach this one handler.
    handler.addFilter(RedactingFilter(secrets))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    for name, floor in QUIET_LOGGERS.items():
        logging.getLogger(name).setLevel(max(level, floor))


def _formatted(
    exc_type: type[BaseException] | None,
    exc: BaseException | None,
    tb: TracebackType | None,
) -> str:
    if exc_type is None:
        return ""
    return "".join(traceback.format_exception(exc_type, exc, tb))


def install_excepthooks(secrets: tuple[str, ...] = (), stream: TextIO | None = None) -> None:
    """Print uncaught exceptions (main thread, other threads, unraisable) redacted.

    The bot catches the failures it knows; these hooks are for whatever slips through, so even
    an unforeseen traceback (whose frames may hold the token in a URL) is shown without it.
    """

    def write(heading: str | None, trace: str) -> None:
        # Checked at each call: with logging.format json (set up after these hooks), a log
        # collector reading one JSON object a line gets one here too. Redacted before
        # json.dumps, whose escaping could otherwise hide a configured secret from `redact`.
        if _logging_json():
            message = redact(heading or trace.rstrip().rsplit("\n", 1)[-1], secrets)
            text = json_line(time.time(), "CRITICAL", "uncaught", message, redact(trace, secrets))
            text += "\n"
        else:
            text = redact((f"{heading}\n" if heading else "") + trace, secrets)
        out = stream or sys.stderr
        try:
            out.write(text)
            out.flush()
        except (OSError, ValueError):  # stderr closed: nothing more can be said
            pass

    def excepthook(
        exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None
    ) -> None:
        write(None, _formatted(exc_type, exc, tb))

    def thread_hook(args: threading.ExceptHookArgs) -> None:
        if args.exc_type is SystemExit:
            return
        name = args.thread.name if args.thread is not None else "a thread"
        write(
            f"Uncaught error in {name}:",
            _formatted(args.exc_type, args.exc_value, args.exc_traceback),
        )

    def unraisable_hook(args: Any) -> None:
        where = f"{args.err_msg or 'Exception ignored in'}: {args.object!r}"
        write(where, _formatted(args.exc_type, args.exc_value, args.exc_traceback))

    sys.excepthook = excepthook
    threading.excepthook = thread_hook
    sys.unraisablehook = unraisable_hook


def loop_exception_handler(
    secrets: tuple[str, ...] = (),
) -> Callable[[asyncio.AbstractEventLoop, dict[str, Any]], None]:
    """An event-loop exception handler that logs the context and traceback redacted.

    asyncio's default handler formats the exception itself and, when logging is not set up,
    Python's last-resort handler prints it unfiltered; this one redacts before logging.
    """

    def handler(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        exc = context.get("exception")
        lines = [str(context.get("message") or "Unhandled error in the event loop")]
        for key in ("task", "future", "handle"):
            if key in context:
                lines.append(f"{key}: {context[key]!r}")
        if isinstance(exc, BaseException):
            lines.append(_formatted(type(exc), exc, exc.__traceback__).rstrip())
        logging.getLogger("asyncio").error("%s", redact("\n".join(lines), secrets))

    return handler
