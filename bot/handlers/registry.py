"""The command registry: the single list behind both the handlers and the command menu."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import cast

from bot.content.keys import TextKey
from bot.context import Audience, Callback, Destination

__all__ = ["Audience", "Callback", "Command", "Destination", "Group", "allowed"]


class Group(IntEnum):
    """Handler groups, named once. python-telegram-bot runs groups from the lowest number up, and
    one handler per group at most, so the order below is the order every update meets them."""

    LANGUAGE = -40  # the resident's language, for every reply to this update (never stops)
    SEEN = -30  # retention: note the day a resident was last seen (never stops anything)
    OFFICER_INPUT = -20  # an officer typing into a wizard: consumed, never seen as free text
    SAFETY = -10  # every other piece of free text: the safeguarding check, before any flow
    STALE = -6  # a press on a question that has moved on: answered so, and stopped here
    QUESTIONS = -5  # a command or a button elsewhere: an open area question has moved on
    FEATURES = 0  # commands, flows and buttons, then the fallback


@dataclass(frozen=True)
class Command:
    name: str
    callback: Callback
    audience: Audience = "resident"
    in_menu: bool = True

    @property
    def text_key(self) -> TextKey:
        """Key of the menu description in texts.*.yaml (bot/content/keys.py lists each one;
        tests/test_content.py checks every command has its description)."""
        return cast(TextKey, f"command.{self.name}")


def allowed(audience: Audience, role: str | None) -> bool:
    if audience == "resident":
        return True
    if audience == "officer":
        return role in ("officer", "admin")
    return role == "admin"
