"""Property-based fuzzing (Hypothesis): updates of every kind the bot can receive, from residents,
officers and strangers, through the real Application and the fake Bot API.

About 10,000 updates per run (FUZZ_EXAMPLES x 15 to 35 updates each, on one long-lived bot so
state builds up between them). After every update:
- no handler or job raised (the harness fails on any recorded error);
- every callback query was answered (no button left spinning);
- everything sent is within Telegram's limits: text 1-4096 characters, captions up to 1024,
  callback data 1-64 bytes, button labels present, callback answers up to 200 characters,
  HTML that Telegram would parse;
- nothing is stored about group or channel chats, and no campaign message or rating exists for a
  resident who did not agree to messages or never received it.
"""

from __future__ import annotations

import string
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.telegram.htmlcheck import html_problem
from tests import builders as b
from tests.conftest import ADMIN_ID, OFFICER_ID, Harness
from tests.fakes.botapi import Call

FUZZ_EXAMPLES = 430  # x 15 to 35 updates: about 10,000 updates per run
RESIDENTS = [424201, 424202, 424203]
PEOPLE = [*RESIDENTS, OFFICER_ID, ADMIN_ID]
COMMANDS = [
    "start", "help", "nag", "meetings", "campaigns", "survey", "cancel", "privacy", "mydata",
    "forget", "stop", "settings", "broadcast", "scheduled", "report", "results", "reload",
    "safety", "menu", "unknown",
]  # fmt: skip
PREFIXES = [
    "a", "c", "i", "r", "ch", "m", "mo", "f", "cp", "sv", "so", "sc", "rs", "br", "bw", "bx",
    "bt", "bn", "zz", "",
]  # fmt: skip
NAG_IDS = ["fishermead", "cmk", "olney", "nowhere", "../etc", "FISHERMEAD"]
SURVEY_IDS = ["community-safety", "nag-priorities", "partnership-review", "nope"]

ODD_NUMBERS = st.sampled_from(
    ["0", "1", "2", "-1", "²", "١٢", "10" * 12, "9" * 30, "1e3", "0x10", " 1", "1.5", ""]
)
WORDS = st.sampled_from(
    [
        "MK6 3AX", "mk9", "SW1A 1AA", "Fishermead", "Shenly Lodge", "Bletchley", "hi", "help",
        "stop", "yes", "no", "4", "10", "someone is threatening me outside", "my son is missing",
        "<b>bold</b>", "&amp;", "💥", "😀" * 30, "/cancel", "24/11/2026 18:30", "31/02/2027 10:00",
        "01/01/9999 10:00", "tomorrow", "x" * 600, "a" * 5000, "", " ", "\u202e\u0000",
    ]
)  # fmt: skip
TEXT = st.one_of(WORDS, st.text(max_size=300), st.text(alphabet=string.printable, max_size=80))


@st.composite
def callback_data(draw: st.DrawFn) -> str:
    prefix = draw(st.sampled_from(PREFIXES))
    parts = draw(
        st.lists(
            st.one_of(
                ODD_NUMBERS,
                st.sampled_from(NAG_IDS + SURVEY_IDS + ["y", "n", "x", "t", "ok", "ok2", "u"]),
                st.sampled_from(["a", "t", "d", "b", "s", "nd", "w", "img", "test", "now"]),
                st.text(alphabet=string.ascii_letters + string.digits + ":_-", max_size=12),
            ),
            max_size=6,
        )
    )
    data = ":".join([prefix, *parts])
    return data.encode("utf-8")[:64].decode("utf-8", "ignore")


@st.composite
def update(draw: st.DrawFn) -> dict[str, Any]:
    who = draw(st.sampled_from(PEOPLE))
    kind = draw(
        st.sampled_from(
            ["text", "text", "text", "command", "command", "deeplink", "button", "button",
             "button", "location", "sticker", "photo", "caption", "edited", "group", "channel",
             "member", "no_from"]
        )
    )  # fmt: skip
    if kind == "text":
        return b.text_update(who, draw(TEXT) or " ")
    if kind == "command":
        name = draw(st.sampled_from(COMMANDS))
        args = draw(
            st.lists(
                st.one_of(WORDS, ODD_NUMBERS, st.sampled_from(NAG_IDS + SURVEY_IDS)), max_size=3
            )
        )
        return b.text_update(who, " ".join([f"/{name}", *args]).strip())
    if kind == "deeplink":
        payload = draw(
            st.one_of(
                st.sampled_from(
                    [f"nag_{n}" for n in NAG_IDS] + [f"survey_{s}" for s in SURVEY_IDS]
                ),
                st.text(alphabet=string.ascii_letters + string.digits + "_-", max_size=64),
            )
        )
        return b.text_update(who, f"/start {payload}")
    if kind == "button":
        return b.callback_update(who, draw(callback_data()), message_id=draw(st.integers(1, 5)))
    if kind == "location":
        lat = draw(st.floats(-90, 90, allow_nan=False))
        lon = draw(st.floats(-180, 180, allow_nan=False))
        if draw(st.booleans()):
            lat, lon = 52.04 + lat / 1000, -0.76 + lon / 1000
        return b.location_update(who, lat, lon)
    if kind == "sticker":
        return b.sticker_update(who)
    if kind == "photo":
        return b.photo_update(who)
    if kind == "caption":
        u = b.photo_update(who)
        u["message"]["caption"] = draw(TEXT) or "."
        return u
    if kind == "edited":
        u = b.text_update(who, draw(TEXT) or " ")
        u["edited_message"] = u.pop("message")
        u["edited_message"]["edit_date"] = u["edited_message"]["date"]
        return u
    if kind == "group":
        u = b.text_update(
            who, draw(st.one_of(TEXT, st.sampled_from(["/start", "/help", "/broadcast"]))) or " "
        )
        u["message"]["chat"] = {
            "id": -100123,
            "type": draw(st.sampled_from(["group", "supergroup"])),
            "title": "G",
        }
        return u
    if kind == "channel":
        u = b.text_update(who, draw(TEXT) or " ")
        msg = u.pop("message")
        msg.pop("from")
        msg["chat"] = {"id": -100777, "type": "channel", "title": "C"}
        u["channel_post"] = msg
        return u
    if kind == "member":
        return b.member_update(who, draw(st.sampled_from(["kicked", "member"])))
    # no_from: a message without a sender (anonymous admin in a group, or odd clients)
    u = b.text_update(who, draw(TEXT) or " ")
    u["message"].pop("from")
    return u


def check_limits(calls: list[Call]) -> None:
    for c in calls:
        p = c.params
        if c.method in ("sendMessage", "editMessageText"):
            text = str(p.get("text", ""))
            assert 1 <= len(text) <= 4096, (c.method, len(text))
            if p.get("parse_mode") == "HTML":
                assert html_problem(text) is None, (html_problem(text), text[:200])
        if c.method in ("sendPhoto", "sendDocument") and p.get("caption") is not None:
            caption = str(p["caption"])
            assert len(caption) <= 1024
            if p.get("parse_mode") == "HTML":
                assert html_problem(caption) is None, caption[:200]
        if c.method == "answerCallbackQuery" and p.get("text"):
            assert len(str(p["text"])) <= 200
        markup = p.get("reply_markup") or {}
        for row in markup.get("inline_keyboard", []):
            for button in row:
                assert button.get("text"), "every button has a label"
                data = button.get("callback_data")
                if data is not None:
                    assert 1 <= len(data.encode("utf-8")) <= 64, data


async def check_rows(h: Harness) -> None:
    assert await h.rows("SELECT chat_id FROM residents WHERE chat_id < 0") == []
    assert (
        await h.rows(
            "SELECT o.chat_id FROM outbox o JOIN broadcasts b ON b.id = o.broadcast_id"
            " JOIN residents r ON r.chat_id = o.chat_id"
            " WHERE b.requires = 'consent' AND o.status = 'sent' AND r.consent = 0"
            " AND o.sent_at > r.consent_at"
        )
        == []
    )
    assert (
        await h.rows(
            "SELECT r.broadcast_id, r.chat_id FROM broadcast_ratings r WHERE NOT EXISTS"
            " (SELECT 1 FROM outbox o WHERE o.broadcast_id = r.broadcast_id"
            " AND o.chat_id = r.chat_id AND o.status = 'sent')"
        )
        == []
    )


@settings(
    max_examples=FUZZ_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=True,
    database=None,
)
@given(updates=st.lists(update(), min_size=15, max_size=35))
async def test_any_update_is_handled_within_telegrams_limits(harness: Harness, updates: list[dict]):
    for data in updates:
        calls = await harness.push(data)  # raises if any handler failed
        check_limits(calls)
        query = data.get("callback_query")
        if query is not None:
            answered = [c for c in calls if c.method == "answerCallbackQuery"]
            assert [c.params["callback_query_id"] for c in answered] == [query["id"]], (
                f"callback {query['data']!r} answered {len(answered)} times"
            )
    await check_rows(harness)
