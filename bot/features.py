"""The feature contract: each feature module declares one `Feature`; the composition root
(bot/app.py) only assembles them.

A feature declares its commands, its handlers (each in a named `Group`), the plain-words intents
it answers (content/intents.yaml: "when's the next meeting?"), the destinations it can carry a
resident on to after asking for their area first (a survey link), its jobs, its start and stop
hooks, and, if it stores anything about a person, its part of /mydata and /forget (`Privacy`).
Every database table must be claimed by some feature, either in a `Privacy` part or in
`tables_without_personal_data` with the reason (tests/test_features.py checks the schema), so
a new feature that stores something cannot forget the right of access or erasure.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from telegram.ext import Application, BaseHandler, JobQueue

from bot.content import Texts
from bot.context import Callback, Destination, Services
from bot.handlers.registry import Command, Group

Handler = tuple[BaseHandler[Any, Any, Any], Group]


def no_handlers(services: Services) -> Sequence[Handler]:
    return ()


@dataclass(frozen=True)
class Privacy:
    """What a feature stores about one person: /mydata shows it (as text and in the JSON file),
    /forget erases it.

    `collect` returns JSON-able data (empty when nothing is stored); `describe` turns it into
    readable lines; `erase` deletes it (None when deleting the resident's row removes it too,
    through the database's cascades).
    """

    section: str
    tables: tuple[str, ...]
    collect: Callable[[Services, int], Awaitable[Any]]
    describe: Callable[[Texts, Any, ZoneInfo], list[str]]
    erase: Callable[[Services, int], Awaitable[None]] | None = None


@dataclass(frozen=True)
class Feature:
    name: str
    commands: tuple[Command, ...] = ()
    handlers: Callable[[Services], Sequence[Handler]] = no_handlers
    jobs: Callable[[JobQueue[Any], Services], None] | None = None
    on_start: Callable[[Application[Any, Any, Any, Any, Any, Any]], Awaitable[None]] | None = None
    on_stop: Callable[[Application[Any, Any, Any, Any, Any, Any]], Awaitable[None]] | None = None
    privacy: Privacy | None = None
    # Plain-words intents (content/intents.yaml ids) this feature answers, and menu buttons.
    intents: Mapping[str, Callback] = field(default_factory=dict)
    # Where a resident can be carried on to once the bot has asked what it needed first (an
    # area, consent): kind -> callback; the resident's row keeps "kind:argument" meanwhile.
    destinations: Mapping[str, Destination] = field(default_factory=dict)
    tables_without_personal_data: Mapping[str, str] = field(default_factory=dict)


def daily(
    jq: JobQueue[Any],
    callback: Callable[[Any], Coroutine[Any, Any, None]],
    at: time,
    name: str,
    *,
    grace: timedelta = timedelta(hours=6),
) -> None:
    """Run `callback` every day at `at` (give it the bot's time zone). A run missed while the
    bot was down is made once at start if it is less than `grace` late."""
    jq.run_daily(
        callback,
        at,
        name=name,
        job_kwargs={"misfire_grace_time": int(grace.total_seconds()), "coalesce": True},
    )
