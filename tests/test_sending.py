"""bot/telegram/sending.py, the short way to send and edit texts: through the real Application's bot, the
Bot API double sees exactly what python-telegram-bot's own methods (with the app's Defaults) put
on the wire, refusals raise the same exceptions, and the Pacer paces and retries these calls
as it does the Bot's."""

from __future__ import annotations

from typing import Any

import pytest
from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, Forbidden

from bot.telegram import sending
from bot.telegram.pacing import Pacer
from tests.conftest import Harness
from tests.fakes.botapi import Failure

CHAT = 5151
KEYBOARD = InlineKeyboardMarkup(
    [
        [InlineKeyboardButton("Café £5 🚓", callback_data="m:x")],
        [InlineKeyboardButton("b", url="https://example.org")],
    ]
)
TEXT = "<b>Bold</b> &amp; a link https://example.org — 🚓"


def last(h: Harness) -> tuple[str, dict[str, Any]]:
    call = h.api.calls[-1]
    return call.method, call.params


async def test_send_text_puts_on_the_wire_what_send_message_with_the_defaults_does(
    harness: Harness,
) -> None:
    harness.api.add_user(CHAT)
    bot = harness.app.bot
    own = await bot.send_message(CHAT, TEXT, reply_markup=KEYBOARD)
    expected = last(harness)
    message_id = await sending.send_text(bot, CHAT, TEXT, KEYBOARD)
    assert last(harness) == expected
    assert message_id == own.message_id + 1
    await bot.send_message(CHAT, TEXT)
    plain = last(harness)
    await sending.send_text(bot, CHAT, TEXT)
    assert last(harness) == plain
    assert "reply_markup" not in plain[1]


async def test_edits_put_on_the_wire_what_the_bots_edits_do(harness: Harness) -> None:
    harness.api.add_user(CHAT)
    bot = harness.app.bot
    mid = await sending.send_text(bot, CHAT, "first", KEYBOARD)
    await bot.edit_message_text("second", chat_id=CHAT, message_id=mid, reply_markup=KEYBOARD)
    expected = last(harness)
    await sending.edit_text(bot, CHAT, mid, "third", KEYBOARD)
    method, params = last(harness)
    assert (method, {**params, "text": "second"}) == expected
    await bot.edit_message_reply_markup(chat_id=CHAT, message_id=mid, reply_markup=None)
    expected = last(harness)
    await sending.edit_buttons(bot, CHAT, mid, KEYBOARD)  # buttons back on, then off again
    await sending.edit_buttons(bot, CHAT, mid)
    # (python-telegram-bot also adds the default parse_mode, which this method has not got.)
    assert last(harness) == (
        expected[0],
        {k: v for k, v in expected[1].items() if k != "parse_mode"},
    )
    assert harness.api.texts(CHAT)[-1] == "third"


async def test_refusals_raise_python_telegram_bots_exceptions(harness: Harness) -> None:
    harness.api.add_user(CHAT)
    bot = harness.app.bot
    with pytest.raises(BadRequest, match="parse entities"):
        await sending.send_text(bot, CHAT, "<b>unclosed")
    harness.api.fail_next("editMessageText", Failure(400, "Bad Request: message to edit not found"))
    with pytest.raises(BadRequest, match="not found"):
        await sending.edit_text(bot, CHAT, 999, "no such message")
    harness.api.block(CHAT)
    with pytest.raises(Forbidden):
        await sending.send_text(bot, CHAT, "hello")


async def test_the_pacer_paces_and_retries_these_sends(harness: Harness) -> None:
    harness.api.add_user(CHAT)
    bot = harness.app.bot
    pacer = bot.rate_limiter
    assert isinstance(pacer, Pacer)
    start = pacer.clock()
    # Telegram's 1 per second per chat: a burst to one chat is spread out in (virtual) time.
    for i in range(25):
        await sending.send_text(bot, CHAT, f"n{i}")
    assert pacer.clock() - start >= 3
    # A 429 is waited out exactly as asked and the send tried again, once.
    harness.api.fail_next("sendMessage", Failure(429, "Too Many Requests: retry after 7", 7))
    before, t0 = len(harness.api.sent("sendMessage", CHAT)), pacer.clock()
    await sending.send_text(bot, CHAT, "after the flood")
    assert pacer.clock() - t0 >= 7
    # Two attempts reached the double: the refused one and the retry.
    assert [c.text for c in harness.api.sent("sendMessage", CHAT)[before:]] == [
        "after the flood"
    ] * 2
