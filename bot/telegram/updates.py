"""Update objects from the Bot API's JSON, the common shape built fast (getUpdates and webhook).

python-telegram-bot turns each update into objects through `de_json`: `Message.de_json` looks up
some ninety optional parts one by one, and every constructor sets each attribute through
`TelegramObject.__setattr__`, which checks that the object is not frozen yet (about 240 such
calls for a plain text message). That was about a tenth of the bot's CPU per update on unique
text (bench/README.md §8).

`UpdateParser` builds the commonest update, a new message with a text (and its entities) from a
user in a chat, the way python-telegram-bot would but directly: each object starts from the
attribute values python-telegram-bot's own constructor gives a minimal object of its class (its
"template", made once by python-telegram-bot), and the values from the JSON are then put in its
slots, converted as python-telegram-bot converts them (the date into an aware datetime in the
Defaults' time zone, the chat's and entities' types into their enum members, `from` into
`from_user`). Every object is left frozen, with the bot set, as `de_json` leaves it. Anything
else (any other kind of update, a message with any other part, a key python-telegram-bot does
not know, a value of an unexpected type) goes to `Update.de_json` as before.
tests/test_perf19d_updates.py checks, for many shapes, that every slot of every object equals
what `Update.de_json` builds; pyproject.toml pins python-telegram-bot (22.8).

`FastUpdatesBot` is the ExtBot whose `get_updates` uses the parser; the webhook uses
`parse_update`.
"""

from __future__ import annotations

import datetime as dtm
import enum
from collections.abc import Callable, Iterable, Sequence
from types import MappingProxyType
from typing import Any, cast

from telegram import Chat, Message, MessageEntity, TelegramObject, Update, User
from telegram.constants import ChatType, MessageEntityType
from telegram.ext import ExtBot
from telegram.request import BaseRequest

Setter = Callable[[object, object], None]
# The values of a class's template: each slot's setter and value.
Defaults = tuple[tuple[Setter, object], ...]

# JSON keys stored as given, under the same name (python-telegram-bot 22.8's constructors).
USER_KEYS = frozenset({
    "id", "first_name", "is_bot", "last_name", "username", "language_code", "can_join_groups",
    "can_read_all_group_messages", "supports_inline_queries", "is_premium",
    "added_to_attachment_menu", "can_connect_to_business", "has_main_web_app",
    "has_topics_enabled", "allows_users_to_create_topics", "can_manage_bots",
    "supports_guest_queries",
})  # fmt: skip
USER_REQUIRED = frozenset({"id", "first_name", "is_bot"})
# Stored as given but "type", which becomes its enum member where it has one.
CHAT_KEYS = frozenset({
    "id", "type", "title", "username", "first_name", "last_name", "is_forum",
    "is_direct_messages",
})  # fmt: skip
ENTITY_KEYS = frozenset({"type", "offset", "length", "url", "language", "custom_emoji_id"})
MESSAGE_KEYS = frozenset({"message_id", "from", "chat", "date", "text", "entities"})


def _slots(cls: type) -> dict[str, Setter]:
    """Every slot of `cls` (its own and its bases'), with the descriptor's setter."""
    found: dict[str, Setter] = {}
    for klass in reversed(cls.__mro__):
        names = klass.__dict__.get("__slots__", ())
        for name in (names,) if isinstance(names, str) else names:
            if name not in ("__dict__", "__weakref__"):
                found[name] = klass.__dict__[name].__set__
    return found


DefaultValue = type(BaseRequest.DEFAULT_NONE)  # python-telegram-bot's DEFAULT_NONE


def _immutable(value: object) -> bool:
    if value is None or isinstance(value, bool | int | float | str | enum.Enum | DefaultValue):
        return True
    return isinstance(value, tuple) and all(_immutable(v) for v in value)


class _Template:
    """One class's objects made from a template: every slot set to the template's value (but the
    `given` ones, which the builder always sets), then the object's own values. The template is
    python-telegram-bot's own object for a minimal JSON."""

    __slots__ = ("cls", "defaults", "set")

    def __init__(self, template: TelegramObject, given: Iterable[str] = ()) -> None:
        self.cls = type(template)
        if hasattr(template, "__dict__"):
            raise TypeError(f"{self.cls.__name__} has attributes outside its slots")
        self.set = _slots(self.cls)
        given = {*given, "_bot", "_id_attrs", "api_kwargs"}
        defaults = []
        for name, setter in self.set.items():
            if name in given:
                continue
            value = getattr(template, name)
            if not _immutable(value):
                raise TypeError(f"{self.cls.__name__}.{name}: a value that could be changed")
            defaults.append((setter, value))
        self.defaults: Defaults = tuple(defaults)

    def new(self, bot: object, id_attrs: tuple[object, ...]) -> Any:
        obj = object.__new__(self.cls)
        for setter, value in self.defaults:
            setter(obj, value)
        s = self.set
        s["_bot"](obj, bot)
        s["_id_attrs"](obj, id_attrs)
        s["api_kwargs"](obj, MappingProxyType({}))
        return obj


def _members(enum_cls: type[enum.Enum]) -> dict[str, Any]:
    """python-telegram-bot's `enum.get_member` for strings: the member, or the string itself."""
    return {m.value: m for m in enum_cls}


class UpdateParser:
    """Updates from JSON for one bot: the common shape built directly, the rest by `de_json`."""

    def __init__(self, bot: ExtBot[Any]) -> None:
        self.bot = bot
        defaults = bot.defaults
        tz = defaults.tzinfo if defaults is not None else None
        self.tz: dtm.tzinfo = dtm.UTC if tz is None else tz
        self._last_date: tuple[int, dtm.datetime] | None = None
        chat = {"id": 1, "type": "private"}
        self.update = _Template(Update.de_json({"update_id": 1}, None), ("update_id", "message"))
        self.message = _Template(
            Message.de_json({"message_id": 1, "date": 1, "chat": chat}, None),
            ("message_id", "date", "chat", "from_user", "text", "entities"),
        )
        # Their optional keys may be missing: every slot starts from the template's value.
        self.user = _Template(User.de_json({"id": 1, "first_name": "", "is_bot": False}, None))
        self.chat = _Template(Chat.de_json(chat, None))
        self.entity = _Template(
            MessageEntity.de_json({"type": "bold", "offset": 0, "length": 1}, None)
        )
        self.chat_types = _members(ChatType)
        self.entity_types = _members(MessageEntityType)

    def parse(self, data: dict[str, Any]) -> Update:
        """The Update python-telegram-bot's `Update.de_json(data, bot)` gives."""
        built = self.build(data)
        if built is None:
            return Update.de_json(data, self.bot)
        return built

    def parse_all(self, data: Sequence[dict[str, Any]]) -> tuple[Update, ...]:
        """`Update.de_list(data, bot)`."""
        return tuple(self.parse(d) for d in data)

    def build(self, data: dict[str, Any]) -> Update | None:
        """The Update, built here if it has the common shape (else None)."""
        if len(data) != 2:
            return None
        update_id = data.get("update_id")
        fields = data.get("message")
        if type(update_id) is not int or type(fields) is not dict:
            return None
        message = self._message(fields)
        if message is None:
            return None
        update = self.update.new(self.bot, (update_id,))
        s = self.update.set
        s["update_id"](update, update_id)
        s["message"](update, message)
        return cast(Update, update)

    def _message(self, data: dict[str, Any]) -> Message | None:
        if not MESSAGE_KEYS.issuperset(data):
            return None
        message_id, date = data.get("message_id"), data.get("date")
        text = data.get("text")
        if type(message_id) is not int or type(date) is not int or date == 0:
            return None
        if text is not None and type(text) is not str:
            return None
        chat = self._chat(data.get("chat"))
        if chat is None:
            return None
        sender = data.get("from")
        user = None
        if sender is not None and (user := self._user(sender)) is None:
            return None
        entities: tuple[MessageEntity, ...] = ()
        if "entities" in data:
            entities = self._entities(data["entities"])  # type: ignore[assignment]
            if entities is None:
                return None
        message = self.message.new(self.bot, (message_id, chat))
        s = self.message.set
        s["message_id"](message, message_id)
        s["date"](message, self._date(date))
        s["chat"](message, chat)
        s["from_user"](message, user)
        s["text"](message, text)
        s["entities"](message, entities)
        return cast(Message, message)

    def _date(self, stamp: int) -> dtm.datetime:
        last = self._last_date  # most updates of a batch share their second
        if last is not None and last[0] == stamp:
            return last[1]
        when = dtm.datetime.fromtimestamp(stamp, tz=self.tz)
        self._last_date = (stamp, when)
        return when

    def _plain(self, template: _Template, data: dict[str, Any], id_attrs: tuple[Any, ...]) -> Any:
        """An object whose slots take the JSON's values as they are (keys checked by the caller)."""
        obj = template.new(self.bot, id_attrs)
        s = template.set
        for key, value in data.items():
            s[key](obj, value)
        return obj

    def _user(self, data: object) -> User | None:
        if type(data) is not dict or not USER_KEYS.issuperset(data):
            return None
        if not USER_REQUIRED.issubset(data):
            return None
        return cast(User, self._plain(self.user, data, (data["id"],)))

    def _chat(self, data: object) -> Chat | None:
        if type(data) is not dict or not CHAT_KEYS.issuperset(data) or "id" not in data:
            return None
        kind = data.get("type")
        if type(kind) is not str:
            return None
        chat = self._plain(self.chat, data, (data["id"],))
        self.chat.set["type"](chat, self.chat_types.get(kind, kind))
        return cast(Chat, chat)

    def _entities(self, data: object) -> tuple[MessageEntity, ...] | None:
        if type(data) is not list:
            return None
        out = []
        for item in data:
            if type(item) is not dict or not ENTITY_KEYS.issuperset(item):
                return None
            kind = item.get("type")
            if type(kind) is not str or "offset" not in item or "length" not in item:
                return None
            kind = self.entity_types.get(kind, kind)
            entity = self._plain(self.entity, item, (kind, item["offset"], item["length"]))
            self.entity.set["type"](entity, kind)
            out.append(entity)
        return tuple(out)


class FastUpdatesBot(ExtBot[Any]):
    """The Application's bot: `get_updates` builds the updates with `UpdateParser`."""

    __slots__ = ("_parser",)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._parser: UpdateParser | None = None

    @property
    def parser(self) -> UpdateParser:
        if self._parser is None:
            self._parser = UpdateParser(self)
        return self._parser

    async def get_updates(
        self,
        offset: int | None = None,
        limit: int | None = None,
        timeout: Any = None,
        allowed_updates: Sequence[str] | None = None,
        *,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
        api_kwargs: dict[str, Any] | None = None,
    ) -> tuple[Update, ...]:
        """`ExtBot.get_updates` (python-telegram-bot 22.8's request and read timeout, checked by
        tests/test_perf19d_updates.py), the answer turned into updates by the parser."""
        data = {"timeout": timeout, "offset": offset, "limit": limit,
                "allowed_updates": allowed_updates}  # fmt: skip
        # The wait for an answer is the long poll's plus the read timeout (as Bot.get_updates).
        if not isinstance(read_timeout, DefaultValue):
            base: float = read_timeout or 0
        else:
            base = self._request[0].read_timeout or 0
        if isinstance(timeout, dtm.timedelta):
            wait = base + timeout.total_seconds()
        else:
            wait = base + timeout if timeout else base
        result = await self._post(
            "getUpdates",
            data,
            read_timeout=wait,
            write_timeout=write_timeout,
            connect_timeout=connect_timeout,
            pool_timeout=pool_timeout,
            api_kwargs=api_kwargs,
        )
        if result:
            self._LOGGER.debug("Getting updates: %s", [u["update_id"] for u in result])
        else:
            self._LOGGER.debug("No new updates found.")
        try:
            updates = self.parser.parse_all(result)
        except Exception as exc:
            # python-telegram-bot logs the data too; it holds residents' messages.
            self._LOGGER.critical("Error while parsing updates!", exc_info=exc)
            raise
        for update in updates:
            self.insert_callback_data(update)
        return updates


def parse_update(data: dict[str, Any], bot: ExtBot[Any]) -> Update:
    """`Update.de_json(data, bot)`, built fast where the bot has a parser (the webhook)."""
    if isinstance(bot, FastUpdatesBot):
        return bot.parser.parse(data)
    return Update.de_json(data, bot)
