"""Telegram's rules, as the Bot API double enforces them (each switched on by `Rules`): unknown
and blocked chats, edits and deletes of messages that do not exist or would not change, text
and caption lengths, HTML that does not parse, button data and keyboard sizes, and the rate
limits (429 with retry_after). Each refusal carries Telegram's error code and description.
"""

from __future__ import annotations

import math
import re
from typing import Any
from urllib.parse import urlsplit

from bot.preview.double_model import BOT_USER, EDITS, Failure
from bot.preview.double_state import DoubleState
from bot.preview.double_text import telegram_length, visible_text
from bot.telegram.htmlcheck import html_problem

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


def _keyboard(markup: Any) -> Any:
    """A message's inline keyboard as Telegram compares it in an edit: none and an empty one are
    the same (so removing the buttons of a message without any is "not modified")."""
    return markup if isinstance(markup, dict) and markup.get("inline_keyboard") else None


class DoubleRules(DoubleState):
    """The rules half of the double: `check` answers the first rule a request breaks."""

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
