"""Updates built fast (bot/telegram/updates.py) are python-telegram-bot's own, slot for slot.

For many shapes of update as Telegram sends them, the parser's Update and `Update.de_json`'s
are compared recursively: the same class at every level, every slot set or unset alike and
equal (the bot the same object, api_kwargs, the frozen flag, datetimes with their zone, enum
members), `to_dict()` equal, the input left as it was. The common shape must be built by the
parser itself (`build` not None); every other shape must come from `de_json`. Then
`FastUpdatesBot.get_updates` is checked to send what `ExtBot.get_updates` sends, with the same
timeouts, and to give the same updates; and the webhook's parse the same.
"""

from __future__ import annotations

import copy
import datetime as dtm
import enum
from collections.abc import Callable
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from telegram import Bot, TelegramObject, Update
from telegram.ext import Defaults, ExtBot
from telegram.request import BaseRequest, RequestData

from bot.telegram.http_codec import decode_json, encode_json
from bot.telegram.updates import FastUpdatesBot, parse_update
from tests import builders as b

TOKEN = "123456789:" + "U" * 35
LONDON = ZoneInfo("Europe/London")
BOT_USER = {"id": 7000000001, "is_bot": True, "first_name": "SaferMK", "username": "safermk_bot"}
SUMMER, WINTER = 1_751_328_000, 1_700_000_000  # 2025-07-01 (BST), 2023-11-14 (GMT)


def slots_of(cls: type) -> list[str]:
    names: list[str] = []
    for klass in cls.__mro__:
        own = klass.__dict__.get("__slots__", ())
        names += [own] if isinstance(own, str) else list(own)
    return [n for n in names if n not in ("__dict__", "__weakref__")]


def same(a: object, b: object, bot: Bot, path: str = "update") -> None:
    """a and b are alike in every slot, recursively (b is python-telegram-bot's)."""
    assert type(a) is type(b), f"{path}: {type(a).__name__} != {type(b).__name__}"
    if isinstance(a, Bot):  # a TelegramObject too
        assert a is b is bot, path
    elif isinstance(a, TelegramObject):
        assert not hasattr(a, "__dict__") and not hasattr(b, "__dict__"), path
        for name in slots_of(type(a)):
            assert hasattr(a, name) == hasattr(b, name), f"{path}.{name} set in one only"
            if hasattr(a, name):
                same(getattr(a, name), getattr(b, name), bot, f"{path}.{name}")
        assert a._frozen is True, f"{path} not frozen"  # noqa: SLF001
        assert a.to_dict() == b.to_dict(), path
        assert a == b and hash(a) == hash(b), path
    elif isinstance(a, tuple | list):
        assert len(a) == len(b), path  # type: ignore[arg-type]
        for i, (x, y) in enumerate(zip(a, b, strict=True)):  # type: ignore[call-overload]
            same(x, y, bot, f"{path}[{i}]")
    elif isinstance(a, dict | MappingProxyType):
        assert list(a) == list(b), path  # type: ignore[call-overload]
        for key in a:
            same(a[key], b[key], bot, f"{path}[{key!r}]")  # type: ignore[index]
    elif isinstance(a, dtm.datetime):
        assert isinstance(b, dtm.datetime)
        assert a == b and a.tzinfo == b.tzinfo and a.utcoffset() == b.utcoffset(), path
        assert (a.isoformat(), a.fold) == (b.isoformat(), b.fold), path
    elif isinstance(a, enum.Enum):
        assert a is b, path
    else:
        assert a == b, f"{path}: {a!r} != {b!r}"


def user(**extra: Any) -> dict[str, Any]:
    return {"id": 4242, "is_bot": False, "first_name": "Ann", **extra}


def private(**extra: Any) -> dict[str, Any]:
    return {"id": 4242, "type": "private", "first_name": "Ann", **extra}


def message(**fields: Any) -> dict[str, Any]:
    base = {"message_id": 17, "from": user(), "chat": private(), "date": WINTER}
    return {**base, **fields}


def update(**fields: Any) -> dict[str, Any]:
    return {"update_id": 9001, "message": message(**fields)}


def without(data: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k not in keys}


# The common shape, built by the parser itself.
FAST: dict[str, dict[str, Any]] = {
    "text": update(text="hello 1"),
    "summer date": update(text="hi", date=SUMMER),
    "full user and chat": {
        "update_id": 1,
        "message": message(
            text="hello",
            **{
                "from": user(
                    last_name="B",
                    username="ann_b",
                    language_code="pl",
                    is_premium=True,
                    added_to_attachment_menu=True,
                )
            },
            chat=private(last_name="B", username="ann_b"),
        ),
    },  # fmt: skip
    "command": update(
        text="/start abc", entities=[{"type": "bot_command", "offset": 0, "length": 6}]
    ),
    "entities of every plain kind": update(
        text="see x.org pre 🙂 bold",
        entities=[
            {"type": "url", "offset": 4, "length": 5},
            {"type": "text_link", "offset": 0, "length": 3, "url": "https://x.org"},
            {"type": "pre", "offset": 10, "length": 3, "language": "python"},
            {"type": "custom_emoji", "offset": 14, "length": 2, "custom_emoji_id": "5368"},
            {"type": "bold", "offset": 17, "length": 4},
            {"type": "a_kind_from_the_future", "offset": 0, "length": 1},
        ],
    ),
    "no entities": update(text="x", entities=[]),
    "unicode": update(text="Dzień dobry — 👋🏽 \u200b"),
    "no sender": {"update_id": 3, "message": without(message(text="x"), "from")},
    "sender null": update(text="x", **{"from": None}),
    "text null": update(text=None),
    "no text": update(),
    "group": update(text="hi all", chat={"id": -100500, "type": "group", "title": "Street"}),
    "supergroup, forum": update(
        text="t",
        chat={
            "id": -1001234,
            "type": "supergroup",
            "title": "S",
            "username": "s",
            "is_forum": True,
        },
    ),
    "chat type from the future": update(text="t", chat={"id": 5, "type": "spaceship"}),
    "bot sender": update(text="x", **{"from": {**BOT_USER}}),
    "huge ids": {
        "update_id": 2**40,
        "message": message(text="x", message_id=2**33, chat=private(id=2**52)),
    },
}

# Everything else: python-telegram-bot's de_json.
SLOW: dict[str, dict[str, Any]] = {
    "callback query": b.callback_update(4242, "menu:home"),
    "callback with keyboard": {
        "update_id": 5,
        "callback_query": {
            "id": "77",
            "from": user(),
            "chat_instance": "ci",
            "data": "a:1",
            "message": message(
                text="pick",
                **{"from": BOT_USER},
                reply_markup={"inline_keyboard": [[{"text": "A", "callback_data": "a:1"}]]},
            ),
        },
    },
    "location": b.location_update(4242, 52.04, -0.76),
    "sticker": b.sticker_update(4242),
    "photo with caption": update(
        photo=[{"file_id": "p", "file_unique_id": "pu", "width": 9, "height": 9}],
        caption="look",
        caption_entities=[{"type": "bold", "offset": 0, "length": 4}],
    ),
    "edited": {"update_id": 6, "edited_message": message(text="fixed", edit_date=WINTER + 5)},
    "channel post": {
        "update_id": 7,
        "channel_post": without(
            message(
                text="news",
                chat={"id": -100777, "type": "channel", "title": "C"},
                sender_chat={"id": -100777, "type": "channel", "title": "C"},
            ),
            "from",
        ),
    },
    "forwarded": update(
        text="fwd",
        forward_origin={"type": "user", "sender_user": user(id=5), "date": WINTER},
        forward_from=user(id=5),
        forward_date=WINTER,
    ),
    "reply": update(
        text="yes", reply_to_message=message(message_id=3, text="question?", **{"from": BOT_USER})
    ),
    "member": b.member_update(4242, "kicked"),
    "link preview options": update(text="x.org", link_preview_options={"is_disabled": True}),
    "text mention": update(
        text="Ann", entities=[{"type": "text_mention", "offset": 0, "length": 3, "user": user()}]
    ),
    "unknown update key": {**update(text="x"), "something_new": {"a": 1}},
    "unknown message key": update(text="x", something_new=1),
    "unknown user key": update(text="x", **{"from": user(something_new=True)}),
    "unknown chat key": update(text="x", chat=private(something_new="y")),
    "unknown entity key": update(
        text="/a", entities=[{"type": "bot_command", "offset": 0, "length": 2, "something_new": 1}]
    ),
    "inaccessible date 0": update(text="x", date=0),
    "float date": update(text="x", date=WINTER + 0.5),
    "string message id": update(text="x", message_id="17"),
    "text not a string": update(text=5),
    "entity type not a string": update(text="x", entities=[{"type": 1, "offset": 0, "length": 1}]),
    "no chat": {"update_id": 1, "message": without(message(text="x"), "chat")},
    "entities null": update(text="x", entities=None),
    "chat type not a string": update(text="x", chat={"id": 1, "type": None}),
    "update id a bool": {"update_id": True, "message": message(text="x")},
    "my chat member with message key": {
        "update_id": 8,
        "message": message(text="x"),
        "my_chat_member": b.member_update(1, "member")["my_chat_member"],
    },
}


def bots() -> list[tuple[str, FastUpdatesBot]]:
    return [
        ("London", FastUpdatesBot(TOKEN, defaults=Defaults(tzinfo=LONDON))),
        ("no defaults (UTC)", FastUpdatesBot(TOKEN)),
        ("defaults without a zone", FastUpdatesBot(TOKEN, defaults=Defaults(parse_mode="HTML"))),
    ]


@pytest.mark.parametrize(("zone", "bot"), bots())
@pytest.mark.parametrize("name", list(FAST))
def test_the_common_shape_is_built_directly_and_equals_de_json(
    name: str, zone: str, bot: FastUpdatesBot
) -> None:
    data = FAST[name]
    before = copy.deepcopy(data)
    built = bot.parser.build(data)
    assert built is not None, f"{name}: not built by the parser"
    assert built.get_bot() is bot and built.message.get_bot() is bot  # type: ignore[union-attr]
    same(built, Update.de_json(data, bot), bot)
    same(bot.parser.parse(data), Update.de_json(data, bot), bot)
    assert data == before, "the JSON is left as it was"


@pytest.mark.parametrize("name", list(SLOW))
def test_every_other_shape_comes_from_de_json(name: str) -> None:
    bot = FastUpdatesBot(TOKEN, defaults=Defaults(tzinfo=LONDON))
    data = SLOW[name]
    before = copy.deepcopy(data)
    assert bot.parser.build(data) is None, f"{name}: built by the parser"
    same(bot.parser.parse(data), Update.de_json(data, bot), bot)
    assert data == before


@pytest.mark.parametrize(
    "data",
    [
        {"update_id": 1, "message": without(message(text="x"), "date")},
        update(text="x", entities={"type": "bold"}),
        update(text="x", chat={"type": "private"}),
        update(text="x", **{"from": {"id": 1, "is_bot": False}}),
        update(text="/a", entities=[{"type": "bold", "offset": 0}]),
    ],
)
def test_a_part_missing_fails_as_de_json_fails(data: dict[str, Any]) -> None:
    bot = FastUpdatesBot(TOKEN, defaults=Defaults(tzinfo=LONDON))
    with pytest.raises(Exception) as theirs:
        Update.de_json(data, bot)
    with pytest.raises(type(theirs.value)) as ours:
        bot.parser.parse(data)
    assert str(ours.value) == str(theirs.value)


def test_objects_built_are_new_each_time_and_caches_their_own() -> None:
    """Nothing is shared between two updates but immutable values: python-telegram-bot fills
    an update's effective_* caches when asked, and a frozen object stays frozen."""
    bot = FastUpdatesBot(TOKEN, defaults=Defaults(tzinfo=LONDON))
    first = bot.parser.parse(update(text="a"))
    second = bot.parser.parse({"update_id": 2, "message": message(
        text="b", chat=private(id=5), **{"from": user(id=5)})})  # fmt: skip
    assert first.message is not second.message
    assert first.message.chat is not second.message.chat  # type: ignore[union-attr]
    assert first.api_kwargs is not second.api_kwargs
    assert first.effective_user.id == 4242 and second.effective_user.id == 5  # type: ignore[union-attr]
    assert first.effective_chat.id == 4242 and second.effective_chat.id == 5  # type: ignore[union-attr]
    with pytest.raises(AttributeError):
        first.message.text = "changed"  # type: ignore[misc, union-attr]
    assert first.message.text == "a"  # type: ignore[union-attr]


class Recording(BaseRequest):
    """A request object that records every call and answers getUpdates with `updates`."""

    def __init__(self, updates: list[dict[str, Any]]) -> None:
        self.updates = updates
        self.calls: list[tuple[Any, ...]] = []

    @property
    def read_timeout(self) -> float | None:
        return 7.0

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        params = None if request_data is None else decode_json(request_data.json_payload)
        self.calls.append((url, method, params, read_timeout, write_timeout, connect_timeout,
                           pool_timeout))  # fmt: skip
        if url.endswith("/getMe"):
            return 200, encode_json({"ok": True, "result": BOT_USER})
        return 200, encode_json({"ok": True, "result": self.updates})


CALLS: list[Callable[[Bot], Any]] = [
    lambda bot: bot.get_updates(),
    lambda bot: bot.get_updates(offset=5, limit=100, timeout=10, allowed_updates=["message"]),
    lambda bot: bot.get_updates(timeout=dtm.timedelta(seconds=3), read_timeout=2),
    lambda bot: bot.get_updates(timeout=0, read_timeout=None, write_timeout=1, pool_timeout=4),
    lambda bot: bot.get_updates(offset=-1, connect_timeout=3, api_kwargs={"extra": 1}),
]


@pytest.mark.parametrize("call", CALLS)
async def test_get_updates_asks_what_extbot_asks_and_gives_the_same_updates(
    call: Callable[[Bot], Any],
) -> None:
    updates = [FAST["text"], FAST["command"], SLOW["callback query"], SLOW["location"]]
    got = []
    for cls in (ExtBot, FastUpdatesBot):
        request = Recording(updates)
        bot = cls(TOKEN, request=Recording([]), get_updates_request=request,
                  defaults=Defaults(tzinfo=LONDON))  # fmt: skip
        async with bot:
            result = await call(bot)
        got.append((bot, request.calls, result))
    (theirs_bot, their_calls, theirs), (ours_bot, our_calls, ours) = got
    assert our_calls == their_calls and len(our_calls) == 1
    assert len(ours) == len(theirs) == 4 and isinstance(ours, tuple)
    for mine, data in zip(ours, updates, strict=True):
        expected = Update.de_json(data, ours_bot)
        ours_bot.insert_callback_data(expected)  # as get_updates does (it fills a cache)
        same(mine, expected, ours_bot)
    assert [u.to_dict() for u in ours] == [u.to_dict() for u in theirs]
    assert all(u.get_bot() is theirs_bot for u in theirs)


def test_the_webhook_parses_as_de_json() -> None:
    fast = FastUpdatesBot(TOKEN, defaults=Defaults(tzinfo=LONDON))
    plain = ExtBot(TOKEN, defaults=Defaults(tzinfo=LONDON))
    for data in (FAST["text"], SLOW["callback query"]):
        same(parse_update(data, fast), Update.de_json(data, fast), fast)
        same(parse_update(data, plain), Update.de_json(data, plain), plain)


@pytest.mark.parametrize("stream", ["text", "journey", "hello", "unique"])
def test_the_benchmarks_streams_are_built_directly_and_equal_de_json(stream: str) -> None:
    """Every update of bench/fake_api.py's streams (commands, area searches, greetings, every
    example message of content/examples/ with a number) is of the common shape."""
    from bench.fake_api import make_updates

    bot = FastUpdatesBot(TOKEN, defaults=Defaults(tzinfo=LONDON))
    for data in make_updates(400, 40, stream=stream):
        built = bot.parser.build(data)
        assert built is not None
        same(built, Update.de_json(data, bot), bot)
