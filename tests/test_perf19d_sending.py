"""bot/telegram/sending.py's JsonData: every view python-telegram-bot's RequestData gives of the
same parameters (each a RequestParameter of a JSON value) it gives alike, and the transport puts
the same bytes on the wire for both. A markup's JSON, kept by identity, is always its own; the
share-location keyboard and the menu are made once per language."""

from __future__ import annotations

from typing import Any

import pytest
from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.request import RequestData
from telegram.request._requestparameter import RequestParameter

from bot.handlers.areas import _location_keyboard
from bot.handlers.navigation import menu_keyboard
from bot.telegram import sending
from bot.telegram.http_codec import encode_json
from bot.telegram.sending import TEXT_DEFAULTS, JsonData
from tests.conftest import Harness

PARAMS: list[dict[str, Any]] = [
    {"chat_id": 5151, "text": "<b>Café</b> £5 🚓 &amp;", **TEXT_DEFAULTS},
    {
        "chat_id": -100123,
        "message_id": 7,
        "text": 'quote " and \\ and \n',
        "reply_markup": {
            "inline_keyboard": [
                [{"text": "A", "callback_data": "m:x"}],
                [{"text": "b", "url": "u"}],
            ]
        },
        "disable_notification": True,
        "allow_paid_broadcast": True,
    },
    {
        "chat_id": 1,
        "reply_markup": {
            "keyboard": [[{"text": "Share", "request_location": True}]],
            "resize_keyboard": True,
            "one_time_keyboard": True,
            "input_field_placeholder": "MK6 2LP",
        },
    },  # fmt: skip
    {"chat_id": 2, "latitude": 52.04, "longitude": -0.76, "score": 0},
    {},
]


def theirs(params: dict[str, Any]) -> RequestData:
    return RequestData([RequestParameter(k, v, None) for k, v in params.items()])


@pytest.mark.parametrize("params", PARAMS)
def test_json_data_gives_every_view_request_data_gives(params: dict[str, Any]) -> None:
    ours, their = JsonData(dict(params)), theirs(params)
    assert isinstance(ours, RequestData)
    assert ours.contains_files is their.contains_files is False
    assert ours.parameters == their.parameters
    assert list(ours.parameters) == list(their.parameters)  # same order, so the same bytes
    assert ours.json_parameters == their.json_parameters
    assert ours.json_payload == their.json_payload
    assert ours.url_encoded_parameters() == their.url_encoded_parameters()
    assert ours.parametrized_url("http://x/m") == their.parametrized_url("http://x/m")
    assert ours.multipart_data == their.multipart_data == {}
    assert encode_json(ours.parameters) == encode_json(their.parameters)


def test_the_parameters_given_are_a_copy() -> None:
    values = {"chat_id": 1, "text": "a"}
    data = JsonData(values)
    data.parameters["text"] = "changed"
    assert data.parameters == {"chat_id": 1, "text": "a"} and values["text"] == "a"


CHAT = 5252


def keyboard(label: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(label, callback_data=f"m:{label}")]])


async def test_a_markup_sent_again_puts_its_own_json_on_the_wire(harness: Harness) -> None:
    """The JSON of a markup is kept by identity: the same markup, a different one, one sent
    after many others pushed it out, and a fresh one each time all go out as their own."""
    harness.api.add_user(CHAT)
    bot = harness.app.bot
    kept, other = keyboard("kept"), keyboard("other")
    many = [keyboard(f"n{i}") for i in range(sending.KEPT_MARKUPS + 5)]
    for markup in [kept, kept, other, kept, *many, kept, keyboard("fresh"), keyboard("fresh2")]:
        await sending.send_text(bot, CHAT, "x", markup)
        assert harness.api.calls[-1].params["reply_markup"] == markup.to_dict()
    await sending.send_text(bot, CHAT, "x")
    assert "reply_markup" not in harness.api.calls[-1].params


async def test_the_share_location_keyboard_and_the_menu_are_one_per_language(
    harness: Harness,
) -> None:
    """Made once per language's texts (they are frozen), and still what each reply carries."""
    en = harness.services.texts("en")
    assert _location_keyboard(en) is _location_keyboard(en)
    assert menu_keyboard(en) is menu_keyboard(en)
    for chat in (CHAT, CHAT + 1):
        calls = await harness.send(chat, "hello")
        keyboards = [c.params.get("reply_markup") for c in calls if c.method == "sendMessage"]
        assert _location_keyboard(en).to_dict() in keyboards
