"""Logging: quiet HTTP libraries and redact anything shaped like a bot token."""

from __future__ import annotations

import logging
import re
import sys

TOKEN_SHAPE = re.compile(r"\d{5,15}:[A-Za-z0-9_-]{30,}")
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


def setup_logging(level: int = logging.INFO, secrets: tuple[str, ...] = (), stream=None) -> None:
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactingFilter(secrets))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    # httpx logs every request URL at INFO, and the URL contains the token.
    for name in ("httpx", "httpcore", "aiohttp.access", "apscheduler"):
        logging.getLogger(name).setLevel(logging.WARNING)
