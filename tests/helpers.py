"""Conversations for transcript-style tests: a person types and taps buttons by their label, the
bot's side is read back from the Bot API double's chat log (edits applied), and the whole
exchange is kept as a readable transcript that a failing assertion prints.

    chat = await Conversation.open(harness, RESIDENT)
    await chat.say("when's the next meeting?")
    await chat.tap("Yes please")
    assert chat.live_keyboards() == 1
    chat.assert_one_screen()

The harness must keep the chat history: `make_harness(..., api=FakeBotApi(history=True))`
(`conversation_harness` in tests/conftest.py does this).
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field
from typing import Any

from bot import callback_data as cd
from bot.preview.double import SENDS, Call, received_message, visible_text
from tests import builders as b

SCREEN = 600  # characters a phone shows on one screen (issue 12: aim at most this)
SURVEY_QUESTION_BUTTONS = tuple(
    k.prefix
    for k in (cd.SurveyAnswer, cd.SurveyToggle, cd.SurveyDone, cd.SurveyBack, cd.SurveySkip)
)
EDITS = ("editMessageText", "editMessageCaption", "editMessageReplyMarkup")
_query_ids = itertools.count(1)


@dataclass
class Said:
    """One thing the bot did in the chat that a person sees: a message, an edit or a toast."""

    kind: str  # "message" | "edit" | "toast" | "file" | "photo" | "album"
    text: str  # visible text (tags dropped)
    buttons: list[tuple[str, str | None]] = field(default_factory=list)
    message_id: int | None = None

    def line(self) -> str:
        head = {"message": "bot", "edit": "bot (edited)", "toast": "bot (pop-up)"}.get(
            self.kind, f"bot ({self.kind})"
        )
        body = self.text.replace("\n", "\n    ")
        out = f"{head}: {body}"
        if self.buttons:
            out += "\n    " + " | ".join(f"[{label}]" for label, _ in self.buttons)
        return out


def visible(call: Call) -> str:
    return visible_text(call.text, call.params.get("parse_mode"))


def callback_answers(calls: list[Call]) -> list[str]:
    """The toasts (callback answers) among `calls`, "" for a silent answer."""
    return [str(c.params.get("text") or "") for c in calls if c.method == "answerCallbackQuery"]


def sent_texts(calls: list[Call]) -> list[str]:
    """Visible text of every message sent (not edits) among `calls`."""
    return [visible(c) for c in calls if c.method in SENDS]


class Conversation:
    """A private chat with the bot, driven through the real Application."""

    def __init__(self, harness: Any, chat_id: int, who: str = "resident") -> None:
        if not harness.api.history:
            raise ValueError("the harness's Bot API double must keep history (history=True)")
        self.h = harness
        self.chat_id = chat_id
        self.who = who
        self.lines: list[str] = []
        self.said: list[Said] = []  # everything the bot did, in order

    # ------------------------------------------------------------------ acting

    async def say(self, text: str) -> list[Said]:
        self.lines.append(f"{self.who}: {text}")
        return await self._push(b.text_update(self.chat_id, text))

    async def share_location(self, lat: float, lon: float) -> list[Said]:
        self.lines.append(f"{self.who}: (shares a location)")
        return await self._push(b.location_update(self.chat_id, lat, lon))

    async def tap(self, label: str, *, exact: bool = False) -> list[Said]:
        """Tap the button whose label is (or, unless exact, contains) `label` on the newest
        message that shows one."""
        message_id, data, shown = self.find_button(label, exact=exact)
        return await self.tap_data(message_id, data, shown)

    async def tap_data(self, message_id: int, data: str, label: str | None = None) -> list[Said]:
        """Tap a button by its data on a given message (an old message, a forged button)."""
        stored = self.h.api.log(self.chat_id).messages.get(message_id) or {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": b.chat(self.chat_id),
            "text": "…",
        }
        message = received_message(stored)  # plain text and entities, as Telegram sends it
        message.setdefault("from", {"id": 1, "is_bot": True, "first_name": "SaferMK"})
        self.lines.append(f"{self.who} taps [{label or data}]")
        update = {
            "update_id": next(b._ids),
            "callback_query": {
                "id": f"q{next(_query_ids)}",
                "from": b.user(self.chat_id),
                "chat_instance": str(self.chat_id),
                "data": data,
                "message": message,
            },
        }
        return await self._push(update)

    async def _push(self, update: dict[str, Any]) -> list[Said]:
        calls = await self.h.push(update)
        out = [s for c in calls if (s := self._said(c)) is not None]
        self.said.extend(out)
        self.lines.extend(s.line() for s in out)
        return out

    def _said(self, call: Call) -> Said | None:
        if call.method == "answerCallbackQuery":
            text = str(call.params.get("text") or "")
            return Said("toast", text) if text else None
        if call.chat_id != self.chat_id:
            return None
        if call.method == "sendMessage":
            return Said("message", visible(call), call.buttons)
        if call.method in ("sendPhoto", "sendDocument"):
            kind = "photo" if call.method == "sendPhoto" else "file"
            return Said(kind, visible(call), call.buttons)
        if call.method == "sendMediaGroup":
            return Said("album", str(call.params.get("media", "")))
        if call.method in EDITS:
            mid = int(call.params.get("message_id") or 0)
            text = visible(call) if call.method != "editMessageReplyMarkup" else "(buttons changed)"
            return Said("edit", text, call.buttons, mid)
        return None

    # ------------------------------------------------------------------ reading the chat

    def messages(self) -> list[dict[str, Any]]:
        """The bot's messages in the chat as the person sees them now (edits applied)."""
        log = self.h.api.log(self.chat_id).messages
        return [m for _, m in sorted(log.items()) if (m.get("from") or {}).get("is_bot")]

    @staticmethod
    def _buttons(message: dict[str, Any]) -> list[tuple[str, str | None]]:
        rows = (message.get("reply_markup") or {}).get("inline_keyboard") or []
        return [(btn["text"], btn.get("callback_data")) for row in rows for btn in row]

    def find_button(self, label: str, *, exact: bool = False) -> tuple[int, str, str]:
        for message in reversed(self.messages()):
            for text, data in self._buttons(message):
                if data and (text == label if exact else label.lower() in text.lower()):
                    return int(message["message_id"]), data, text
        raise AssertionError(f"no button {label!r} in the chat\n{self.transcript()}")

    def buttons(self) -> list[str]:
        """Labels of every live button in the chat, newest message last."""
        return [text for m in self.messages() for text, _ in self._buttons(m)]

    def live_keyboards(self, prefixes: tuple[str, ...] | None = None) -> int:
        """How many messages still show inline buttons (only those whose data starts with one
        of `prefixes`, when given)."""
        count = 0
        for m in self.messages():
            datas = [d or "" for _, d in self._buttons(m)]
            if datas and (prefixes is None or any(d.split(":")[0] in prefixes for d in datas)):
                count += 1
        return count

    def reply_keyboard_up(self) -> bool:
        """Whether a reply keyboard (share location) is showing: the newest message that sent
        one or its removal decides."""
        for m in reversed(self.messages()):
            keyboard = m.get("_keyboard")
            if keyboard is not None:
                return not keyboard.get("remove_keyboard")
        return False

    def live_question_keyboards(self) -> int:
        return self.live_keyboards(SURVEY_QUESTION_BUTTONS)

    def last(self) -> str:
        """Visible text of the bot's newest message."""
        messages = self.messages()
        if not messages:
            return ""
        m = messages[-1]
        return visible_text(str(m.get("text") or m.get("caption") or ""), m.get("_parse_mode"))

    def toasts(self) -> list[str]:
        return [s.text for s in self.said if s.kind == "toast"]

    def transcript(self) -> str:
        return "\n".join(self.lines)

    def assert_one_screen(self, limit: int = SCREEN) -> None:
        """Every message and edit the bot sent in this conversation fits one phone screen."""
        long = [
            s for s in self.said if s.kind in ("message", "edit", "photo") and len(s.text) > limit
        ]
        assert not long, (
            f"{len(long)} message(s) over {limit} characters: "
            + ", ".join(str(len(s.text)) for s in long)
            + f"\n{self.transcript()}"
        )
