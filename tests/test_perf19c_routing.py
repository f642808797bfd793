"""One routing handler per group (bot/telegram/routing.py): every update reaches the handler it
reached when each handler was asked in turn, in the real Application with every feature's
handlers; commands, presses and typed text are answered as before."""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot import callback_data as cd
from bot.handlers.registry import Group
from bot.telegram.routing import COMMAND, PRESS, Routed, kind_of
from tests import builders as b
from tests.conftest import Harness

CHAT = 616161


def _first_asking_all(
    handlers: tuple[BaseHandler[Any, Any, Any], ...], update: Update
) -> tuple[BaseHandler[Any, Any, Any], object] | None:
    """What python-telegram-bot's Application does with a group: the first that accepts."""
    for handler in handlers:
        check = handler.check_update(update)
        if check is not None and check is not False:
            return handler, check
    return None


def _updates() -> list[dict[str, Any]]:
    with_command_text = b.callback_update(CHAT, cd.Menu("help").pack())
    message = with_command_text["callback_query"]["message"]
    message["text"] = "/start again"  # a press under a message that starts with a command
    message["entities"] = [{"type": "bot_command", "offset": 0, "length": 6}]
    caption = b.message_dict(CHAT, caption="/start in a caption")
    return [
        b.text_update(CHAT, "hello"),
        b.text_update(CHAT, "/start"),
        b.text_update(CHAT, "/help"),
        b.text_update(CHAT, "/nosuchcommand"),
        b.text_update(CHAT, "/broadcast"),
        b.text_update(CHAT, "my neighbour hits his wife"),
        b.callback_update(CHAT, cd.Menu("help").pack()),
        b.callback_update(CHAT, cd.Consent(True).pack()),
        b.callback_update(CHAT, "not a button of ours"),
        with_command_text,
        b.location_update(CHAT, 52.04, -0.76),
        b.sticker_update(CHAT),
        b.photo_update(CHAT),
        b.member_update(CHAT, "kicked"),
        {"update_id": 99, "edited_message": b.message_dict(CHAT, "/help")},
        {"update_id": 98, "message": caption},
    ]


def test_the_routed_groups_hold_every_handler_in_order(harness: Harness):
    routed = [h for hs in harness.app.handlers.values() for h in hs if isinstance(h, Routed)]
    assert routed, "the feature groups are routed"
    features = harness.app.handlers[Group.FEATURES]
    assert len(features) == 1 and isinstance(features[0], Routed)
    inner = features[0].handlers
    assert sum(type(h) is CallbackQueryHandler for h in inner) > 40
    assert sum(type(h) is CommandHandler for h in inner) > 10


def test_every_update_reaches_the_handler_it_reached_before(harness: Harness):
    bot = harness.app.bot
    groups = [h for hs in harness.app.handlers.values() for h in hs if isinstance(h, Routed)]
    for data in _updates():
        update = Update.de_json(data, bot)
        for routed in groups:
            expected = _first_asking_all(routed.handlers, update)
            got = routed.check_update(update)
            if expected is None:
                assert got is None, data
            else:
                assert got is not None and got[0] is expected[0], data
                assert repr(got[1]) == repr(expected[1]), data


def test_the_kind_of_an_update():
    bot_free = [Update.de_json(d, None) for d in _updates()]
    kinds = [kind_of(u) for u in bot_free]
    assert kinds[0] == 0  # text
    assert kinds[1] == COMMAND  # /start
    assert kinds[6] == PRESS  # a press
    assert kinds[9] == PRESS | COMMAND  # a press under a message starting with a command
    assert kind_of("not an update") == 0


async def test_commands_presses_and_text_are_answered_through_the_routed_groups(
    harness: Harness,
):
    start = await harness.send(CHAT, "/start")
    assert start and start[0].method == "sendMessage"
    helped = await harness.send(CHAT, "/help")
    intro = harness.services.texts().get("help.text").splitlines()[0]
    assert helped and helped[-1].params["text"].startswith(intro)
    unknown = await harness.send(CHAT, "/nosuchcommand")
    assert unknown and unknown[-1].params["text"] == harness.services.texts().get(
        "fallback.unknown_command"
    )
    pressed = await harness.press(CHAT, cd.Menu("help").pack())
    assert any(c.method == "answerCallbackQuery" for c in pressed)
    typed = await harness.send(CHAT, "Fishermead")
    assert typed, "typed text reaches the area search or the fallback"
