"""The short way to send a text or change one: Bot API calls whose answer is not turned into
python-telegram-bot objects.

`Bot.send_message` builds a `RequestParameter` per argument (type checks, conversions), merges
the Defaults, and turns the answer into a full `Message` (some ninety attributes, each set
through `TelegramObject.__setattr__`). For a handler's reply that is most of the reply's CPU
(bench/README.md, section 6), and the bot reads at most the message id of what it sent. These
functions post the same JSON through the same request object and rate limiter (the Pacer), so
the wire, the pacing and the errors are unchanged: a refused call raises python-telegram-bot's
own exceptions (BadRequest, Forbidden, RetryAfter, ...) from `BaseRequest.post`.

The parameters are the ones `Defaults` in bot/app.py adds to every send: HTML and no link
previews. A call needing anything else (files, entities, reply parameters) uses the Bot.
"""

from __future__ import annotations

from typing import Any

from telegram import Bot, TelegramObject
from telegram.constants import ParseMode
from telegram.request import RequestData

# RequestParameter, which python-telegram-bot marks as internal, gives JsonData's JSON-encoded
# views exactly as RequestData's (tests/test_perf19d_sending.py); what goes on the wire is pinned
# by tests/test_sending.py against the Bot's own send_message, and pyproject.toml pins
# python-telegram-bot (22.8).
from telegram.request._requestparameter import RequestParameter

# What bot/app.py's Defaults put on every text: checked against them by tests/test_sending.py.
TEXT_DEFAULTS: dict[str, Any] = {
    "parse_mode": ParseMode.HTML.value,
    "link_preview_options": {"is_disabled": True},
}


class JsonData(RequestData):  # type: ignore[misc]  # final in typing only: see below
    """A request's parameters, JSON values only (no files), kept as the dict they came in.

    python-telegram-bot's RequestData holds a RequestParameter (a frozen dataclass) per value,
    and the transport (bot/telegram/http.py) turns them back into this dict to encode it. Every
    view of RequestData is given as RequestData gives it (tests/test_perf19d_sending.py); the
    others (`json_payload`, `url_encoded_parameters`, `parametrized_url`) are RequestData's own,
    built on `json_parameters`. (RequestData is marked final for type checkers; this subclass
    is one so that the transport and python-telegram-bot see the type they expect.)
    """

    __slots__ = ("_values",)

    def __init__(self, values: dict[str, Any]) -> None:  # RequestData's is not called
        self._values = values
        self.contains_files = False

    @property
    def parameters(self) -> dict[str, Any]:
        return {k: v for k, v in self._values.items() if v is not None}

    @property
    def json_parameters(self) -> dict[str, str]:
        params = (RequestParameter(k, v, None) for k, v in self._values.items())
        return {p.name: p.json_value for p in params if p.json_value is not None}

    @property
    def multipart_data(self) -> dict[str, Any]:
        return {}


# The JSON of the last markups sent, by identity (with the markup itself, so that its id is not
# reused while it is kept). Markups are frozen all through, so one that is sent again (the
# share-location keyboard, the menu: bot/handlers keeps one per language) is turned into JSON
# once; the dicts are only read (encoded) from then on.
_KEPT: dict[int, tuple[TelegramObject, dict[str, Any]]] = {}
KEPT_MARKUPS = 64


def _markup(reply_markup: TelegramObject | None) -> dict[str, Any] | None:
    if reply_markup is None:
        return None
    kept = _KEPT.get(id(reply_markup))
    if kept is not None and kept[0] is reply_markup:
        return kept[1]
    value = reply_markup.to_dict()
    if len(_KEPT) >= KEPT_MARKUPS:
        del _KEPT[next(iter(_KEPT))]  # the oldest
    _KEPT[id(reply_markup)] = (reply_markup, value)
    return value


async def call(bot: Bot, endpoint: str, params: dict[str, Any]) -> Any:
    """POST `params` (JSON values; None values are left out) to `endpoint`, through the bot's
    rate limiter when it has one, as `ExtBot._do_post` does; the answer's `result`."""
    data = {k: v for k, v in params.items() if v is not None}
    request = bot.request
    url = f"{bot.base_url}/{endpoint}"

    async def post(endpoint: str, data: dict[str, Any]) -> Any:
        # Built after the limiter has seen `data` (it may add allow_paid_broadcast).
        return await request.post(url, request_data=JsonData(data))

    limiter = getattr(bot, "rate_limiter", None)
    if limiter is None:
        return await post(endpoint, data)
    return await limiter.process_request(
        callback=post,
        args=(endpoint, data),
        kwargs={},
        endpoint=endpoint,
        data=data,
        rate_limit_args=None,
    )


async def send_text(
    bot: Bot, chat_id: int, text: str, reply_markup: TelegramObject | None = None
) -> int:
    """Send an HTML text (no link preview); the new message's id."""
    params = {"chat_id": chat_id, "text": text, **TEXT_DEFAULTS}
    params["reply_markup"] = _markup(reply_markup)
    result = await call(bot, "sendMessage", params)
    return int(result["message_id"])


async def edit_text(
    bot: Bot, chat_id: int, message_id: int, text: str, reply_markup: TelegramObject | None = None
) -> None:
    """Replace a message's text (and its buttons: none unless given)."""
    params = {"chat_id": chat_id, "message_id": message_id, "text": text, **TEXT_DEFAULTS}
    params["reply_markup"] = _markup(reply_markup)
    await call(bot, "editMessageText", params)


async def edit_buttons(
    bot: Bot, chat_id: int, message_id: int, reply_markup: TelegramObject | None = None
) -> None:
    """Replace a message's buttons (None takes them off)."""
    params = {"chat_id": chat_id, "message_id": message_id, "reply_markup": _markup(reply_markup)}
    await call(bot, "editMessageReplyMarkup", params)
