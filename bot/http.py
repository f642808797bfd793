"""The Bot API transport: an aiohttp-based python-telegram-bot BaseRequest.

Why not the default HTTPXRequest: httpcore's pool scans every queued request against every
connection on each assignment (quadratic; encode/httpcore #1035), so with many updates in flight
CPU per request climbs from under 1 ms to 4-11 ms (see ../shared/PERFORMANCE.md). aiohttp's
connector hands out keep-alive connections in O(1), which is what lets us process updates from
different residents concurrently without paying for it in CPU.

Lean answers: python-telegram-bot turns the answer to every send or edit into a full Message
(sender, chat, entities, keyboard, link-preview options: ~100 us of CPU per reply, a third of a
reply's cost in the profile). The bot reads only the message id, chat, date, text or caption and
the media of its own messages (bot/delivery.py: message_id, photo file id), so those answers are
cut to that before parsing (`lean_answers`, on by default; a handler that needs the rest of its
own message can turn it off).

JSON both ways goes through orjson when it is installed (a few times faster than the standard
library, and it encodes nested parameters in one pass instead of python-telegram-bot's
json.dumps per parameter), else the standard library; the two give the same Python values.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import aiohttp
from telegram.error import NetworkError, TelegramError, TimedOut
from telegram.request import BaseRequest, RequestData
from yarl import URL

try:  # optional speed-up; the standard library is the fallback
    import orjson
except ImportError:  # pragma: no cover - exercised where orjson is absent
    orjson = None  # type: ignore[assignment]

logger = logging.getLogger(__name__)


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


JSON_HEADERS = {"Content-Type": "application/json"}
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


class AiohttpRequest(BaseRequest):
    """Keep-alive connection pool over aiohttp; one instance per purpose (updates, sending)."""

    __slots__ = (
        "_connect", "_limit", "_pool", "_read", "_session", "_timeouts", "_urls", "_write",
        "lean_answers",
    )  # fmt: skip

    def __init__(
        self,
        connection_pool_size: int = 64,
        read_timeout: float | None = 10.0,
        write_timeout: float | None = 10.0,
        connect_timeout: float | None = 10.0,
        pool_timeout: float | None = 10.0,
        *,
        lean_answers: bool = True,
    ) -> None:
        self.lean_answers = lean_answers
        self._limit = connection_pool_size
        self._read = read_timeout
        self._write = write_timeout
        self._connect = connect_timeout
        self._pool = pool_timeout
        self._session: aiohttp.ClientSession | None = None
        # One ClientTimeout per distinct (read, connect, pool): built once, not per request.
        self._timeouts: dict[tuple[Any, Any, Any], aiohttp.ClientTimeout] = {}
        # Parsed URLs by method URL (a few dozen methods): aiohttp parses a str on every request.
        self._urls: dict[str, URL] = {}

    def parse_json_payload(self, payload: bytes) -> dict[str, Any]:  # type: ignore[override]
        """Decode an answer; a sent or edited Message keeps only what the bot reads of it.

        (BaseRequest.post, which calls this, is final: the answer is recognised by its shape,
        a result with a message_id and a chat, rather than by the method's name.)
        """
        answer = decode_json(payload)
        if self.lean_answers and isinstance(answer, dict):
            result = answer.get("result")
            if isinstance(result, dict) and "message_id" in result and "chat" in result:
                answer["result"] = lean_message(result)
        return answer

    @property
    def read_timeout(self) -> float | None:
        return self._read

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(
                limit=self._limit,
                limit_per_host=self._limit,
                keepalive_timeout=60,
                ttl_dns_cache=300,
            )
            self._session = aiohttp.ClientSession(
                connector=connector,
                headers={"User-Agent": "safermk-bot (python-telegram-bot, aiohttp)"},
            )

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if self._session is None or self._session.closed:
            raise RuntimeError("AiohttpRequest is not initialized")
        read = self._read if read_timeout is BaseRequest.DEFAULT_NONE else read_timeout
        connect = self._connect if connect_timeout is BaseRequest.DEFAULT_NONE else connect_timeout
        pool = self._pool if pool_timeout is BaseRequest.DEFAULT_NONE else pool_timeout
        timeout = self._timeouts.get((read, connect, pool))
        if timeout is None:
            total = None if read is None else read + (connect or 0) + (pool or 0) + 5
            timeout = aiohttp.ClientTimeout(
                total=total, sock_connect=connect, sock_read=read, connect=pool
            )
            if len(self._timeouts) < 64:
                self._timeouts[(read, connect, pool)] = timeout
        kwargs: dict[str, Any] = {}
        if request_data is not None:
            files = request_data.multipart_data
            if files:
                form = aiohttp.FormData()
                for name, value in request_data.json_parameters.items():
                    form.add_field(name, value)
                for name, part in files.items():
                    filename, content, mime = part  # (file name, bytes or stream, MIME type)
                    form.add_field(name, content, filename=filename, content_type=mime)
                kwargs["data"] = form
            else:
                # Nested values (keyboards, options) as JSON objects, in one encoding pass;
                # the Bot API accepts them as well as PTB's JSON-encoded strings.
                kwargs["data"] = encode_json(request_data.parameters)
                kwargs["headers"] = JSON_HEADERS
        target = self._urls.get(url)
        if target is None:
            target = URL(url)
            if len(self._urls) < 256:
                self._urls[url] = target
        try:
            async with self._session.request(method, target, timeout=timeout, **kwargs) as resp:
                return resp.status, await resp.read()
        except TimeoutError as err:
            raise TimedOut("Timed out talking to the Bot API") from err
        except aiohttp.ClientError as err:
            # The URL (which contains the token) is never put in the message.
            raise NetworkError(f"aiohttp.{err.__class__.__name__}") from err
