"""getUpdates over the bot's own transport (bot/telegram/http.py): one batch read ahead while the
Updater works, and an answer that means polling cannot go on (a revoked token, nonsense) reported
once so that the bot stops cleanly (bot/app.py)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from telegram.error import TelegramError
from telegram.request import BaseRequest, RequestData

from bot.telegram.http import BotApiRequest, encode_json

# the last getUpdates at a stop waits at most this (bot/telegram/stopping.py)
STOP_POLL_READ_S = 2.0

Fetched = tuple[int, bytes]
# Bytes of one getUpdates answer read at most: 100 updates of a few KB each, with room for long
# messages quoting others (a larger answer fails like a broken connection, and is asked again).
MAX_UPDATES_ANSWER = 16 << 20


NOTHING: Fetched = (200, b'{"ok":true,"result":[]}')  # an empty batch of updates


class PollingRequest(BotApiRequest):
    """The getUpdates transport, reading one batch ahead.

    python-telegram-bot asks for the next batch only after it has turned the last one into
    Update objects and queued them, so with a full batch (100) waiting each round trip is paid
    in series with that work: at 30 ms answers it capped the bot near 1,600 updates/s
    (bench/README.md, section 6). When a batch comes back full, this asks for the next one at
    once (its offset acknowledges the batch just received, as the Updater's next call would) and
    hands that answer to the Updater's next call if it asks for exactly the same thing; any other
    call (the Updater's last call at shutdown, say) cancels the read-ahead first, so there is
    never more than one getUpdates in flight.

    Nothing is acknowledged early: the read-ahead is sent from a task that runs only after the
    Updater has queued the batch (its handling of an answer does not yield), and only while
    `polling()` is true (app.py wires it to the Updater's `running`): a stopping Updater drops
    the batch it was given so that Telegram sends it again, and then nothing must confirm it.
    """

    __slots__ = ("_ahead", "_fatal", "_parsed", "on_fatal", "polling")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max_answer", MAX_UPDATES_ANSWER)
        super().__init__(*args, **kwargs)
        self.polling: Callable[[], bool] = lambda: True
        # Called once with one line when an answer means the bot cannot go on (app.py stops it).
        self.on_fatal: Callable[[str], None] = lambda reason: None
        self._fatal: str | None = None
        self._ahead: tuple[str, dict[str, Any], asyncio.Task[Fetched | None]] | None = None
        self._parsed: tuple[bytes, dict[str, Any]] | None = None  # the last answer, decoded

    def parse_json_payload(self, payload: bytes) -> dict[str, Any]:  # type: ignore[override]
        parsed = self._parsed
        self._parsed = None
        if parsed is not None and parsed[0] is payload:
            return parsed[1]
        return super().parse_json_payload(payload)

    async def shutdown(self) -> None:
        await self._drop_ahead()
        await super().shutdown()

    async def _drop_ahead(self) -> None:
        ahead, self._ahead = self._ahead, None
        if ahead is not None:
            task = ahead[2]
            task.cancel()
            await asyncio.wait([task])
            if not task.cancelled():
                task.exception()  # retrieved: a failed read-ahead nobody used is not an error

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
        if self._fatal is not None and url.endswith("/getUpdates"):
            return NOTHING  # stopping after a fatal answer: nothing more is asked of Telegram
        timeouts = (read_timeout, write_timeout, connect_timeout, pool_timeout)
        params = request_data.parameters if request_data is not None else {}
        answer: Fetched | None = None
        ahead, self._ahead = self._ahead, None
        if ahead is not None and ahead[0] == url and ahead[1] == params:
            answer = await ahead[2]  # its failure is this call's failure, as if made now
        elif ahead is not None:
            self._ahead = ahead
            await self._drop_ahead()
        if answer is None:
            if not self.polling() and url.endswith("/getUpdates"):
                # The Updater's last call at a stop (it does not long-poll): a silent Bot API
                # must not hold the stop for the whole read timeout (bot/telegram/stopping.py).
                read = self._timeouts(*timeouts)[0]
                timeouts = (STOP_POLL_READ_S if read is None else min(read, STOP_POLL_READ_S),
                            *timeouts[1:])  # fmt: skip
            answer = await super().do_request(url, method, request_data, *timeouts)
        if url.endswith("/getUpdates"):
            problem = self._fatal_answer(answer)
            if problem is not None:
                # Polling cannot go on. The Updater gets an empty batch rather than the refusal:
                # python-telegram-bot would re-raise the refusal when stopping and skip the
                # shutdown that closes the database, and the process would never exit.
                self._fatal = problem
                self.on_fatal(problem)
                return NOTHING
            self._read_ahead(url, method, params, answer, timeouts)
        return answer

    def _fatal_answer(self, answer: Fetched) -> str | None:
        """One line when a getUpdates answer means the bot cannot work, else None."""
        status, payload = answer
        if status == 401:
            return "Telegram refused the bot token (401 Unauthorized): it was revoked or changed"
        if status == 404:
            return (
                "The Bot API answered getUpdates with 404: the token or telegram.api_url is wrong"
            )
        if status != 200:
            return None  # 5xx, 429: python-telegram-bot retries them
        try:
            decoded = super().parse_json_payload(payload)
        except TelegramError:
            return "The Bot API answered getUpdates with something that is not JSON"
        if not isinstance(decoded.get("result"), list):
            return "The Bot API answered getUpdates without a list of updates"
        return None

    def _read_ahead(
        self, url: str, method: str, params: dict[str, Any], answer: Fetched, timeouts: Any
    ) -> None:
        status, payload = answer
        if status != 200:
            return
        try:
            decoded = super().parse_json_payload(payload)
        except TelegramError:
            return  # python-telegram-bot reports it when it parses the same bytes
        self._parsed = (payload, decoded)
        result = decoded.get("result")
        limit = params.get("limit") or 100
        if not isinstance(result, list) or len(result) < limit:
            return  # nothing more is waiting: the Updater's next call long-polls as usual
        last = result[-1].get("update_id") if isinstance(result[-1], dict) else None
        if not isinstance(last, int):
            return
        following = {**params, "offset": last + 1}
        task = asyncio.get_running_loop().create_task(
            self._fetch(url, method, following, timeouts), name="read-ahead getUpdates"
        )
        self._ahead = (url, following, task)

    async def _fetch(
        self, url: str, method: str, params: dict[str, Any], timeouts: Any
    ) -> Fetched | None:
        if not self.polling():
            return None  # stopping: the batch just received must stay unconfirmed
        read, _, connect, pool = self._timeouts(*timeouts)
        return await self._exchange(
            url, method, encode_json(params), b"application/json", read, connect, pool
        )
