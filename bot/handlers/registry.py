"""The command registry: the single list behind both the handlers and the command menu."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Literal

from telegram import Update

from bot.context import BotContext

Callback = Callable[[Update, BotContext], Awaitable[Any]]
Audience = Literal["resident", "officer", "admin"]


@dataclass(frozen=True)
class Command:
    name: str
    callback: Callback
    audience: Audience = "resident"
    in_menu: bool = True

    @property
    def text_key(self) -> str:
        """Key of the menu description in texts.*.yaml."""
        return f"command.{self.name}"


def allowed(audience: Audience, role: str | None) -> bool:
    if audience == "resident":
        return True
    if audience == "officer":
        return role in ("officer", "admin")
    return role == "admin"
