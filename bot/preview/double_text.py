"""Telegram's text as the double sees it: what a person reads (`visible_text`), length as
Telegram counts it (UTF-16), and a sent HTML text as Telegram gives it back (plain text plus
entities), for the Bot API double (bot/preview/double.py).
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser
from typing import Any


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
