"""The Bot API double with Telegram's webhook side: setWebhook, deleteWebhook, getWebhookInfo,
getUpdates refused (409) while a webhook is set, and updates posted to the webhook over HTTP.

Telegram posts to the public https URL given to setWebhook; in the tests a reverse proxy is
imagined in front of the bot, so the double posts to `local` (the bot's server on 127.0.0.1)
with the URL's path and the secret_token in the X-Telegram-Bot-Api-Secret-Token header.
"""

from __future__ import annotations

import itertools
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from bot.telegram.webhook import SECRET_HEADER
from tests.fakes.botapi import FakeBotApi

CONFLICT = (
    "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to "
    "delete the webhook first"
)


class WebhookBotApi(FakeBotApi):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.webhook: dict[str, Any] | None = None  # the last setWebhook's parameters
        self.local: str | None = None  # e.g. http://127.0.0.1:PORT (set by the test)
        self.conflicts = 0  # getUpdates refused while a webhook was set
        self._ids = itertools.count(1)

    async def call(
        self,
        method: str,
        params: dict[str, Any],
        files: dict[str, tuple[str, bytes]] | None = None,
    ) -> tuple[int, dict[str, Any]]:
        if method == "getUpdates" and self.webhook is not None:
            self.conflicts += 1
            return 409, {"ok": False, "error_code": 409, "description": CONFLICT}
        answer = await super().call(method, params, files)
        if answer[0] == 200 and method == "setWebhook":
            self.webhook = dict(params)
        elif answer[0] == 200 and method == "deleteWebhook":
            self.webhook = None
        elif answer[0] == 200 and method == "getWebhookInfo":
            url = (self.webhook or {}).get("url", "")
            answer[1]["result"] = {"url": url, "has_custom_certificate": False,
                                   "pending_update_count": 0}  # fmt: skip
        return answer

    def target(self) -> str:
        assert self.webhook is not None, "no webhook set"
        assert self.local is not None, "the test did not say where the bot listens"
        return self.local + (urlsplit(self.webhook["url"]).path or "/")

    async def post(
        self,
        update: dict[str, Any],
        *,
        secret: str | None | bool = True,
        body: bytes | None = None,
    ) -> int:
        """POST `update` (with the next update_id) to the webhook as Telegram would; returns the
        HTTP status. `secret`: True for the one set, None for none, or a string to send instead;
        `body`: raw bytes to send instead of the update."""
        headers = {"Content-Type": "application/json"}
        token = self.webhook.get("secret_token") if secret is True and self.webhook else secret
        if isinstance(token, str):
            headers[SECRET_HEADER] = token
        if body is None:
            update = {**update, "update_id": next(self._ids)}
            async with aiohttp.ClientSession() as session:
                async with session.post(self.target(), json=update, headers=headers) as resp:
                    return resp.status
        async with aiohttp.ClientSession() as session:
            async with session.post(self.target(), data=body, headers=headers) as resp:
                return resp.status
