"""Services the handlers use, reached through a typed CallbackContext (no string keys)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from telegram.ext import Application, CallbackContext, ExtBot

from bot.clock import Clock
from bot.config import Config
from bot.content import Content, Texts
from bot.content.safety import place_names
from bot.domain.areas import AreaIndex
from bot.domain.safety import Detector
from storage.broadcasts import BroadcastStore
from storage.db import Database
from storage.residents import Residents
from storage.safety import SafetyCounts
from storage.surveys import SurveyStore


@dataclass
class Hooks:
    """Extension points later features plug into, wired in the composition root."""

    # Every registered Command (bot.handlers.registry.Command), for /help and the menu.
    commands: list[Any] = field(default_factory=list)
    # async (chat_id) -> None: erase a feature's data about a resident for /forget.
    erasers: list[Callable[[int], Awaitable[None]]] = field(default_factory=list)
    # async (chat_id, texts) -> lines: a feature's section of /mydata.
    mydata_sections: list[Callable[[int, Texts], Awaitable[list[str]]]] = field(
        default_factory=list
    )
    # async (update, context, survey_id) -> None: open a survey from a deep link.
    survey_start: Callable[..., Awaitable[None]] | None = None


@dataclass
class Services:
    config: Config
    content: Content
    db: Database
    clock: Clock
    residents: Residents
    areas: AreaIndex
    safety: Detector
    surveys: SurveyStore
    broadcasts: BroadcastStore
    safety_counts: SafetyCounts
    hooks: Hooks = field(default_factory=lambda: Hooks())

    def texts(self, lang: str = "en") -> Texts:
        return self.content.t(lang)

    def set_content(self, content: Content) -> None:
        """Swap in freshly validated content (start-up and /reload)."""
        self.content = content
        self.areas = AreaIndex(content.nags)
        self.safety = safety_detector(content)


def safety_detector(content: Content) -> Detector:
    """The safeguarding check for this content: its lexicon, and every name the bot uses."""
    return Detector(content.safety, place_names(content))


class BotData:
    """Application-wide data: only the services object."""

    services: Services | None = None


class BotContext(CallbackContext[ExtBot, dict, dict, BotData]):
    @property
    def services(self) -> Services:
        s = self.bot_data.services
        if s is None:
            raise RuntimeError("services are not wired")
        return s


def services_of(app: Application) -> Services:
    s = app.bot_data.services
    if s is None:
        raise RuntimeError("services are not wired")
    return s
