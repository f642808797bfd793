"""The tests' fake Telegram Bot API: the Bot API double of bot/preview, under its test names.

Handler tests get Telegram's content rules (HTML, lengths, buttons), so a handler that would be
refused by Telegram fails its test; rate limits, unknown chats and message state stay off (the
harness pushes updates directly and presses buttons on messages the double never sent).
"""

from __future__ import annotations

from typing import Any

from bot.preview.double import BOT_USER, SENDS, BotApiDouble, Call, Failure, Responder, Rules
from bot.preview.transport import DoubleRequest as FakeRequest

CONTENT_RULES = Rules(limits=True, html=True, keyboards=True)


class FakeBotApi(BotApiDouble):
    def __init__(self, rules: Rules | None = None, **kwargs: Any) -> None:
        super().__init__(CONTENT_RULES if rules is None else rules, **kwargs)


__all__ = [
    "BOT_USER", "CONTENT_RULES", "SENDS", "Call", "Failure", "FakeBotApi", "FakeRequest",
    "Responder", "Rules",
]  # fmt: skip
