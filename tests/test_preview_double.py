"""The Bot API double enforces Telegram's rules, each on its own switch, with Telegram's answers.

Driven directly (`handle`), through python-telegram-bot's Bot (so its errors are what the bot's
code catches: BadRequest, Forbidden, RetryAfter) and over HTTP.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp
import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, Forbidden, RetryAfter

from bot.delivery import retry_after
from bot.preview.double import BotApiDouble, Rules
from bot.preview.transport import BotApiServer, DoubleRequest

CHAT = 4242
OTHER = 4343


class Clock:
    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


def double(rules: Rules, clock: Clock | None = None) -> BotApiDouble:
    api = BotApiDouble(rules, clock=clock or Clock())
    api.add_user(CHAT)
    api.add_user(OTHER)
    return api


def send(api: BotApiDouble, text: str = "hi", chat: int = CHAT, **params: Any) -> dict[str, Any]:
    status, body = api.handle(
        "sendMessage", {"chat_id": chat, "text": text, "parse_mode": "HTML", **params}, {}
    )
    assert (status == 200) == body["ok"]
    return body


def error(body: dict[str, Any]) -> tuple[int, str]:
    return body["error_code"], body["description"]


def inline(*rows: list[dict[str, Any]]) -> dict[str, Any]:
    return {"inline_keyboard": list(rows)}


# ---------------------------------------------------------------- lengths and HTML


def test_text_limit_counts_what_the_reader_sees():
    api = double(Rules(limits=True))
    # 4096 visible characters pass even with tags around them; one more is too long.
    assert send(api, "<b>" + "a" * 4096 + "</b>")["ok"]
    assert send(api, "&lt;" * 4096)["ok"], "an entity is one character"
    assert error(send(api, "a" * 4097)) == (400, "Bad Request: message is too long")
    # Telegram counts UTF-16 code units: an emoji outside the BMP is two.
    assert error(send(api, "😀" * 2049)) == (400, "Bad Request: message is too long")
    assert error(send(api, "  <b> </b> ")) == (400, "Bad Request: message text is empty")


def test_caption_limit():
    api = double(Rules(limits=True))
    ok = api.handle(
        "sendPhoto", {"chat_id": CHAT, "photo": "https://x.test/a.png", "caption": "c" * 1024}, {}
    )
    assert ok[0] == 200
    status, body = api.handle(
        "sendPhoto", {"chat_id": CHAT, "photo": "https://x.test/a.png", "caption": "c" * 1025}, {}
    )
    assert (status, body["description"]) == (400, "Bad Request: message caption is too long")


def test_albums_of_one_or_more_than_ten_are_refused():
    api = double(Rules(limits=True))
    photo = {"type": "photo", "media": "https://x.test/a.png"}
    for n, status in ((1, 400), (2, 200), (10, 200), (11, 400)):
        got = api.handle("sendMediaGroup", {"chat_id": CHAT, "media": [photo] * n}, {})
        assert got[0] == status, n


def test_results_charts_go_in_albums_telegram_accepts():
    from bot.handlers.results import albums

    for n in range(2, 40):
        sizes = [len(a) for a in albums(list(range(n)))]
        assert sum(sizes) == n and all(2 <= s <= 10 for s in sizes), (n, sizes)
    assert [len(a) for a in albums(list(range(11)))] == [6, 5]


def test_html_that_telegram_cannot_parse():
    api = double(Rules(html=True))
    assert send(api, "<b>bold</b> &amp; <a href='https://x.test'>link</a>")["ok"]
    code, description = error(send(api, "<b>never closed"))
    assert code == 400
    assert description.startswith("Bad Request: can't parse entities: ")
    assert "<b> is never closed" in description
    assert "bare '<'" in error(send(api, "1 < 2"))[1]
    assert "<div> is not supported" in error(send(api, "<div>x</div>"))[1]
    # Plain text (no parse_mode) is never parsed.
    status, _ = api.handle("sendMessage", {"chat_id": CHAT, "text": "1 < 2"}, {})
    assert status == 200


# ---------------------------------------------------------------- keyboards


def test_callback_data_is_at_most_64_bytes():
    api = double(Rules(keyboards=True))
    assert send(api, reply_markup=inline([{"text": "ok", "callback_data": "x" * 64}]))["ok"]
    # 32 two-byte characters are 64 bytes; 33 are 66.
    assert send(api, reply_markup=inline([{"text": "ok", "callback_data": "é" * 32}]))["ok"]
    for data in ("x" * 65, "é" * 33, ""):
        body = send(api, reply_markup=inline([{"text": "b", "callback_data": data}]))
        assert error(body) == (400, "Bad Request: BUTTON_DATA_INVALID")


def test_keyboard_sizes_urls_and_text_only_buttons():
    api = double(Rules(keyboards=True))
    button = {"text": "b", "callback_data": "d"}
    assert send(api, reply_markup=inline([button] * 8))["ok"]
    assert error(send(api, reply_markup=inline([button] * 9)))[1] == (
        "Bad Request: reply markup is too long"
    )
    assert send(api, reply_markup=inline(*[[button] * 5] * 20))["ok"], "100 buttons"
    assert error(send(api, reply_markup=inline(*[[button] * 5] * 20, [button])))[0] == 400
    bad_url = inline([{"text": "site", "url": "not a url"}])
    assert error(send(api, reply_markup=bad_url)) == (400, "Bad Request: BUTTON_URL_INVALID")
    text_only = inline([{"text": "just text"}])
    assert error(send(api, reply_markup=text_only)) == (
        400,
        "Bad Request: text buttons are unallowed in the inline keyboard",
    )
    reply_kb = {"keyboard": [[{"text": "k"}] * 13]}
    assert error(send(api, reply_markup=reply_kb))[1] == "Bad Request: reply markup is too long"


# ---------------------------------------------------------------- rate limits


def test_one_message_per_second_per_chat_with_retry_after():
    clock = Clock()
    api = double(Rules(rate=True), clock)
    assert send(api)["ok"]
    body = send(api)
    assert error(body) == (429, "Too Many Requests: retry after 1")
    assert body["parameters"] == {"retry_after": 1}
    assert send(api, chat=OTHER)["ok"], "another chat is not held up"
    clock.t += 0.5
    assert not send(api)["ok"], "a refused send does not reset the wait, nor count"
    clock.t += 0.5
    assert send(api)["ok"]


def test_a_chat_may_burst_then_is_held_to_one_per_second():
    clock = Clock()
    api = double(Rules(rate=True, chat_burst=3), clock)
    assert all(send(api)["ok"] for _ in range(3))
    assert error(send(api))[0] == 429
    clock.t += 1.0
    assert send(api)["ok"]
    assert error(send(api))[0] == 429


def test_thirty_per_second_overall_in_a_sliding_window():
    clock = Clock()
    api = BotApiDouble(Rules(rate=True), clock=clock)
    for i in range(30):
        clock.t += 0.01
        assert send(api, chat=1000 + i)["ok"]
    body = send(api, chat=2000)
    assert body["error_code"] == 429
    assert body["parameters"]["retry_after"] == 1
    clock.t = 100.0 + 0.01 + 1.0  # the first send has left the window: one slot is free
    assert send(api, chat=2001)["ok"]
    assert not send(api, chat=2002)["ok"]


def test_edits_and_commands_do_not_count_against_the_rate():
    api = double(Rules(rate=True))
    assert send(api)["ok"]
    status, _ = api.handle("editMessageText", {"chat_id": CHAT, "message_id": 1, "text": "x"}, {})
    assert status == 200
    assert api.handle("setMyCommands", {"commands": []}, {})[0] == 200


# ---------------------------------------------------------------- chats and blocking


def test_unknown_chat_and_blocked_user():
    api = BotApiDouble(Rules(chats=True))
    assert error(send(api, chat=555)) == (400, "Bad Request: chat not found")
    status, body = api.handle(
        "setMyCommands", {"commands": [], "scope": {"type": "chat", "chat_id": 555}}, {}
    )
    assert (status, body["description"]) == (400, "Bad Request: chat not found")
    api.user_message(555, "/start")  # the person opens the chat: now the bot may write
    assert send(api, chat=555)["ok"]
    api.block(555)
    assert error(send(api, chat=555)) == (403, "Forbidden: bot was blocked by the user")


def test_blocking_sends_the_bot_my_chat_member_updates():
    api = BotApiDouble()
    api.add_user(CHAT, "Amira")
    api.block(CHAT)
    api.block(CHAT)  # no change, no second update
    api.block(CHAT, False)
    changes = [u["my_chat_member"] for u in api.pending]
    assert [(c["old_chat_member"]["status"], c["new_chat_member"]["status"]) for c in changes] == [
        ("member", "kicked"),
        ("kicked", "member"),
    ]
    assert changes[0]["chat"] == {"id": CHAT, "type": "private", "first_name": "Amira"}
    assert changes[0]["new_chat_member"]["user"]["is_bot"]
    assert send(api)["ok"], "unblocked"


# ---------------------------------------------------------------- message state


def test_edits_need_a_message_that_changes():
    api = double(Rules(messages=True))
    sent = send(api, "first", reply_markup=inline([{"text": "b", "callback_data": "d"}]))["result"]
    mid = sent["message_id"]

    def edit(**params: Any) -> tuple[int, dict[str, Any]]:
        return api.handle("editMessageText", {"chat_id": CHAT, "message_id": mid, **params}, {})

    status, body = api.handle(
        "editMessageText", {"chat_id": CHAT, "message_id": 99, "text": "x"}, {}
    )
    assert (status, body["description"]) == (400, "Bad Request: message to edit not found")
    status, body = edit(text="first", reply_markup=inline([{"text": "b", "callback_data": "d"}]))
    assert status == 400 and body["description"].startswith("Bad Request: message is not modified")
    status, body = edit(text="second")
    assert status == 200 and body["result"]["text"] == "second"
    stored = api.log(CHAT).messages[mid]
    assert stored["text"] == "second" and "reply_markup" not in stored, (
        "an edit without reply_markup removes the keyboard, as in Telegram"
    )
    status, body = api.handle(
        "editMessageReplyMarkup",
        {"chat_id": CHAT, "message_id": mid, "reply_markup": {"inline_keyboard": []}},
        {},
    )
    assert status == 400 and "not modified" in body["description"], (
        "an empty keyboard on a message without one changes nothing, as in Telegram"
    )
    user = api.user_message(CHAT, "hello")
    status, body = api.handle(
        "editMessageText", {"chat_id": CHAT, "message_id": user["message_id"], "text": "x"}, {}
    )
    assert (status, body["description"]) == (400, "Bad Request: message can't be edited")
    assert api.handle("deleteMessage", {"chat_id": CHAT, "message_id": mid}, {})[0] == 200
    status, body = api.handle("deleteMessage", {"chat_id": CHAT, "message_id": mid}, {})
    assert (status, body["description"]) == (400, "Bad Request: message to delete not found")


def test_callback_queries_are_answered_once():
    api = double(Rules(messages=True))
    mid = send(api, "pick", reply_markup=inline([{"text": "b", "callback_data": "d"}]))["result"][
        "message_id"
    ]
    query = api.press(CHAT, mid, "d")
    update = api.pending[-1]["callback_query"]
    assert update["data"] == "d" and update["message"]["text"] == "pick"
    assert update["message"]["reply_markup"] == inline([{"text": "b", "callback_data": "d"}])
    assert api.handle("answerCallbackQuery", {"callback_query_id": query}, {})[0] == 200
    status, body = api.handle("answerCallbackQuery", {"callback_query_id": query}, {})
    assert status == 400 and "query ID is invalid" in body["description"]


def test_files_are_kept_and_file_ids_reused():
    api = double(Rules(messages=True))
    status, body = api.handle(
        "sendDocument", {"chat_id": CHAT}, {"document": ("m.ics", b"BEGIN:VCALENDAR")}
    )
    doc = body["result"]["document"]
    assert doc["file_name"] == "m.ics" and doc["mime_type"] == "text/calendar"
    assert api.files[doc["file_id"]].data == b"BEGIN:VCALENDAR"
    assert api.handle("sendDocument", {"chat_id": CHAT, "document": doc["file_id"]}, {})[0] == 200
    status, body = api.handle("sendPhoto", {"chat_id": CHAT, "photo": "no-such-id"}, {})
    assert (status, body["description"]) == (
        400,
        "Bad Request: wrong file identifier/HTTP URL specified",
    )


def test_command_menus_by_scope():
    api = BotApiDouble(history=True)
    api.handle("setMyCommands", {"commands": [{"command": "start", "description": "Start"}]}, {})
    scope = {"type": "chat", "chat_id": CHAT}
    officer = [{"command": "broadcast", "description": "Send"}]
    api.handle("setMyCommands", {"commands": officer, "scope": scope}, {})
    assert api.commands_for(OTHER) == [{"command": "start", "description": "Start"}]
    assert api.commands_for(CHAT) == officer, "a chat's own menu overrides the default"
    api.handle("deleteMyCommands", {"scope": scope}, {})
    assert api.commands_for(CHAT)[0]["command"] == "start"


def test_rules_off_accepts_anything_and_failures_still_come_first():
    api = BotApiDouble()  # the handler tests' setting: no rule at all
    assert send(api, "<b>" + "x" * 5000, chat=999)["ok"]
    assert send(api, chat=999)["ok"], "no rate limit"
    from bot.preview.double import Failure

    api.fail_next("sendMessage", Failure(502, "Bad Gateway"))
    assert error(send(api)) == (502, "Bad Gateway")
    assert [c.method for c in api.calls] == ["sendMessage"] * 3


def test_refusals_are_kept_for_the_page():
    api = double(Rules.telegram())
    events: list[dict[str, Any]] = []
    api.subscribe(events.append)
    first = send(api, "ok")["result"]["message_id"]
    send(api, "<i>broken", chat=OTHER)
    note = api.log(OTHER).refused[0]
    assert note["status"] == 400 and "can't parse entities" in note["description"]
    assert [e["type"] for e in events] == ["message", "refused"]
    assert first in api.log(CHAT).messages


# ---------------------------------------------------------------- what python-telegram-bot sees


async def test_the_bot_gets_telegrams_exceptions():
    api = double(Rules.telegram())
    bot = Bot(
        "12345:" + "A" * 35, request=DoubleRequest(api), get_updates_request=DoubleRequest(api)
    )
    async with bot:
        await bot.send_message(CHAT, "<b>hello</b>", parse_mode="HTML")
        with pytest.raises(RetryAfter) as flood:
            await bot.send_message(CHAT, "again")
        assert retry_after(flood.value) == 1
        with pytest.raises(BadRequest, match="(?i)can't parse entities"):
            await bot.send_message(OTHER, "<b>oops", parse_mode="HTML")
        with pytest.raises(BadRequest, match="(?i)button_data_invalid"):
            await bot.send_message(
                OTHER,
                "x",
                reply_markup=InlineKeyboardMarkup(
                    [[InlineKeyboardButton("b", callback_data="d" * 65)]]
                ),
            )
        with pytest.raises(BadRequest, match="(?i)chat not found"):
            await bot.send_message(777, "who?")
        api.block(OTHER)
        with pytest.raises(Forbidden, match="(?i)blocked by the user"):
            await bot.send_message(OTHER, "hi")


async def test_get_updates_long_polls_until_an_update_arrives():
    api = BotApiDouble()
    waiting = asyncio.ensure_future(api.get_updates({"timeout": 30}))
    await asyncio.sleep(0)
    assert not waiting.done(), "nothing pending: the request waits"
    api.user_message(CHAT, "/start")
    result = (await asyncio.wait_for(waiting, 5))["result"]
    assert result[0]["message"]["text"] == "/start"
    assert result[0]["message"]["entities"][0]["type"] == "bot_command"
    # The offset acknowledges it.
    assert (await api.get_updates({"offset": result[0]["update_id"] + 1}))["result"] == []


async def test_over_http_the_same_rules_and_answers():
    api = double(Rules.telegram())
    server = await BotApiServer(api).start()
    try:
        async with aiohttp.ClientSession() as http:
            url = f"{server.url}/bot123:abc/sendMessage"
            payload = {"chat_id": CHAT, "text": "<u>x", "parse_mode": "HTML"}
            async with http.post(url, json=payload) as resp:
                body = json.loads(await resp.text())
            assert resp.status == 400 and body["ok"] is False
            assert body["description"].startswith("Bad Request: can't parse entities")
            form = aiohttp.FormData({"chat_id": str(CHAT), "caption": "cal"})
            form.add_field("document", b"BEGIN:VCALENDAR", filename="a.ics")
            async with http.post(f"{server.url}/bot123:abc/sendDocument", data=form) as resp:
                body = await resp.json()
            assert resp.status == 200 and body["result"]["document"]["file_name"] == "a.ics"
        assert server.tokens_seen == {"123:abc"}
    finally:
        await server.stop()


def test_the_handler_tests_fake_is_the_double_with_the_content_rules():
    from tests.fakes.botapi import FakeBotApi, FakeRequest
    from tests.fakes.server import FakeBotApiServer

    api = FakeBotApi()
    assert isinstance(api, BotApiDouble) and FakeRequest is DoubleRequest
    assert FakeBotApiServer is BotApiServer
    # A handler that sends what Telegram would refuse fails its test...
    assert error(send(api, "<b>unclosed", chat=1)) == (
        400,
        "Bad Request: can't parse entities: <b> is never closed",
    )
    # ...but replies to any chat, as fast as it likes, are fine (the harness pushes updates
    # directly and sends in bursts).
    assert send(api, "ok", chat=1)["ok"] and send(api, "ok", chat=1)["ok"]


def test_record_off_keeps_nothing_for_long_benchmarks():
    api = BotApiDouble(record=False)
    for _ in range(3):
        assert send(api)["ok"]
    assert api.calls == [] and api.send_times == [] and api.chats == {}


def test_a_pressed_message_arrives_as_plain_text_with_entities():
    from bot.preview.double import as_received

    text, entities = as_received('😀 <b>Lock</b> &amp; <a href="https://x.uk">go</a>', "HTML")
    assert text == "😀 Lock & go"
    # offsets in UTF-16 code units, as Telegram counts them (the emoji is two)
    assert entities == [
        {"type": "bold", "offset": 3, "length": 4},
        {"type": "text_link", "offset": 10, "length": 2, "url": "https://x.uk"},
    ]
    assert as_received("<b>x</b>", None) == ("<b>x</b>", [])


# ---------------------------------------------------------------- benchmarks' needs


def test_paid_broadcasts_go_past_the_free_limit_and_are_billed_above_it():
    clock = Clock()
    api = BotApiDouble(Rules(rate=True, per_second=3, paid_per_second=5), clock=clock)
    for i in range(3):
        assert send(api, chat=1000 + i)["ok"]
    assert error(send(api, chat=1010))[0] == 429, "the free limit holds without the flag"
    assert send(api, chat=1011, allow_paid_broadcast=True)["ok"]
    assert send(api, chat=1012, allow_paid_broadcast=True)["ok"]
    assert error(send(api, chat=1013, allow_paid_broadcast=True))[0] == 429, "paid limit: 5"
    assert api.billed == 2, "only the paid sends above the free limit are billed"


def test_observers_see_every_answer_with_its_status_and_time():
    clock = Clock()
    api = double(Rules(rate=True), clock)
    seen: list[tuple[str, int, int, float]] = []
    stop = api.observe(lambda m, p, status, t: seen.append((m, int(p["chat_id"]), status, t)))
    send(api)
    clock.t += 0.25
    send(api)
    stop()
    send(api, chat=OTHER)
    assert seen == [("sendMessage", CHAT, 200, 100.0), ("sendMessage", CHAT, 429, 100.25)]


async def test_latency_jitter_draws_each_answer_from_the_range():
    api = BotApiDouble(Rules.off())
    api.latency = (0.02, 0.08)
    delays = [api.delay() for _ in range(200)]
    assert all(0.02 <= d <= 0.08 for d in delays)
    assert max(delays) - min(delays) > 0.04, "spread over the range, not one value"
