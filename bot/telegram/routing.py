"""One routing handler per handler group: each update is offered only to the handlers that can
take it.

python-telegram-bot offers every update to each handler of a group in turn until one accepts
it. Most of the bot's handlers are button handlers (`CallbackQueryHandler`, about sixty) and
commands (`CommandHandler`, about twenty), which refuse at once any update that is not a button
press or does not start with a command: a typed message was asked some eighty times before the
handler that takes it (bench/README.md §8). `Routed` stands in a group for its handlers, in the
same order, and skips those two kinds where their own `check_update` could only refuse:

- a `CallbackQueryHandler` answers None unless `update.callback_query` is set;
- a `CommandHandler` answers None unless the effective message's first entity is a bot command
  at offset 0.

Every other handler (and subclasses of those two, which may check differently) is asked as
before. The first handler that accepts the update handles it, through its own `handle_update`,
so callbacks, context, filters' data and errors are what python-telegram-bot gives. A group is
routed only when all its handlers have the same `block`, since the Application reads `block`
from the handler it holds (`route_groups` leaves other groups as they are).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from telegram import MessageEntity, Update
from telegram.ext import Application, BaseHandler, CallbackQueryHandler, CommandHandler

PRESS = 1  # the update is a button press
COMMAND = 2  # its effective message starts with a bot command
MIN_ROUTED = 4  # smaller groups are left as they are (nothing to skip)


def kind_of(update: object) -> int:
    """Which of the two kinds of handler could take this update (PRESS | COMMAND bits)."""
    if not isinstance(update, Update):
        return 0
    kind = PRESS if update.callback_query else 0
    message = update.effective_message
    if message is not None:
        entities = message.entities
        if entities and entities[0].type == MessageEntity.BOT_COMMAND and entities[0].offset == 0:
            kind |= COMMAND
    return kind


def _could_take(handler: BaseHandler[Any, Any, Any], kind: int) -> bool:
    if type(handler) is CallbackQueryHandler:
        return bool(kind & PRESS)
    if type(handler) is CommandHandler:
        return bool(kind & COMMAND)
    return True


async def _never(update: object, context: object) -> None:  # Routed's own callback: unused
    raise AssertionError("Routed hands each update to one of its handlers")


class Routed(BaseHandler[Any, Any, Any]):
    """A group's handlers, in order, asked only where they could accept the update."""

    __slots__ = ("by_kind", "handlers")

    def __init__(self, handlers: Sequence[BaseHandler[Any, Any, Any]]) -> None:
        blocks = {id(h.block) for h in handlers}
        if len(blocks) != 1:
            raise ValueError("a routed group's handlers must all have the same `block`")
        super().__init__(_never, block=handlers[0].block)
        self.handlers = tuple(handlers)
        self.by_kind = tuple(
            tuple(h for h in self.handlers if _could_take(h, kind)) for kind in range(4)
        )

    def check_update(self, update: object) -> tuple[BaseHandler[Any, Any, Any], object] | None:
        for handler in self.by_kind[kind_of(update)]:
            check = handler.check_update(update)
            if check is None or check is False:
                continue
            return handler, check
        return None

    async def handle_update(  # type: ignore[override]
        self,
        update: Any,
        application: Any,
        check_result: tuple[BaseHandler[Any, Any, Any], object],
        context: Any,
    ) -> Any:
        handler, check = check_result
        return await handler.handle_update(update, application, check, context)


def route_groups(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Put one `Routed` in place of each group's handlers (see the module's docstring)."""
    for group, handlers in list(app.handlers.items()):
        if len(handlers) < MIN_ROUTED or len({id(h.block) for h in handlers}) != 1:
            continue
        routed = Routed(handlers)
        for handler in list(handlers):
            app.remove_handler(handler, group)
        app.add_handler(routed, group)
