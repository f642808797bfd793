"""Campaign messages residents receive: their 👍 / 👎 ratings, and their part of /mydata (the
messages sent or waiting for them, and how they rated them). Both live in tables that reference
the resident, so /forget removes them with the resident's row."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any
from zoneinfo import ZoneInfo

from telegram import Message, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest

from bot import callback_data as cd
from bot.content import Texts
from bot.content.keys import TextKey
from bot.context import BotContext, Services
from bot.features import Feature, Handler, Privacy
from bot.handlers.common import answer, chat_id, now, on_button, pressed, texts
from bot.handlers.registry import Group
from bot.render.text import date_words, e, first_line, plain
from bot.telegram.limits import MAX_CAPTION, MAX_MESSAGE
from storage.model import OutboxStatus

logger = logging.getLogger(__name__)

SHOWN = 5  # messages listed in the chat; the JSON file has them all


async def on_rate(update: Update, context: BotContext) -> None:
    """A resident's 👍/👎 on a broadcast message (one per broadcast): saved, then the message
    itself says so and loses its buttons (a pop-up alone is gone in a second)."""
    t = texts(context)
    data = pressed(update, cd.Rate)
    ok = False
    if data is not None and update.effective_chat is not None:
        ok = await context.services.broadcasts.rate(
            data.broadcast, chat_id(update), data.useful, now(context)
        )
    await answer(update, t.get("broadcast.rated" if ok else "common.stale_button"))
    if ok and data is not None:
        verdict = t.get("broadcast.btn_useful" if data.useful else "broadcast.btn_not_useful")
        await _mark_rated(update, t.get("rating.done", verdict=verdict))


async def _mark_rated(update: Update, line: str) -> None:
    """Add `line` under the rated message and take its buttons off (only the buttons if the
    message is already at Telegram's limit)."""
    q = update.callback_query
    message = q.message if q is not None else None
    if q is None or not isinstance(message, Message):
        return
    try:
        if message.caption is not None or message.photo:
            caption = f"{message.caption_html or ''}\n\n{line}".strip()
            if len(plain(caption)) <= MAX_CAPTION:
                await q.edit_message_caption(caption, parse_mode=ParseMode.HTML, reply_markup=None)
                return
        elif message.text is not None:
            text = f"{message.text_html}\n\n{line}"
            if len(plain(text)) <= MAX_MESSAGE:
                await q.edit_message_text(text, parse_mode=ParseMode.HTML, reply_markup=None)
                return
        await q.edit_message_reply_markup(None)
    except BadRequest:  # an old message Telegram no longer lets us edit: the rating is saved
        logger.debug("Could not mark a rated message")


async def _collect(services: Services, chat_id: int) -> dict[str, Any]:
    messages = await services.broadcasts.messages_for(chat_id)
    ratings = await services.broadcasts.ratings_by(chat_id)
    if not messages and not ratings:
        return {}
    return {
        "messages": [
            {
                "broadcast": m.broadcast_id,
                "kind": str(m.kind),
                "status": str(m.status),
                "sent_at": m.sent_at.isoformat() if m.sent_at else None,
                "planned_for": m.send_at.isoformat(),
                "text": plain(m.text or ""),
            }
            for m in messages
        ],
        "ratings": [
            {
                "broadcast": r.broadcast_id,
                "message": plain(r.text or "").split("\n", 1)[0],
                "useful": r.useful,
                "rated_at": r.rated_at.isoformat(),
            }
            for r in ratings
        ],
    }


def _describe(t: Texts, data: dict[str, Any], tz: ZoneInfo) -> list[str]:
    from datetime import datetime

    messages, ratings = data["messages"], data["ratings"]
    if not messages and not ratings:
        return []
    sent = [m for m in messages if m["status"] == OutboxStatus.SENT]
    waiting = [m for m in messages if m["status"] in (OutboxStatus.PENDING, OutboxStatus.SENDING)]
    lines = [t.get("mydata.messages_header", sent=len(sent), waiting=len(waiting))]
    for m in (waiting + sent[::-1])[:SHOWN]:
        at = m["sent_at"] or m["planned_for"]
        day = date_words(t, datetime.fromisoformat(at).astimezone(tz).date())
        key: TextKey = "mydata.message_sent" if m["sent_at"] else "mydata.message_waiting"
        lines.append(t.get(key, when=day, title=first_line(m["text"])))
    for r in ratings:
        verdict = t.get("broadcast.btn_useful" if r["useful"] else "broadcast.btn_not_useful")
        lines.append(t.get("mydata.rating", verdict=verdict, title=e(r["message"][:60])))
    return lines


def _handlers(services: Services) -> Sequence[Handler]:
    return ((on_button(cd.Rate, on_rate), Group.FEATURES),)


FEATURE = Feature(
    name="campaign messages",
    handlers=_handlers,
    privacy=Privacy(
        section="messages",
        tables=("outbox", "broadcast_ratings"),
        collect=_collect,
        describe=_describe,
        erase=None,  # both reference the resident: deleted with the resident's row
    ),
)
