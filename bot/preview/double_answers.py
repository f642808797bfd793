"""What each Bot API method answers, in the Bot API double (bot/preview/double.py): the Message
a send returns (and keeps in the chat's history), edits applied, deletes, albums, files stored
by upload or URL, callback answers and command menus.
"""

from __future__ import annotations

import hashlib
import time
from typing import Any

from bot.preview.double_model import BOT_USER, EDITS, StoredFile
from bot.preview.double_state import DoubleState


def _guess_mime(name: str) -> str:
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    return {
        "png": "image/png",
        "jpg": "image/jpeg",
        "jpeg": "image/jpeg",
        "gif": "image/gif",
        "webp": "image/webp",
        "ics": "text/calendar",
        "csv": "text/csv",
        "txt": "text/plain",
        "pdf": "application/pdf",
    }.get(ext, "application/octet-stream")


class DoubleAnswers(DoubleState):
    """The answers half of the double: `result` is what a request that broke no rule returns."""

    def _file(self, params: dict[str, Any], files: dict[str, tuple[str, bytes]], key: str) -> str:
        """Store an uploaded file (or a URL, or reuse a file id); return its file id."""
        if key in files:
            name, data = files[key]
            file_id = "F" + hashlib.sha1(data).hexdigest()[:24]
            if self.history and file_id not in self.files:
                self.files[file_id] = StoredFile(name=name, data=data, mime=_guess_mime(name))
            return file_id
        value = str(params.get(key) or "")
        if value in self.files:
            return value
        if value.startswith(("http://", "https://")):
            file_id = "U" + hashlib.sha1(value.encode()).hexdigest()[:24]
            if self.history:
                name = value.rsplit("/", 1)[-1] or "image"
                self.files[file_id] = StoredFile(name=name, mime=_guess_mime(name), url=value)
            return file_id
        return value or "file"

    def _message(self, params: dict[str, Any], **extra: Any) -> dict[str, Any]:
        chat_id = int(params.get("chat_id", 0))
        msg: dict[str, Any] = {
            "message_id": self._message_id(chat_id),
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "group"},
            "from": BOT_USER,
        }
        msg.update({k: v for k, v in extra.items() if v is not None})
        markup = params.get("reply_markup")
        if isinstance(markup, dict) and "inline_keyboard" in markup:
            msg["reply_markup"] = markup  # only inline keyboards are part of a Message
        if self.history:
            stored = dict(msg, _parse_mode=params.get("parse_mode"))
            if isinstance(markup, dict) and "inline_keyboard" not in markup:
                stored["_keyboard"] = markup  # a reply keyboard or its removal
            self.log(chat_id).messages[msg["message_id"]] = stored
            self._emit({"type": "message", "chat_id": chat_id, "message": stored})
        return msg

    def _edit(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = int(params.get("chat_id", 0))
        message_id = int(params.get("message_id") or 0)
        stored = self.log(chat_id).messages.get(message_id) if self.history else None
        if stored is None:  # no history (or an unknown message with the rule off): echo
            msg = {
                "message_id": message_id or self._message_id(chat_id),
                "date": int(time.time()),
                "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "group"},
                "from": BOT_USER,
                "text": params.get("text", ""),
            }
            return msg
        if method == "editMessageText":
            stored["text"] = params.get("text", "")
            stored["_parse_mode"] = params.get("parse_mode")
        elif method == "editMessageCaption":
            stored["caption"] = params.get("caption")
            stored["_parse_mode"] = params.get("parse_mode")
        # An edit without reply_markup removes the inline keyboard, as in Telegram.
        markup = params.get("reply_markup")
        if isinstance(markup, dict) and markup.get("inline_keyboard"):
            stored["reply_markup"] = markup
        else:
            stored.pop("reply_markup", None)
        stored["edit_date"] = int(time.time())
        self._emit({"type": "edit", "chat_id": chat_id, "message": stored})
        return {k: v for k, v in stored.items() if not k.startswith("_")}

    def result(
        self, method: str, params: dict[str, Any], files: dict[str, tuple[str, bytes]]
    ) -> Any:
        if method == "getMe":
            return BOT_USER
        if method == "sendMessage":
            return self._message(params, text=params.get("text", ""))
        if method == "sendDocument":
            return self._document(params, files)
        if method == "sendPhoto":
            file_id = self._file(params, files, "photo")
            return self._message(
                params,
                photo=[
                    {"file_id": file_id, "file_unique_id": file_id[:16], "width": 10, "height": 10}
                ],
                caption=params.get("caption"),
            )
        if method == "sendMediaGroup":
            return self._album(params, files)
        if method == "sendLocation":
            return self._message(
                params,
                location={
                    "latitude": float(params.get("latitude", 0)),
                    "longitude": float(params.get("longitude", 0)),
                },
            )
        if method in EDITS:
            return self._edit(method, params)
        if method == "deleteMessage":
            if self.history:
                chat_id, message_id = int(params.get("chat_id", 0)), int(params["message_id"])
                if self.log(chat_id).messages.pop(message_id, None) is not None:
                    self._emit({"type": "delete", "chat_id": chat_id, "message_id": message_id})
            return True
        if method == "answerCallbackQuery":
            query_chat = self._queries.pop(str(params.get("callback_query_id")), None)
            if query_chat is not None and self.history:
                self._emit(
                    {
                        "type": "callback_answer",
                        "chat_id": query_chat,
                        "text": params.get("text") or "",
                        "show_alert": bool(params.get("show_alert")),
                        "url": params.get("url"),
                    }
                )
            return True
        if method in ("setMyCommands", "deleteMyCommands", "getMyCommands"):
            return self._commands(method, params)
        # deleteWebhook, sendChatAction, close, logOut...
        return True

    def _document(
        self, params: dict[str, Any], files: dict[str, tuple[str, bytes]]
    ) -> dict[str, Any]:
        """sendDocument: the Message with its document (an upload, a URL or a known file id)."""
        file_id = self._file(params, files, "document")
        stored = self.files.get(file_id)
        name = files["document"][0] if "document" in files else "file"
        return self._message(
            params,
            document={
                "file_id": file_id,
                "file_unique_id": file_id[:16],
                "file_name": stored.name if stored else name,
                "mime_type": stored.mime if stored else _guess_mime(name),
                "file_size": len(files["document"][1]) if "document" in files else 0,
            },
            caption=params.get("caption"),
        )

    def _album(
        self, params: dict[str, Any], files: dict[str, tuple[str, bytes]]
    ) -> list[dict[str, Any]]:
        """sendMediaGroup: one message per photo, sharing a media_group_id (photos only)."""
        group = f"G{next(self._albums)}"
        out = []
        for item in params.get("media") or []:
            ref = str(item.get("media", ""))
            name = ref.removeprefix("attach://")
            upload = {"photo": files[name]} if name in files else {}
            file_id = self._file({"photo": ref}, upload, "photo")
            photo = [
                {"file_id": file_id, "file_unique_id": file_id[:16], "width": 10, "height": 10}
            ]
            one = {"chat_id": params.get("chat_id"), "parse_mode": item.get("parse_mode")}
            out.append(
                self._message(one, photo=photo, caption=item.get("caption"), media_group_id=group)
            )
        return out

    def _commands(self, method: str, params: dict[str, Any]) -> Any:
        scope = params.get("scope") or {"type": "default"}
        chat_id = scope.get("chat_id")
        key = (str(scope.get("type", "default")), int(chat_id) if chat_id is not None else None)
        if method == "getMyCommands":
            return self.commands.get(key, [])
        if method == "setMyCommands" and params.get("commands"):
            self.commands[key] = [
                {"command": c["command"], "description": c["description"]}
                for c in params["commands"]
            ]
        else:  # deleteMyCommands, or setMyCommands with an empty list
            self.commands.pop(key, None)
        self._emit({"type": "commands", "scope": key[0], "chat_id": key[1]})
        return True
