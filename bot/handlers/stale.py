"""Questions asked with buttons that must not act when pressed late or twice: /forget's and
"stop"'s confirms, and the consent question.

The chat remembers which message holds the current question of each kind (chat_data: where the
conversation is, not data about the resident). A press on any other message of that kind, or a
second press on the same one, changes nothing: a pop-up says the question has moved on and the
old message loses its buttons. After a restart every earlier question has moved on, which is
the safe way to fail: asking again is one command away.

The consent question is also asked by the areas feature, after an area is first chosen, which
does not record its message. So a consent press is current when consent was never answered
(that question is the only one there can be), or when it is the question recorded here (asked
again by /start or "start the messages again"). The check runs in its own handler group, before
the areas feature's handler, and stops a stale press there.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Literal

from telegram import InlineKeyboardMarkup, Update
from telegram.error import TelegramError
from telegram.ext import ApplicationHandlerStop

from bot import callback_data as cd
from bot.context import BotContext, Services
from bot.features import Feature, Handler
from bot.handlers.common import (
    answer,
    chat_id,
    chat_store,
    on_button,
    remove_buttons,
    reply,
    texts,
)
from bot.handlers.registry import Group
from bot.telegram.sending import edit_buttons

logger = logging.getLogger(__name__)

Kind = Literal["consent", "forget", "stop"]
CURRENT = "current_questions"  # chat_data: kind -> id of the message asking it now


def _current(context: BotContext) -> dict[Kind, int]:
    return chat_store(context).setdefault(CURRENT, {})


def _pressed_message(update: Update) -> int | None:
    q = update.callback_query
    return q.message.message_id if q is not None and q.message is not None else None


async def ask(
    update: Update, context: BotContext, kind: Kind, text: str, keyboard: InlineKeyboardMarkup
) -> None:
    """Ask a question of `kind`; it becomes the current one and an earlier one loses its
    buttons (so the chat holds one live question of each kind)."""
    current = _current(context)
    previous = current.pop(kind, None)
    if previous is not None:
        try:
            await edit_buttons(context.bot, chat_id(update), previous)
        except TelegramError:  # deleted, too old, or already without buttons: nothing to tidy
            logger.debug("Could not take the buttons off an earlier question")
    sent = await reply(update, text, keyboard)
    if sent is not None:
        current[kind] = sent


def settle(update: Update, context: BotContext, kind: Kind) -> bool:
    """True if the press is on the current question of `kind`, which is then answered (a second
    press is stale)."""
    current = _current(context)
    pressed_in = _pressed_message(update)
    if pressed_in is None or current.get(kind) != pressed_in:
        return False
    del current[kind]
    return True


async def moved_on(update: Update, context: BotContext) -> None:
    """Answer a stale press: a pop-up saying so, and the old message loses its buttons."""
    await answer(update, texts(context).get("common.moved_on"))
    await remove_buttons(update)


async def check_consent(update: Update, context: BotContext) -> None:
    """A press on a consent question: let it through only if that question is still current."""
    resident = await context.services.residents.get(chat_id(update))
    never_answered = resident is None or resident.consent_at is None
    # settle() also runs when never answered, so the recorded question is not answered twice.
    if settle(update, context, "consent") or never_answered:
        return  # the areas feature's handler records the answer
    await moved_on(update, context)
    raise ApplicationHandlerStop


def _handlers(services: Services) -> Sequence[Handler]:
    return ((on_button(cd.Consent, check_consent), Group.STALE),)


FEATURE = Feature(name="questions that move on", handlers=_handlers)
