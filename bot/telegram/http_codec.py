"""The Bot API transport's encoding (bot/telegram/http.py): JSON both ways (orjson when it is
installed, else the standard library; the two give the same Python values), the lean form of a
sent or edited Message, and multipart/form-data uploads.
"""

from __future__ import annotations

import json
import logging
import secrets
from typing import Any

from telegram.error import TelegramError
from telegram.request import RequestData

try:  # optional speed-up; the standard library is the fallback
    import orjson
except ImportError:  # pragma: no cover - exercised where orjson is absent
    orjson = None  # type: ignore[assignment]

logger = logging.getLogger("bot.telegram.http")


def encode_json(value: Any) -> bytes:
    """Encode a request body (str keys; str, int, float, bool, list and dict values)."""
    if orjson is not None:
        try:
            return orjson.dumps(value)
        except TypeError:  # e.g. an integer beyond 64 bits: the standard library takes it
            pass
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def decode_json(payload: bytes) -> Any:
    """Decode an answer; TelegramError (as python-telegram-bot raises) when it is not JSON."""
    if orjson is not None:
        try:
            return orjson.loads(payload)
        except orjson.JSONDecodeError:
            pass  # e.g. invalid UTF-8: the standard path replaces bad bytes, as PTB does
    try:
        return json.loads(payload.decode("utf-8", "replace"))
    except ValueError as exc:
        # Never log the payload: an answer can carry residents' messages.
        logger.error("The Bot API answered with invalid JSON (%d bytes)", len(payload))
        raise TelegramError("Invalid server response") from exc


# What of a Message sent or edited the bot ever reads.
KEPT_FIELDS = (
    "message_id", "date", "edit_date", "message_thread_id", "text", "caption", "photo",
    "document", "location", "video", "animation", "audio", "voice",
)  # fmt: skip


def lean_message(message: dict[str, Any]) -> dict[str, Any]:
    """The fields of a sent message the bot reads: id, chat (id and type), date, text, media."""
    out = {k: message[k] for k in KEPT_FIELDS if k in message}
    chat = message.get("chat")
    if isinstance(chat, dict):
        out["chat"] = {"id": chat.get("id"), "type": chat.get("type", "private")}
    return out


def multipart(request_data: RequestData) -> tuple[bytes, bytes]:
    """(body, content type) of a multipart/form-data upload: the parameters, then the files."""
    boundary = secrets.token_hex(16).encode("ascii")
    out: list[bytes] = []
    for name, value in request_data.json_parameters.items():
        out.append(
            b'--%s\r\nContent-Disposition: form-data; name="%s"\r\n\r\n' % (boundary, _quoted(name))
        )
        out.append(value.encode("utf-8") + b"\r\n")
    for name, part in request_data.multipart_data.items():
        filename, content, mime = part  # (file name, bytes or a file, MIME type)
        data = content if isinstance(content, bytes) else content.read()
        out.append(
            b'--%s\r\nContent-Disposition: form-data; name="%s"; filename="%s"\r\n'
            b"Content-Type: %s\r\n\r\n"
            % (
                boundary,
                _quoted(name),
                _quoted(filename or name),
                (mime or "application/octet-stream").encode("ascii"),
            )
        )
        out.append(data + b"\r\n")
    out.append(b"--%s--\r\n" % boundary)
    return b"".join(out), b"multipart/form-data; boundary=" + boundary


def _quoted(value: str) -> bytes:
    """A form field or file name inside double quotes (quotes and line breaks escaped)."""
    return (
        value.replace("\\", "\\\\")
        .replace('"', "%22")
        .replace("\r", "%0D")
        .replace("\n", "%0A")
        .encode("utf-8")
    )
