"""The Bot API transport (bot/telegram/http.py) against the Bot API double over HTTP on 127.0.0.1:
what arrives is what the bot meant to send, answers parse as python-telegram-bot's own, and the
orjson path and the standard-library path agree."""

from __future__ import annotations

from typing import Any

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import TelegramError

from bot.preview.double import BotApiDouble, Rules
from bot.preview.transport import BotApiServer
from bot.telegram import http_codec
from bot.telegram.http import BotApiRequest, decode_json, encode_json

TOKEN = "123456789:" + "A" * 35
CHAT = 4242

VALUES: list[Any] = [
    {"chat_id": CHAT, "text": "Café £5 <b>ok</b> 🚓", "disable_notification": True},
    {"reply_markup": {"inline_keyboard": [[{"text": "👍", "callback_data": "r:1:1"}]]}},
    {"n": 1.5, "list": [1, "two", None, False], "empty": {}},
]


@pytest.fixture(params=["orjson", "stdlib"])
def codec(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    if request.param == "stdlib":
        monkeypatch.setattr(http_codec, "orjson", None)
    elif http_codec.orjson is None:
        pytest.skip("orjson is not installed")
    return request.param


@pytest.mark.parametrize("value", VALUES)
def test_both_codecs_round_trip_to_the_same_values(codec: str, value: Any) -> None:
    assert decode_json(encode_json(value)) == value


def test_invalid_json_is_a_telegram_error_and_bad_utf8_is_replaced(codec: str) -> None:
    with pytest.raises(TelegramError):
        decode_json(b"<html>502 Bad Gateway</html>")
    assert decode_json(b'{"ok": true, "d": "caf\xe9"}') == {"ok": True, "d": "caf\ufffd"}


def test_integers_beyond_64_bits_still_encode(codec: str) -> None:
    assert decode_json(encode_json({"n": 2**70})) == {"n": 2**70}


@pytest.mark.parametrize("lean", [True, False])
async def test_a_message_with_a_keyboard_arrives_as_sent_and_the_answer_parses(
    codec: str, lean: bool
) -> None:
    api = BotApiDouble(Rules(html=True, keyboards=True))
    api.add_user(CHAT)
    server = await BotApiServer(api).start()
    request = BotApiRequest(lean_answers=lean)
    bot = Bot(TOKEN, base_url=f"{server.url}/bot", request=request, get_updates_request=request)
    try:
        await request.initialize()
        markup = InlineKeyboardMarkup([[InlineKeyboardButton("👍 Useful", callback_data="r:1:1")]])
        msg = await bot.send_message(
            CHAT, "Road <b>closed</b> £5 🚧", parse_mode="HTML", reply_markup=markup
        )
        call = api.sent("sendMessage")[0]
        assert call.params["chat_id"] == CHAT
        assert call.text == "Road <b>closed</b> £5 🚧"
        assert call.buttons == [("👍 Useful", "r:1:1")]
        assert msg.message_id > 0 and msg.date is not None
        assert msg.chat.id == CHAT and msg.text == "Road <b>closed</b> £5 🚧"
        # Lean answers leave out what the bot never reads back from its own messages.
        assert msg.reply_markup == (None if lean else markup)
        assert (msg.from_user is None) == lean
        photo = await bot.send_photo(CHAT, b"\x89PNG fake", caption="Poster")
        assert photo.photo and photo.photo[-1].file_id, "the file id Delivery reuses is kept"
        assert photo.caption == "Poster"
        assert await bot.get_me() is not None
    finally:
        await request.shutdown()
        await server.stop()
