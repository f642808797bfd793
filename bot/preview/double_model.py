"""The Bot API double's vocabulary: the bot's own user, the calls it records, the failures it
answers, which of Telegram's rules are on (`Rules`), and what it keeps per chat and per file.

Nothing here behaves; bot/preview/double.py is the double itself.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

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
