"""The Bot API double: one in-process stand-in for Telegram's Bot API.

The same object serves the handler tests (through `DoubleRequest`, python-telegram-bot's request
layer answered in-process), the end-to-end tests and benchmarks (through `BotApiServer`, the same
double over HTTP on 127.0.0.1) and `safermk-bot preview` (with every rule on and the chat history
kept for the web page). See bot/preview/transport.py for the two transports.

It records every call (`calls`, `sent()`, `texts()`), fails on demand (`fail_next`, a
`responder`), delays answers (`latency`), serves pushed updates to long-polled getUpdates, and,
rule by rule (`Rules`), refuses what Telegram refuses with Telegram's error code and
description: text and caption lengths, HTML that does not parse, button data and keyboard
sizes, sending faster than 1 message a second to a chat or 30 a second overall (429 with
retry_after), unknown chats and users who blocked the bot, edits of messages that do not exist
or would not change. Handler tests keep the rules off (a rate limit would make them wait); the
preview turns them all on.

Besides the bot's side it plays the people's side for the preview and tests: `user_message`,
`press`, `block` build the updates Telegram would send and keep the chat history per chat, and
`subscribe` lets the preview's web page follow every change live.
"""

from __future__ import annotations

import asyncio
import hashlib
import html
import itertools
import json
import logging
import math
import random
import re
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlsplit

from bot.telegram.htmlcheck import html_problem

logger = logging.getLogger(__name__)

BOT_USER = {
    "id": 7000000001,
    "is_bot": True,
    "first_name": "SaferMK",
    "username": "SaferMKBot",
    "can_join_groups": False,
    "can_read_all_group_messages": False,
    "supports_inline_queries": False,
}

# Methods whose text `texts()` reports (what a person would read).
SENDS = {"sendMessage", "sendDocument", "sendPhoto", "editMessageText"}
EDITS = {"editMessageText", "editMessageCaption", "editMessageReplyMarkup"}

# Telegram's limits (https://core.telegram.org/bots/api, and as observed for keyboards).
MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK_DATA = 64  # bytes
INLINE_PER_ROW, INLINE_BUTTONS = 8, 100
REPLY_PER_ROW, REPLY_BUTTONS = 12, 300
INLINE_ACTIONS = {
    "callback_data", "url", "login_url", "switch_inline_query", "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat", "callback_game", "pay", "web_app", "copy_text",
}  # fmt: skip
LONG_POLL_CAP = 2.0  # seconds a getUpdates waits at most, whatever timeout it asked for

# Telegram's descriptions, word for word.
CHAT_NOT_FOUND = "Bad Request: chat not found"
BLOCKED = "Forbidden: bot was blocked by the user"
TOO_LONG = "Bad Request: message is too long"
CAPTION_TOO_LONG = "Bad Request: message caption is too long"
# The double's own wording: Telegram takes albums of 2 to 10 photos and refuses others.
ALBUM_SIZE = "Bad Request: an album must have 2 to 10 media"
TEXT_EMPTY = "Bad Request: message text is empty"
CANT_PARSE = "Bad Request: can't parse entities: "
BUTTON_DATA_INVALID = "Bad Request: BUTTON_DATA_INVALID"
BUTTON_URL_INVALID = "Bad Request: BUTTON_URL_INVALID"
MARKUP_TOO_LONG = "Bad Request: reply markup is too long"
TEXT_BUTTONS = "Bad Request: text buttons are unallowed in the inline keyboard"
NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are "
    "exactly the same as a current content and reply markup of the message"
)
EDIT_NOT_FOUND = "Bad Request: message to edit not found"
DELETE_NOT_FOUND = "Bad Request: message to delete not found"
CANT_EDIT = "Bad Request: message can't be edited"
NO_TEXT_TO_EDIT = "Bad Request: there is no text in the message to edit"
QUERY_INVALID = "Bad Request: query is too old and response timeout expired or query ID is invalid"
WRONG_FILE = "Bad Request: wrong file identifier/HTTP URL specified"


@dataclass
class Call:
    """One request the bot made."""

    method: str
    params: dict[str, Any]
    files: dict[str, tuple[str, bytes]] = field(default_factory=dict)

    @property
    def chat_id(self) -> int | None:
        v = self.params.get("chat_id")
        return int(v) if v is not None else None

    @property
    def text(self) -> str:
        return str(self.params.get("text") or self.params.get("caption") or "")

    @property
    def buttons(self) -> list[tuple[str, str | None]]:
        """(label, callback_data) of every inline button, row by row."""
        markup = self.params.get("reply_markup") or {}
        out = []
        for row in markup.get("inline_keyboard", []):
            for b in row:
                out.append((b["text"], b.get("callback_data")))
        return out


@dataclass
class Failure:
    """An error answer: HTTP status (= error_code), description, optional retry_after."""

    status: int
    description: str
    retry_after: int | None = None


Responder = Callable[[str, dict[str, Any]], Failure | None]
Listener = Callable[[dict[str, Any]], None]
# observe(): (method, params, HTTP status, the double's clock) after every answered request.
Observer = Callable[[str, dict[str, Any], int, float], None]


@dataclass(frozen=True)
class Rules:
    """Which of Telegram's rules the double enforces; each can be switched on alone.

    chats: a chat that never talked to the bot is "chat not found" (a chat the double was told
    was blocked answers 403 whatever this says). limits: text and caption lengths after the
    HTML is parsed. html: Telegram's HTML subset. keyboards: button data, URLs, sizes. rate:
    sends per chat and overall (429). messages: edits, deletes, callback queries and file ids
    must refer to something that exists (needs the history, which it turns on).
    """

    chats: bool = False
    limits: bool = False
    html: bool = False
    keyboards: bool = False
    rate: bool = False
    messages: bool = False
    per_second: int = 30  # sends overall in any sliding second
    # Sends carrying allow_paid_broadcast=True (Telegram's paid broadcasts, 0.1 Star per message
    # above the free limit) are held to this instead, counted with every other send.
    paid_per_second: int = 1000
    chat_per_second: float = 1.0  # sustained sends per chat
    # Telegram lets a chat get a short burst above 1/s (a reply and a follow-up) before 429s;
    # the bucket holds this many sends and refills at chat_per_second.
    chat_burst: int = 1

    @classmethod
    def off(cls) -> Rules:
        return cls()

    @classmethod
    def telegram(cls, **changes: Any) -> Rules:
        """Every rule on (change any with keyword arguments)."""
        on = cls(chats=True, limits=True, html=True, keyboards=True, rate=True, messages=True)
        return replace(on, **changes)


@dataclass
class StoredFile:
    name: str
    data: bytes = b""
    mime: str = "application/octet-stream"
    url: str | None = None  # a photo sent by URL: the double never fetches it


@dataclass
class ChatLog:
    """One private chat as both sides see it: messages in order (edits applied), and what the
    double refused to deliver there."""

    messages: dict[int, dict[str, Any]] = field(default_factory=dict)
    refused: list[dict[str, Any]] = field(default_factory=list)


def _keyboard(markup: Any) -> Any:
    """A message's inline keyboard as Telegram compares it in an edit: none and an empty one are
    the same (so removing the buttons of a message without any is "not modified")."""
    return markup if isinstance(markup, dict) and markup.get("inline_keyboard") else None


def _decode(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in "[{":
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def visible_text(text: str, parse_mode: str | None) -> str:
    """The text a person reads: tags dropped and entities decoded for HTML."""
    if (parse_mode or "").upper() != "HTML":
        return text
    return html.unescape(re.sub(r"<[^<>]*>", "", text))


def telegram_length(text: str) -> int:
    """Length as Telegram counts it: UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


_ENTITY_TAGS = {
    "b": "bold", "strong": "bold", "i": "italic", "em": "italic", "u": "underline",
    "ins": "underline", "s": "strikethrough", "strike": "strikethrough", "del": "strikethrough",
    "code": "code", "pre": "pre", "a": "text_link", "tg-spoiler": "spoiler",
    "blockquote": "blockquote",
}  # fmt: skip


class _EntityParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text = ""
        self.entities: list[dict[str, Any]] = []
        self.open: list[tuple[str, int, dict[str, Any]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        extra = {"url": dict(attrs).get("href") or ""} if tag == "a" else {}
        self.open.append((tag, telegram_length(self.text), extra))

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self.open) - 1, -1, -1):
            name, start, extra = self.open[i]
            if name == tag:
                del self.open[i]
                length = telegram_length(self.text) - start
                if tag in _ENTITY_TAGS and length > 0:
                    kind = _ENTITY_TAGS[tag]
                    self.entities.append({"type": kind, "offset": start, "length": length, **extra})
                return

    def handle_data(self, data: str) -> None:
        self.text += data


def as_received(text: str, parse_mode: str | None) -> tuple[str, list[dict[str, Any]]]:
    """A sent text as Telegram gives it back in a Message: plain text plus entities."""
    if (parse_mode or "").upper() != "HTML":
        return text, []
    parser = _EntityParser()
    parser.feed(text)
    parser.close()
    return parser.text, sorted(parser.entities, key=lambda x: x["offset"])


def received_message(stored: dict[str, Any]) -> dict[str, Any]:
    """A stored message (as the bot sent it, HTML) as it arrives with a callback query."""
    message = {k: v for k, v in stored.items() if not k.startswith("_")}
    for field_name, entities_name in (("text", "entities"), ("caption", "caption_entities")):
        if isinstance(message.get(field_name), str):
            plain, entities = as_received(message[field_name], stored.get("_parse_mode"))
            message[field_name] = plain
            if entities:
                message[entities_name] = entities
    return message


def _guess_mime(name: str) -> str:
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    return {
        "png": "image/png",
        "jpg": "image/jpeg",
        "jpeg": "image/jpeg",
        "gif": "image/gif",
        "webp": "image/webp",
        "ics": "text/calendar",
        "csv": "text/csv",
        "txt": "text/plain",
        "pdf": "application/pdf",
    }.get(ext, "application/octet-stream")


class BotApiDouble:
    """Telegram's Bot API, in memory: state and behaviour shared by every transport."""

    def __init__(
        self,
        rules: Rules | None = None,
        *,
        history: bool | None = None,
        record: bool = True,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.rules = rules or Rules.off()
        # The chat history (messages, files, menus) is kept for the preview and the messages
        # rule; the test double keeps only `calls`, so benchmarks do not grow without bound.
        self.history = self.rules.messages if history is None else (history or self.rules.messages)
        self.clock = clock
        self.record = record  # keep every Call (tests); a long benchmark turns it off
        self.calls: list[Call] = []
        self.responder: Responder | None = None
        self.failures: dict[str, list[Failure]] = {}
        # Added before each answer but getUpdates's (so the rate rules count a send when it
        # "arrives", after the delay). A (low, high) pair draws every request's delay uniformly
        # from that range: jitter that can reorder requests, as a real network does.
        self.latency: float | tuple[float, float] = 0.0
        self.random = random.Random(1)
        self.send_times: list[tuple[float, int]] = []  # (monotonic, chat_id) of successful sends
        # updates waiting for getUpdates
        self.pending: list[dict[str, Any]] = []
        self.delivered_up_to = 0  # the bot acknowledged every update up to this id
        self.last_update_id = 0
        self._update_ids = itertools.count(1)
        self._new_update = asyncio.Event()
        self._tick = asyncio.Event()
        # people and chats
        self.users: dict[int, dict[str, Any]] = {}
        self.known_chats: set[int] = set()
        self.blocked: set[int] = set()
        self.chats: dict[int, ChatLog] = {}
        self._next_message_id: dict[int, int] = {}
        self._queries: dict[str, int] = {}  # unanswered callback query id -> chat id
        self._query_ids = itertools.count(1)
        self._albums = itertools.count(1)
        self.files: dict[str, StoredFile] = {}
        self.commands: dict[tuple[str, int | None], list[dict[str, str]]] = {}
        # rate limits
        self._window: deque[float] = deque()  # free (not paid) sends in the last second
        self._all: deque[float] = deque()  # every accepted send in the last second
        self.billed = 0  # paid sends accepted above the free per_second (0.1 Star each)
        self._observers: list[Observer] = []
        self._now = 0.0  # the clock when the request being handled arrived
        self._chat_tat: dict[int, float] = {}  # per chat: theoretical arrival time (GCRA)
        self._listeners: list[Listener] = []

    # ------------------------------------------------------------------ test helpers

    def fail_next(self, method: str, failure: Failure, times: int = 1) -> None:
        """The next `times` calls of `method` get `failure` (before any rule is checked)."""
        self.failures.setdefault(method, []).extend([failure] * times)

    def sent(self, method: str | None = None, chat_id: int | None = None) -> list[Call]:
        return [
            c
            for c in self.calls
            if (method is None or c.method == method) and (chat_id is None or c.chat_id == chat_id)
        ]

    def texts(self, chat_id: int | None = None) -> list[str]:
        return [
            c.text
            for c in self.calls
            if c.method in SENDS and (chat_id is None or c.chat_id == chat_id)
        ]

    def clear(self) -> None:
        self.calls.clear()

    async def wait_for(self, predicate: Callable[[], bool], timeout: float = 30.0) -> None:
        """Wait (event-driven, no polling sleeps) until `predicate()` holds after some request."""
        async with asyncio.timeout(timeout):
            while not predicate():
                self._tick.clear()
                await self._tick.wait()

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call `listener(event)` on every change a person would see; returns an unsubscribe."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    def set_clock(self, clock: Callable[[], float]) -> None:
        """Use another clock (e.g. a test's virtual one); the rate rules' memory, kept in the
        old clock's time, starts afresh."""
        self.clock = clock
        self._window.clear()
        self._all.clear()
        self._chat_tat.clear()

    def observe(self, observer: Observer) -> Callable[[], None]:
        """Call `observer(method, params, status, now)` after every answered request but
        getUpdates (benchmarks count sends and 429s this way); returns an unsubscribe."""
        self._observers.append(observer)
        return lambda: self._observers.remove(observer) if observer in self._observers else None

    def _emit(self, event: dict[str, Any]) -> None:
        for listener in list(self._listeners):
            try:
                listener(event)
            except Exception:  # a broken page must never break the bot's requests
                logger.exception("Preview listener failed")

    # ------------------------------------------------------------------ the people's side

    def add_user(self, user_id: int, first_name: str = "Resident", language: str = "en") -> None:
        """A person who has opened the chat with the bot (so the bot may write to them)."""
        self.users[user_id] = {
            "id": user_id,
            "is_bot": False,
            "first_name": first_name,
            "language_code": language,
        }
        self.known_chats.add(user_id)

    def _user(self, chat_id: int) -> dict[str, Any]:
        return self.users.get(chat_id, {"id": chat_id, "is_bot": False, "first_name": "Resident"})

    def _chat(self, chat_id: int) -> dict[str, Any]:
        return {
            "id": chat_id,
            "type": "private" if chat_id > 0 else "group",
            "first_name": self._user(chat_id)["first_name"],
        }

    def newest_message_id(self, chat_id: int) -> int | None:
        """The id of the newest message in the chat, from either side (None: no message yet)."""
        n = self._next_message_id.get(chat_id)
        return n - 1 if n is not None else None

    def _message_id(self, chat_id: int) -> int:
        # Telegram numbers the messages of a private chat in one sequence for both sides.
        n = self._next_message_id.get(chat_id, 1000)
        self._next_message_id[chat_id] = n + 1
        return n

    def log(self, chat_id: int) -> ChatLog:
        if chat_id not in self.chats:
            self.chats[chat_id] = ChatLog()
        return self.chats[chat_id]

    def push(self, update: dict[str, Any]) -> int:
        """Queue an update for getUpdates; returns its update_id."""
        update = dict(update)
        update["update_id"] = self.last_update_id = next(self._update_ids)
        for key in ("message", "callback_query", "my_chat_member", "edited_message"):
            part = update.get(key)
            if isinstance(part, dict):
                chat = part.get("chat") or (part.get("message") or {}).get("chat")
                if chat and "id" in chat:
                    self.known_chats.add(int(chat["id"]))
        self.pending.append(update)
        self._new_update.set()
        self._tick.set()
        return update["update_id"]

    def user_message(
        self,
        chat_id: int,
        text: str | None = None,
        *,
        location: tuple[float, float] | None = None,
    ) -> dict[str, Any]:
        """The person types `text` (or shares a location) in their chat with the bot."""
        if chat_id not in self.users:
            self.add_user(chat_id)
        msg: dict[str, Any] = {
            "message_id": self._message_id(chat_id),
            "date": int(time.time()),
            "chat": self._chat(chat_id),
            "from": self._user(chat_id),
        }
        if text is not None:
            msg["text"] = text
            if text.startswith("/"):
                command = text.split()[0]
                msg["entities"] = [
                    {"type": "bot_command", "offset": 0, "length": telegram_length(command)}
                ]
        if location is not None:
            msg["location"] = {"latitude": location[0], "longitude": location[1]}
        if self.history:
            self.log(chat_id).messages[msg["message_id"]] = msg
            self._emit({"type": "message", "chat_id": chat_id, "message": msg})
        self.push({"message": msg})
        return msg

    def press(self, chat_id: int, message_id: int, data: str) -> str:
        """The person taps an inline button with callback `data` under `message_id`."""
        stored = self.log(chat_id).messages.get(message_id) if self.history else None
        if self.rules.messages and stored is None:
            raise KeyError(f"no message {message_id} in chat {chat_id}")
        message = (
            received_message(stored)
            if stored
            else {
                "message_id": message_id,
                "date": int(time.time()),
                "chat": self._chat(chat_id),
                "from": BOT_USER,
                "text": "…",
            }
        )
        message.pop("_parse_mode", None)
        query_id = f"{chat_id}-{next(self._query_ids)}"
        self._queries[query_id] = chat_id
        self.push(
            {
                "callback_query": {
                    "id": query_id,
                    "from": self._user(chat_id),
                    "chat_instance": str(chat_id),
                    "data": data,
                    "message": message,
                }
            }
        )
        return query_id

    def block(self, chat_id: int, blocked: bool = True) -> None:
        """The person blocks (or unblocks) the bot: sends fail with 403 and the bot is told."""
        was = chat_id in self.blocked
        if blocked:
            self.blocked.add(chat_id)
        else:
            self.blocked.discard(chat_id)
        if was == blocked:
            return
        old, new = ("member", "kicked") if blocked else ("kicked", "member")

        def member(status: str) -> dict[str, Any]:
            m: dict[str, Any] = {"user": BOT_USER, "status": status}
            if status == "kicked":
                m["until_date"] = 0
            return m

        self.push(
            {
                "my_chat_member": {
                    "chat": self._chat(chat_id),
                    "from": self._user(chat_id),
                    "date": int(time.time()),
                    "old_chat_member": member(old),
                    "new_chat_member": member(new),
                }
            }
        )
        self._emit({"type": "blocked", "chat_id": chat_id, "blocked": blocked})

    def commands_for(self, chat_id: int) -> list[dict[str, str]]:
        """The command menu this person sees: their chat's scope first, then the defaults."""
        for scope in (("chat", chat_id), ("all_private_chats", None), ("default", None)):
            if scope in self.commands:
                return self.commands[scope]
        return []

    # ------------------------------------------------------------------ the API

    async def call(
        self,
        method: str,
        params: dict[str, Any],
        files: dict[str, tuple[str, bytes]] | None = None,
    ) -> tuple[int, dict[str, Any]]:
        """Answer one request as Telegram would, long-polling getUpdates; (status, body)."""
        files = files or {}
        if method == "getUpdates":
            return 200, await self.get_updates(params)
        if delay := self.delay():
            await asyncio.sleep(delay)
        return self.handle(method, params, files)

    def delay(self) -> float:
        """This request's added latency in seconds (drawn from the range when one is set)."""
        if isinstance(self.latency, tuple):
            return self.random.uniform(*self.latency)
        return self.latency

    async def get_updates(self, params: dict[str, Any]) -> dict[str, Any]:
        offset = int(params.get("offset") or 0)
        timeout = float(params.get("timeout") or 0)
        limit = int(params.get("limit") or 100)
        if offset:
            self.pending = [u for u in self.pending if u["update_id"] >= offset]
            if offset - 1 > self.delivered_up_to:
                self.delivered_up_to = offset - 1
                self._tick.set()
        if not self.pending and timeout:
            self._new_update.clear()
            try:
                await asyncio.wait_for(self._new_update.wait(), min(timeout, LONG_POLL_CAP))
            except TimeoutError:
                pass
        return {"ok": True, "result": self.pending[:limit]}

    def handle(
        self, method: str, params: dict[str, Any], files: dict[str, tuple[str, bytes]]
    ) -> tuple[int, dict[str, Any]]:
        """Answer one request (getUpdates without waiting); (status, JSON body)."""
        params = {k: _decode(v) for k, v in params.items()}
        self._now = self.clock()
        if method == "getUpdates":
            return 200, {"ok": True, "result": self.pending[: int(params.get("limit") or 100)]}
        if self.record:
            self.calls.append(Call(method, params, files))
        queued = self.failures.get(method)
        failure = queued.pop(0) if queued else None
        if failure is None and self.responder is not None:
            failure = self.responder(method, params)
        if failure is None:
            failure = self.check(method, params, files)
        if failure is not None:
            self._refused(method, params, failure)
            self._tick.set()
            body: dict[str, Any] = {
                "ok": False,
                "error_code": failure.status,
                "description": failure.description,
            }
            if failure.retry_after is not None:
                body["parameters"] = {"retry_after": failure.retry_after}
            self._observed(method, params, failure.status)
            return failure.status, body
        if method in SENDS and self.record:
            self.send_times.append((time.monotonic(), int(params.get("chat_id", 0))))
        result = self.result(method, params, files)
        self._tick.set()
        self._observed(method, params, 200)
        return 200, {"ok": True, "result": result}

    def _observed(self, method: str, params: dict[str, Any], status: int) -> None:
        if self._observers:
            now = self._now
            for observer in list(self._observers):
                observer(method, params, status, now)

    def _refused(self, method: str, params: dict[str, Any], failure: Failure) -> None:
        chat_id = params.get("chat_id")
        if not self.history or chat_id is None:
            return
        chat_id = int(chat_id)
        log = self.log(chat_id)
        note = {
            "method": method,
            "status": failure.status,
            "description": failure.description,
            "after": max(log.messages, default=0),
        }
        log.refused.append(note)
        self._emit({"type": "refused", "chat_id": chat_id, **note})

    # ------------------------------------------------------------------ the rules

    def check(
        self, method: str, params: dict[str, Any], files: dict[str, tuple[str, bytes]]
    ) -> Failure | None:
        """The first rule `method(params)` breaks, as Telegram would answer it; None if fine."""
        self._now = self.clock()  # one reading per request: the rate rule and observers agree
        r = self.rules
        for rule in (
            self._check_chat,
            self._check_state if r.messages else None,
            self._check_html if r.html else None,
            self._check_limits if r.limits else None,
            self._check_keyboard if r.keyboards else None,
            self._check_rate if r.rate else None,
        ):
            if rule is not None and (failure := rule(method, params, files)) is not None:
                return failure
        return None

    def _check_chat(self, method: str, params: dict[str, Any], _: Any) -> Failure | None:
        chat_id = params.get("chat_id")
        if chat_id is None and method in ("setMyCommands", "deleteMyCommands", "getMyCommands"):
            scope = params.get("scope") or {}
            chat_id = scope.get("chat_id") if isinstance(scope, dict) else None
            if chat_id is not None and self.rules.chats and int(chat_id) not in self.known_chats:
                return Failure(400, CHAT_NOT_FOUND)
            return None
        if chat_id is None:
            return None
        try:
            chat_id = int(chat_id)
        except (TypeError, ValueError):
            return Failure(400, CHAT_NOT_FOUND)  # an @username the double does not know
        if self.rules.chats and chat_id not in self.known_chats:
            return Failure(400, CHAT_NOT_FOUND)
        if chat_id in self.blocked and method != "getChat":
            return Failure(403, BLOCKED)
        return None

    def _check_state(
        self, method: str, params: dict[str, Any], files: dict[str, tuple[str, bytes]]
    ) -> Failure | None:
        if method == "answerCallbackQuery":
            if str(params.get("callback_query_id")) not in self._queries:
                return Failure(400, QUERY_INVALID)
            return None
        for key in ("photo", "document"):
            value = params.get(key)
            if key not in files and isinstance(value, str) and value:
                if not value.startswith(("http://", "https://")) and value not in self.files:
                    return Failure(400, WRONG_FILE)
        if method not in EDITS and method != "deleteMessage":
            return None
        chat_id, message_id = params.get("chat_id"), params.get("message_id")
        if chat_id is None or message_id is None:
            return None  # inline messages: not used by this bot
        stored = self.log(int(chat_id)).messages.get(int(message_id))
        if stored is None:
            return Failure(400, DELETE_NOT_FOUND if method == "deleteMessage" else EDIT_NOT_FOUND)
        if method == "deleteMessage":
            return None
        if stored["from"].get("id") != BOT_USER["id"]:
            return Failure(400, CANT_EDIT)
        markup = params.get("reply_markup")
        if method == "editMessageText":
            if "text" not in stored:
                return Failure(400, NO_TEXT_TO_EDIT)
            same = stored.get("text") == params.get("text")
        elif method == "editMessageCaption":
            same = stored.get("caption") == params.get("caption")
        else:
            same = True
        if same and _keyboard(stored.get("reply_markup")) == _keyboard(markup):
            return Failure(400, NOT_MODIFIED)
        return None

    @staticmethod
    def _texts_of(method: str, params: dict[str, Any]) -> list[tuple[str, str, int]]:
        """(field, text, limit) of what the person will read in this request."""
        out = []
        if method in ("sendMessage", "editMessageText"):
            out.append(("text", str(params.get("text") or ""), MAX_TEXT))
        if "caption" in params and params["caption"] is not None:
            out.append(("caption", str(params["caption"]), MAX_CAPTION))
        if method == "sendMediaGroup" and isinstance(params.get("media"), list):
            for item in params["media"]:
                if isinstance(item, dict) and item.get("caption") is not None:
                    out.append(("caption", str(item["caption"]), MAX_CAPTION))
        return out

    def _check_html(self, method: str, params: dict[str, Any], _: Any) -> Failure | None:
        if str(params.get("parse_mode") or "").upper() != "HTML":
            return None
        for _field, text, _limit in self._texts_of(method, params):
            problem = html_problem(text)
            if problem is not None:
                return Failure(400, CANT_PARSE + problem)
        return None

    def _check_limits(self, method: str, params: dict[str, Any], _: Any) -> Failure | None:
        if method == "sendMediaGroup" and not 2 <= len(params.get("media") or []) <= 10:
            return Failure(400, ALBUM_SIZE)
        mode = params.get("parse_mode")
        for name, text, limit in self._texts_of(method, params):
            shown = visible_text(text, mode).strip()
            if name == "text" and not shown:
                return Failure(400, TEXT_EMPTY)
            if telegram_length(shown) > limit:
                return Failure(400, TOO_LONG if name == "text" else CAPTION_TOO_LONG)
        return None

    def _check_keyboard(self, method: str, params: dict[str, Any], _: Any) -> Failure | None:
        markup = params.get("reply_markup")
        if not isinstance(markup, dict):
            return None
        if "inline_keyboard" in markup:
            rows = markup["inline_keyboard"] or []
            if any(len(row) > INLINE_PER_ROW for row in rows) or (
                sum(len(row) for row in rows) > INLINE_BUTTONS
            ):
                return Failure(400, MARKUP_TOO_LONG)
            for row in rows:
                for button in row:
                    if not INLINE_ACTIONS & button.keys():
                        return Failure(400, TEXT_BUTTONS)
                    if "callback_data" in button:
                        data = str(button["callback_data"] or "").encode("utf-8")
                        if not 1 <= len(data) <= MAX_CALLBACK_DATA:
                            return Failure(400, BUTTON_DATA_INVALID)
                    if "url" in button and not _valid_button_url(str(button["url"] or "")):
                        return Failure(400, BUTTON_URL_INVALID)
        if "keyboard" in markup:
            rows = markup["keyboard"] or []
            if any(len(row) > REPLY_PER_ROW for row in rows) or (
                sum(len(row) for row in rows) > REPLY_BUTTONS
            ):
                return Failure(400, MARKUP_TOO_LONG)
        return None

    def _check_rate(self, method: str, params: dict[str, Any], _: Any) -> Failure | None:
        """Sends per chat (a bucket: chat_burst at once, then chat_per_second) and overall
        (per_second in any sliding second; paid_per_second for sends with allow_paid_broadcast,
        counted with every other send). A refused send counts against none of them."""
        if not counted(method):
            return None
        now = self._now
        r = self.rules
        for window in (self._window, self._all):
            while window and now - window[0] >= 1.0:
                window.popleft()
        paid = params.get("allow_paid_broadcast") in (True, "true", "True", 1)
        if paid:
            if len(self._all) >= r.paid_per_second:
                return _flood(self._all[0] + 1.0 - now)
        elif len(self._window) >= r.per_second:
            return _flood(self._window[0] + 1.0 - now)
        chat_id = params.get("chat_id")
        interval = 1.0 / r.chat_per_second
        tolerance = (max(r.chat_burst, 1) - 1) * interval
        tat = now
        if chat_id is not None:
            tat = max(self._chat_tat.get(int(chat_id), now), now)
            if tat - now > tolerance:
                return _flood(tat - now - tolerance)
            self._chat_tat[int(chat_id)] = tat + interval
        if paid:
            # Billed: what went above the free limit (Telegram bills "requests that exceeded
            # regular limits", 0.1 Star each).
            self.billed += len(self._all) >= r.per_second
        else:
            self._window.append(now)
        self._all.append(now)
        return None

    # ------------------------------------------------------------------ answers

    def _file(self, params: dict[str, Any], files: dict[str, tuple[str, bytes]], key: str) -> str:
        """Store an uploaded file (or a URL, or reuse a file id); return its file id."""
        if key in files:
            name, data = files[key]
            file_id = "F" + hashlib.sha1(data).hexdigest()[:24]
            if self.history and file_id not in self.files:
                self.files[file_id] = StoredFile(name=name, data=data, mime=_guess_mime(name))
            return file_id
        value = str(params.get(key) or "")
        if value in self.files:
            return value
        if value.startswith(("http://", "https://")):
            file_id = "U" + hashlib.sha1(value.encode()).hexdigest()[:24]
            if self.history:
                name = value.rsplit("/", 1)[-1] or "image"
                self.files[file_id] = StoredFile(name=name, mime=_guess_mime(name), url=value)
            return file_id
        return value or "file"

    def _message(self, params: dict[str, Any], **extra: Any) -> dict[str, Any]:
        chat_id = int(params.get("chat_id", 0))
        msg: dict[str, Any] = {
            "message_id": self._message_id(chat_id),
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "group"},
            "from": BOT_USER,
        }
        msg.update({k: v for k, v in extra.items() if v is not None})
        markup = params.get("reply_markup")
        if isinstance(markup, dict) and "inline_keyboard" in markup:
            msg["reply_markup"] = markup  # only inline keyboards are part of a Message
        if self.history:
            stored = dict(msg, _parse_mode=params.get("parse_mode"))
            if isinstance(markup, dict) and "inline_keyboard" not in markup:
                stored["_keyboard"] = markup  # a reply keyboard or its removal
            self.log(chat_id).messages[msg["message_id"]] = stored
            self._emit({"type": "message", "chat_id": chat_id, "message": stored})
        return msg

    def _edit(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = int(params.get("chat_id", 0))
        message_id = int(params.get("message_id") or 0)
        stored = self.log(chat_id).messages.get(message_id) if self.history else None
        if stored is None:  # no history (or an unknown message with the rule off): echo
            msg = {
                "message_id": message_id or self._message_id(chat_id),
                "date": int(time.time()),
                "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "group"},
                "from": BOT_USER,
                "text": params.get("text", ""),
            }
            return msg
        if method == "editMessageText":
            stored["text"] = params.get("text", "")
            stored["_parse_mode"] = params.get("parse_mode")
        elif method == "editMessageCaption":
            stored["caption"] = params.get("caption")
            stored["_parse_mode"] = params.get("parse_mode")
        # An edit without reply_markup removes the inline keyboard, as in Telegram.
        markup = params.get("reply_markup")
        if isinstance(markup, dict) and markup.get("inline_keyboard"):
            stored["reply_markup"] = markup
        else:
            stored.pop("reply_markup", None)
        stored["edit_date"] = int(time.time())
        self._emit({"type": "edit", "chat_id": chat_id, "message": stored})
        return {k: v for k, v in stored.items() if not k.startswith("_")}

    def result(
        self, method: str, params: dict[str, Any], files: dict[str, tuple[str, bytes]]
    ) -> Any:
        if method == "getMe":
            return BOT_USER
        if method == "sendMessage":
            return self._message(params, text=params.get("text", ""))
        if method == "sendDocument":
            file_id = self._file(params, files, "document")
            stored = self.files.get(file_id)
            name = files["document"][0] if "document" in files else "file"
            return self._message(
                params,
                document={
                    "file_id": file_id,
                    "file_unique_id": file_id[:16],
                    "file_name": stored.name if stored else name,
                    "mime_type": stored.mime if stored else _guess_mime(name),
                    "file_size": len(files["document"][1]) if "document" in files else 0,
                },
                caption=params.get("caption"),
            )
        if method == "sendPhoto":
            file_id = self._file(params, files, "photo")
            return self._message(
                params,
                photo=[
                    {"file_id": file_id, "file_unique_id": file_id[:16], "width": 10, "height": 10}
                ],
                caption=params.get("caption"),
            )
        if method == "sendMediaGroup":
            return self._album(params, files)
        if method == "sendLocation":
            return self._message(
                params,
                location={
                    "latitude": float(params.get("latitude", 0)),
                    "longitude": float(params.get("longitude", 0)),
                },
            )
        if method in EDITS:
            return self._edit(method, params)
        if method == "deleteMessage":
            if self.history:
                chat_id, message_id = int(params.get("chat_id", 0)), int(params["message_id"])
                if self.log(chat_id).messages.pop(message_id, None) is not None:
                    self._emit({"type": "delete", "chat_id": chat_id, "message_id": message_id})
            return True
        if method == "answerCallbackQuery":
            query_chat = self._queries.pop(str(params.get("callback_query_id")), None)
            if query_chat is not None and self.history:
                self._emit(
                    {
                        "type": "callback_answer",
                        "chat_id": query_chat,
                        "text": params.get("text") or "",
                        "show_alert": bool(params.get("show_alert")),
                        "url": params.get("url"),
                    }
                )
            return True
        if method in ("setMyCommands", "deleteMyCommands", "getMyCommands"):
            return self._commands(method, params)
        # deleteWebhook, sendChatAction, close, logOut...
        return True

    def _album(
        self, params: dict[str, Any], files: dict[str, tuple[str, bytes]]
    ) -> list[dict[str, Any]]:
        """sendMediaGroup: one message per photo, sharing a media_group_id (photos only)."""
        group = f"G{next(self._albums)}"
        out = []
        for item in params.get("media") or []:
            ref = str(item.get("media", ""))
            name = ref.removeprefix("attach://")
            upload = {"photo": files[name]} if name in files else {}
            file_id = self._file({"photo": ref}, upload, "photo")
            photo = [
                {"file_id": file_id, "file_unique_id": file_id[:16], "width": 10, "height": 10}
            ]
            one = {"chat_id": params.get("chat_id"), "parse_mode": item.get("parse_mode")}
            out.append(
                self._message(one, photo=photo, caption=item.get("caption"), media_group_id=group)
            )
        return out

    def _commands(self, method: str, params: dict[str, Any]) -> Any:
        scope = params.get("scope") or {"type": "default"}
        chat_id = scope.get("chat_id")
        key = (str(scope.get("type", "default")), int(chat_id) if chat_id is not None else None)
        if method == "getMyCommands":
            return self.commands.get(key, [])
        if method == "setMyCommands" and params.get("commands"):
            self.commands[key] = [
                {"command": c["command"], "description": c["description"]}
                for c in params["commands"]
            ]
        else:  # deleteMyCommands, or setMyCommands with an empty list
            self.commands.pop(key, None)
        self._emit({"type": "commands", "scope": key[0], "chat_id": key[1]})
        return True


def counted(method: str) -> bool:
    """Whether a method delivers a new message (and so counts against the rate limits)."""
    return (method.startswith("send") and method != "sendChatAction") or method in (
        "copyMessage",
        "forwardMessage",
    )


def _flood(wait: float) -> Failure:
    seconds = max(1, math.ceil(wait))
    return Failure(429, f"Too Many Requests: retry after {seconds}", retry_after=seconds)


def _valid_button_url(url: str) -> bool:
    parts = urlsplit(url)
    if parts.scheme in ("http", "https"):
        return bool(parts.hostname) and not re.search(r"\s", url)
    return parts.scheme == "tg" and bool(parts.netloc or parts.path)
