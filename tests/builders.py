"""Build Updates the way Telegram sends them (commands carry a bot_command entity)."""

from __future__ import annotations

import itertools
import time
from typing import Any

from telegram import Bot, Update

_ids = itertools.count(1)
_msg_ids = itertools.count(1)


def user(chat_id: int) -> dict[str, Any]:
    return {"id": chat_id, "is_bot": False, "first_name": "Resident", "language_code": "en"}


def chat(chat_id: int) -> dict[str, Any]:
    return {"id": chat_id, "type": "private", "first_name": "Resident"}


def message_dict(chat_id: int, text: str | None = None, **extra: Any) -> dict[str, Any]:
    msg: dict[str, Any] = {
        "message_id": next(_msg_ids),
        "date": int(time.time()),
        "chat": chat(chat_id),
        "from": user(chat_id),
    }
    if text is not None:
        msg["text"] = text
        if text.startswith("/"):
            command = text.split()[0]
            msg["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
    msg.update(extra)
    return msg


def text_update(chat_id: int, text: str) -> dict[str, Any]:
    return {"update_id": next(_ids), "message": message_dict(chat_id, text)}


def location_update(chat_id: int, lat: float, lon: float) -> dict[str, Any]:
    return {
        "update_id": next(_ids),
        "message": message_dict(chat_id, location={"latitude": lat, "longitude": lon}),
    }


def sticker_update(chat_id: int) -> dict[str, Any]:
    sticker = {
        "file_id": "stk",
        "file_unique_id": "stku",
        "type": "regular",
        "width": 512,
        "height": 512,
        "is_animated": False,
        "is_video": False,
    }
    return {"update_id": next(_ids), "message": message_dict(chat_id, sticker=sticker)}


def photo_update(chat_id: int) -> dict[str, Any]:
    photo = [{"file_id": "p", "file_unique_id": "pu", "width": 90, "height": 90}]
    return {"update_id": next(_ids), "message": message_dict(chat_id, photo=photo)}


def callback_update(
    chat_id: int, data: str, message_id: int = 1, text: str = "…"
) -> dict[str, Any]:
    return {
        "update_id": next(_ids),
        "callback_query": {
            "id": str(next(_ids)),
            "from": user(chat_id),
            "chat_instance": str(chat_id),
            "data": data,
            "message": {
                "message_id": message_id,
                "date": int(time.time()),
                "chat": chat(chat_id),
                "from": {"id": 7000000001, "is_bot": True, "first_name": "SaferMK"},
                "text": text,
            },
        },
    }


def member_update(chat_id: int, status: str) -> dict[str, Any]:
    old = "member" if status == "kicked" else "kicked"
    bot_user = {"id": 7000000001, "is_bot": True, "first_name": "SaferMK"}
    return {
        "update_id": next(_ids),
        "my_chat_member": {
            "chat": chat(chat_id),
            "from": user(chat_id),
            "date": int(time.time()),
            "old_chat_member": {
                "user": bot_user,
                "status": old,
                **({"until_date": 0} if old == "kicked" else {}),
            },
            "new_chat_member": {
                "user": bot_user,
                "status": status,
                **({"until_date": 0} if status == "kicked" else {}),
            },
        },
    }


def to_update(data: dict[str, Any], bot: Bot) -> Update:
    return Update.de_json(data, bot)
