"""Services the handlers use, reached through a typed CallbackContext (no string keys).

`Services` is built once in the composition root (bot/app.py) and holds everything a feature may
need: configuration, content and what is derived from it, the clock, the database repositories,
the broadcast delivery and service, and the small in-memory caches (bot/plumbing/runtime.py).

This module sits below everything that uses it: what the composition root assembles into
`Services` after building it (the features and their commands, delivery, the broadcast
service) is named here only by the Protocols below and in bot/ports.py, so no module it
imports imports it back (tests/test_import_graph.py). The handler callback types live here
too, since they are functions of the `BotContext`.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol
from zoneinfo import ZoneInfo

from telegram import Update
from telegram.ext import Application, CallbackContext, ExtBot

from bot.content import Content, Language, Texts
from bot.content.examples import AREA_LABELS, Examples
from bot.content.keys import TextKey
from bot.content.safety import nag_place_names, place_names
from bot.domain.areas import AreaIndex
from bot.domain.intents import IntentRouter
from bot.domain.languages import Guesser, Profile
from bot.domain.safety import Detector, Finding
from bot.domain.stored_models import ModelStore
from bot.domain.understanding import Training, Understanding
from bot.domain.words import common_words
from bot.modelstore import default_store
from bot.ops.alerts import AdminAlerts
from bot.ops.metrics import Metrics
from bot.ops.status import OpsStatus
from bot.plumbing.clock import Clock
from bot.plumbing.config import Config
from bot.plumbing.runtime import (
    LanguageCache,
    SeenCache,
    Signposted,
    current_language,
    reading_language,
)
from bot.ports import BroadcastingPort, ConsolePort, DeliveryPort
from bot.roster import Roster
from storage.broadcasts import BroadcastStore
from storage.console import ConsoleStore
from storage.db import Database
from storage.residents import Residents
from storage.safety import SafetyCounts
from storage.surveys import SurveyStore


def safety_detector(content: Content) -> Detector:
    """The safeguarding check for this content: its lexicon, and every name the bot uses."""
    return Detector(content.safety, place_names(content))


def intent_router(content: Content) -> IntentRouter:
    """Plain-language intents, with NAG names, areas and venues masked."""
    return IntentRouter(content.intents, nag_place_names(content))


def understanding_for(
    content: Content, examples: Examples | None = None, store: ModelStore | None = None
) -> Understanding:
    """The understanding layer for this content: its rules, and models trained on its examples
    (or on `examples`, as the benchmark's cross-validation does)."""
    ex = content.examples if examples is None else examples
    training = Training(
        topics=[(t.text, t.need, t.fair) for t in ex.topic_items()],
        intents=list(ex.intent_items()),
    )
    return Understanding(
        content.safety, content.intents, place_names(content), nag_place_names(content),
        training, AREA_LABELS, store, frames=content.frames,
    )  # fmt: skip


def offered_in(content: Content, config: Config) -> list[Language]:
    """The languages residents may choose: English, then each reviewed language (drafts too
    when the config's languages.allow_drafts is on)."""
    drafts = config.settings.languages.allow_drafts
    return [x for x in content.languages() if x.reviewed or drafts]


def understandings_for(
    content: Content, config: Config, store: ModelStore | None = None
) -> dict[str, Understanding]:
    """The understanding layer of every language offered (each language's lexicons add its
    words to the English ones; see bot/content/lexicons.py)."""
    return {
        x.code: understanding_for(content.view(x.code), store=store)
        for x in offered_in(content, config)
    }


class Lifecycle(Protocol):
    async def start(self) -> None: ...

    async def stop(self) -> None: ...


Audience = Literal["resident", "officer", "admin"]
AppHook = Callable[[Application[Any, Any, Any, Any, Any, Any]], Awaitable[None]]


class MenuCommand(Protocol):
    """A command as the menu, /help and the handlers read it (bot/handlers/registry.py)."""

    @property
    def name(self) -> str: ...
    @property
    def callback(self) -> Callback: ...
    @property
    def audience(self) -> Audience: ...
    @property
    def in_menu(self) -> bool: ...
    @property
    def text_key(self) -> TextKey: ...


class PrivacyPart(Protocol):
    """A feature's part of /mydata and /forget (bot/features.py: Privacy)."""

    @property
    def section(self) -> str: ...
    @property
    def collect(self) -> Callable[[Services, int], Awaitable[Any]]: ...
    @property
    def describe(self) -> Callable[[Texts, Any, ZoneInfo], list[str]]: ...
    @property
    def erase(self) -> Callable[[Services, int], Awaitable[None]] | None: ...


class FeatureParts(Protocol):
    """What the running bot reads of a feature (bot/features.py: Feature)."""

    @property
    def name(self) -> str: ...
    @property
    def privacy(self) -> PrivacyPart | None: ...
    @property
    def on_start(self) -> AppHook | None: ...
    @property
    def on_stop(self) -> AppHook | None: ...


@dataclass
class Services:
    config: Config
    # Every language's content (`content` below is the current update's language's view).
    content_all: Content
    db: Database
    clock: Clock
    residents: Residents
    surveys: SurveyStore
    broadcasts: BroadcastStore
    safety_counts: SafetyCounts
    console: ConsoleStore
    areas: AreaIndex = field(init=False)
    understandings: dict[str, Understanding] = field(init=False)  # by language
    guesser: Guesser = field(init=False)  # which language a message is in
    # Assembled by the composition root:
    features: tuple[FeatureParts, ...] = ()
    commands: tuple[MenuCommand, ...] = ()  # in menu order
    intent_answers: dict[str, Callback] = field(default_factory=dict)  # intent id -> answer
    destinations: dict[str, Destination] = field(default_factory=dict)  # pending kind -> go
    delivery: DeliveryPort = field(init=False, repr=False)
    broadcasting: BroadcastingPort = field(init=False, repr=False)
    seen: SeenCache = field(default_factory=SeenCache)
    fatal: str | None = None  # why the bot stopped itself (bot/app.py), for `run`'s exit
    signposted: Signposted = field(default_factory=Signposted)
    languages: LanguageCache = field(default_factory=LanguageCache)
    # Open problems and the last good Bot API call (bot/ops/status.py): /readyz, alerts.
    status: OpsStatus = field(init=False)
    alerts: AdminAlerts | None = field(default=None, repr=False)  # set by the composition root
    # Prometheus metrics of this bot (bot/ops/metrics.py), served at /metrics.
    metrics: Metrics = field(init=False, repr=False)
    # The HTTP server (bot/ops/server.py) when configured: started and stopped by bot/app.py.
    server: Lifecycle | None = None
    # The officers' web console (bot/console/) when configured: started and stopped likewise.
    console_server: ConsolePort | None = None
    # Who is an officer: the config's, and those invited through the console (bot/roster.py).
    roster: Roster = field(init=False)
    _offered: tuple[Content, Config, tuple[Language, ...]] | None = field(
        default=None, init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        self.roster = Roster(self.config)
        self.status = OpsStatus(self.clock)
        self.metrics = Metrics()
        self.set_content(self.content_all)

    @property
    def content(self) -> Content:
        """The content in the language of the update being handled (English outside one)."""
        return self.content_all.view(current_language())

    @property
    def understanding(self) -> Understanding:
        """The understanding layer for the language this update's words are read in."""
        return self.understandings.get(reading_language()) or self.understandings["en"]

    def help_for(self, finding: Finding) -> str:
        """The safeguarding reply in the resident's language, whichever language the words
        that needed it were read in."""
        answering = self.understandings.get(current_language()) or self.understandings["en"]
        return answering.reply(finding)

    @property
    def safety(self) -> Detector:
        return self.understanding.safety

    @property
    def intents(self) -> IntentRouter:
        return self.understanding.router

    def texts(self, lang: str | None = None) -> Texts:
        return self.content_all.t(lang or current_language())

    def offered(self) -> list[Language]:
        """The languages residents may choose, English first (worked out again only when the
        content or the config is replaced: every update asks)."""
        known = self._offered
        if known is None or known[0] is not self.content_all or known[1] is not self.config:
            known = (
                self.content_all,
                self.config,
                tuple(offered_in(self.content_all, self.config)),
            )
            self._offered = known
        return list(known[2])

    def set_content(
        self,
        content: Content,
        understanding: Understanding | Mapping[str, Understanding] | None = None,
        guesser: Guesser | None = None,
    ) -> None:
        """Swap in freshly validated content (start-up and /reload) and what is built from it
        (`understanding` and `guesser` when they were built already, off the event loop: the
        understanding of English alone, or of every language)."""
        self.content_all = content
        self.areas = AreaIndex(content.nags)
        if isinstance(understanding, Understanding):
            built = {"en": understanding}
        else:
            built = dict(understanding or {})
        for x in offered_in(content, self.config):
            if x.code not in built:
                built[x.code] = understanding_for(content.view(x.code), store=default_store())
        self.understandings = built
        self.guesser = guesser or language_guesser(content)


class BotData:
    """Application-wide data: only the services object."""

    services: Services | None = None


class BotContext(CallbackContext[ExtBot[Any], dict[Any, Any], dict[Any, Any], BotData]):
    @property
    def services(self) -> Services:
        s = self.bot_data.services
        if s is None:
            raise RuntimeError("services are not wired")
        return s


Callback = Callable[[Update, BotContext], Awaitable[Any]]
# Carries a resident on to where they were going (a survey link opened before choosing an
# area); the str is what the feature stored with it, e.g. the survey's id.
Destination = Callable[[Update, BotContext, str], Awaitable[Any]]


def services_of(app: Application[Any, Any, Any, Any, Any, Any]) -> Services:
    s = app.bot_data.services
    if s is None:
        raise RuntimeError("services are not wired")
    return s


def _lexicon_words(view: Content, base: Content) -> list[str]:
    """The words and phrases a language's lexicons add to English's."""
    out: list[str] = []
    for mine, theirs in ((view.safety, base.safety), (view.intents, base.intents)):
        for c, e in zip(mine.categories, theirs.categories, strict=True):
            for key in ("words", "phrases", "together", "exactly"):
                out += [p for p in getattr(c, key) if p not in getattr(e, key)]
    return [w for p in out for w in re.split(r"[\s|+*=@]+", p) if w]


def language_guesser(content: Content) -> Guesser:
    """Profiles of the content's languages (bot/domain/languages.py) made from its own words."""
    profiles = []
    for lang, view in content.views.items():
        t = content.t(lang)
        texts = [t.get(k) for k in t.own]  # type: ignore[arg-type]  # keys read from the file
        texts += [x.text for x in view.examples.topics] + [x for x, _ in view.examples.intents]
        if lang != "en":  # its own words only: its view's examples include English's
            english = {x.text for x in content.examples.topics}
            english |= {x for x, _ in content.examples.intents}
            english |= {content.t().get(k) for k in t.own}  # type: ignore[arg-type]
            texts = [x for x in texts if x not in english]
            texts += _translated_fields(view, content)
            profiles.append(Profile.build(lang, [*texts, *_lexicon_words(view, content)]))
        else:
            profiles.append(Profile.build(lang, texts, common_words()))
    return Guesser(profiles)


def _translated_fields(view: Content, base: Content) -> list[str]:
    """The campaign, NAG and survey words a language's overlays translate."""
    out: list[str] = []
    for c, e in zip(view.campaigns, base.campaigns, strict=True):
        out += [x for x in (c.title, c.summary, *c.tips) if x not in (e.title, e.summary, *e.tips)]
    for s, english in zip(view.surveys, base.surveys, strict=True):
        if s.title != english.title:
            out += [s.title, s.intro, *(q.text for q in s.questions)]
    return out
