"""Composition root: build the Application, wire services, and assemble the declared features.

Each feature module declares one `Feature` (bot/features.py): its commands, handlers in named
groups, jobs, start and stop hooks, and its part of /mydata and /forget. This module only puts
them together, in the order of FEATURES.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from collections.abc import Callable, Iterable
from datetime import timedelta
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

from telegram import (
    BotCommand,
    BotCommandScopeChat,
    BotCommandScopeDefault,
    LinkPreviewOptions,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CommandHandler,
    ContextTypes,
    Defaults,
    filters,
)
from telegram.request import BaseRequest

from bot import dbwatch, scheduling
from bot.broadcasting import BroadcastService
from bot.content import Content
from bot.content.keys import TextKey
from bot.context import BotContext, BotData, MenuCommand, Services, services_of
from bot.delivery import install
from bot.domain.surveys import pseudonym
from bot.fatal import stop_fatally
from bot.features import Feature
from bot.handlers import (
    admin,
    areas,
    campaigns,
    console,
    fallback,
    languages,
    membership,
    menu,
    nags,
    officers,
    privacy,
    questions,
    ratings,
    results,
    retention,
    safety,
    stale,
    start,
    surveys,
    wizard,
)
from bot.handlers.registry import Callback, Command, Destination, allowed
from bot.ops.alerts import AdminAlerts
from bot.ops.status import OpenProblem, Problem
from bot.plumbing.clock import Clock, SystemClock
from bot.plumbing.config import Config
from bot.render.text import e, when_words
from bot.services import access
from bot.serving import start_serving, stop_serving, wire_console, wire_ops
from bot.telegram import flood
from bot.telegram.http import BotApiRequest
from bot.telegram.pacing import Pacer
from bot.telegram.polling import PollingRequest
from bot.telegram.processing import PerChatOrderedProcessor
from bot.telegram.routing import route_groups
from bot.telegram.stopping import StoppingApplication
from bot.telegram.updates import FastUpdatesBot
from storage.broadcasts import BroadcastStore
from storage.console import ConsoleStore
from storage.db import Database, DatabaseUnavailable
from storage.residents import Residents
from storage.safety import SafetyCounts
from storage.surveys import SurveyStore

logger = logging.getLogger(__name__)

C = TypeVar("C", bound=MenuCommand)

# Every feature, in the order their handlers are registered within a group (handlers in other
# groups run in the group order of bot.handlers.registry.Group). Flows that keep state (surveys,
# the officers' wizard) come before `areas` and `fallback`, which take any text as an area
# search or a question; `fallback` is last so that every feature sees updates before it.
FEATURES: tuple[Feature, ...] = (
    privacy.FEATURE,
    safety.FEATURE,
    stale.FEATURE,
    start.FEATURE,
    wizard.FEATURE,
    officers.FEATURE,
    admin.FEATURE,
    console.FEATURE,
    results.FEATURE,
    surveys.FEATURE,
    areas.FEATURE,
    nags.FEATURE,
    campaigns.FEATURE,
    menu.FEATURE,
    languages.FEATURE,
    questions.FEATURE,
    ratings.FEATURE,
    membership.FEATURE,
    retention.FEATURE,
    scheduling.FEATURE,
    dbwatch.FEATURE,
    fallback.FEATURE,
)


def make_services(config: Config, content: Content, clock: Clock | None = None) -> Services:
    db = Database(config.db_path)
    # SQL can map a chat id to its survey pseudonym (e.g. to reach "residents who took a survey")
    # without survey tables ever holding chat ids.
    secret = config.survey_secret
    db.add_function("respondent_key", 1, lambda chat_id: pseudonym(secret, int(chat_id)))
    return Services(
        config=config,
        content_all=content,
        db=db,
        clock=clock or SystemClock(),
        residents=Residents(db),
        surveys=SurveyStore(db),
        broadcasts=BroadcastStore(db),
        safety_counts=SafetyCounts(db),
        console=ConsoleStore(db),
    )


def _guard(command: Command) -> Callable[..., Any]:
    """Officer commands answer a resident exactly like an unknown command."""
    if command.audience == "resident":
        return command.callback

    @wraps(command.callback)
    async def guarded(update: Update, context: BotContext) -> None:
        role = context.services.roster.role_of(
            update.effective_user.id if update.effective_user else None
        )
        if not allowed(command.audience, role):
            await fallback.on_unknown_command(update, context)
            return
        await command.callback(update, context)

    return guarded


async def on_error(update: object, context: BotContext) -> None:
    """Log with the traceback (redacted by the log filter); tell the person something failed."""
    err = context.error
    if isinstance(err, DatabaseUnavailable):
        # Locked, read-only or full: what they sent was not saved, and sending it again later
        # will work; say so rather than "something went wrong".
        logger.warning("Not saved: the database is %s (%s)", err.reason, err)
        context.services.status.raise_problem(
            Problem.DATABASE_UNWRITABLE, f"the database is {err.reason}"
        )
        if isinstance(update, Update) and update.effective_chat is not None:
            try:
                await update.effective_chat.send_message(
                    context.services.texts().get("common.not_saved")
                )
            except TelegramError:
                logger.warning("Could not tell the user their update was not saved")
        return
    if isinstance(err, Forbidden):
        # The resident blocked the bot (or deleted their account): stop sending to them.
        if isinstance(update, Update) and update.effective_chat is not None:
            s = context.services
            await s.residents.set_active(update.effective_chat.id, False, s.clock.now())
        logger.info("Bot API refused a send; resident marked inactive: %s", err)
        return
    logger.error("Error while handling an update", exc_info=err)
    if isinstance(update, Update) and update.effective_chat is not None:
        try:
            await update.effective_chat.send_message(context.services.texts().get("common.error"))
        except TelegramError:
            logger.warning("Could not tell the user about the error")


# The order residents see in the command menu and /help: most useful first, officers' last.
MENU_ORDER = [
    "start", "nag", "meetings", "campaigns", "survey", "settings", "help", "privacy", "mydata",
    "forget", "stop", "broadcast", "scheduled", "report", "results", "safety", "console",
    "reload",
]  # fmt: skip


def menu_order(commands: Iterable[C]) -> list[C]:
    rank = {name: i for i, name in enumerate(MENU_ORDER)}
    return sorted(commands, key=lambda c: rank.get(c.name, len(rank)))


def command_menu(
    commands: Iterable[MenuCommand], services: Services, role: str | None, lang: str = "en"
) -> list[BotCommand]:
    t = services.texts(lang)
    return [
        BotCommand(c.name, t.get(c.text_key))
        for c in menu_order(commands)
        if c.in_menu and allowed(c.audience, role)
    ]


OFFICER_MENUS_FILE = "officer-menus.json"


def officer_menus_path(config: Config) -> Path:
    """The officers whose chats got the officer menu last time, kept beside the database.

    Telegram cannot list the chats that have a menu, so without this record an officer removed
    from the config would keep theirs (the commands themselves are refused by the role check).
    """
    return config.db_path.parent / OFFICER_MENUS_FILE


def _read_officer_menus(path: Path) -> set[int]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return {int(i) for i in data["officer_menus"]}
    except FileNotFoundError:
        return set()
    except (OSError, ValueError, TypeError, KeyError) as exc:
        logger.warning("Ignoring %s (%s): removed officers may keep their menu", path, exc)
        return set()


def _write_officer_menus(path: Path, ids: set[int]) -> None:
    """Replace the record atomically, so a crash leaves the old one or the new one."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{OFFICER_MENUS_FILE}.")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                json.dump({"officer_menus": sorted(ids)}, out)
            os.replace(tmp, path)
        except BaseException:
            os.unlink(tmp)
            raise
    except OSError as exc:
        logger.warning("Could not record the officer menus in %s: %s", path, exc)


async def publish_commands(app: Application) -> None:
    """setMyCommands from the same registry the handlers came from; drop former officers' menus."""
    s = services_of(app)
    await app.bot.set_my_commands(command_menu(s.commands, s, None), scope=BotCommandScopeDefault())
    record = officer_menus_path(s.config)
    roles = s.roster.roles  # the config's officers and those invited through the console
    published = set(roles)
    for former in sorted(_read_officer_menus(record) - published):
        try:
            await app.bot.delete_my_commands(scope=BotCommandScopeChat(former))
        except BadRequest as exc:  # e.g. the chat no longer exists: no menu left to remove
            logger.info("Former officer's menu not removed: %s", exc)
        except TelegramError as exc:  # try again at the next start
            logger.warning("Former officer's menu not removed yet: %s", exc)
            published.add(former)
    for officer_id, role in roles.items():
        try:
            await app.bot.set_my_commands(
                command_menu(s.commands, s, role), scope=BotCommandScopeChat(officer_id)
            )
        except BadRequest as exc:  # the officer has not started the bot yet
            logger.info("Officer command menu not set for one officer: %s", exc)
    _write_officer_menus(record, published)
    for language in s.offered():  # Telegram shows each app the menu in its own language
        if language.code != "en":
            await app.bot.set_my_commands(
                command_menu(s.commands, s, None, language.code),
                scope=BotCommandScopeDefault(),
                language_code=language.code,
            )


async def startup(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """post_init: open the database, start the HTTP server (and set the webhook), publish the
    menu, run the features' start hooks in order.

    The server comes first so that a port in use stops the start before any feature has begun
    (a broadcast, say); updates posted meanwhile wait in the queue until the Application starts.
    """
    s = services_of(app)
    if not s.db.is_open:
        await s.db.open()
    await access.reload_roster(s.console, s.roster)
    await start_serving(app, s)
    await publish_commands(app)
    for feature in s.features:
        if feature.on_start is not None:
            await feature.on_start(app)


async def stopping(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """post_stop: alerts still being sent get a moment (bounded) while the bot can still send."""
    alerts = services_of(app).alerts
    if alerts is not None:
        await alerts.drain()


async def shutdown(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """post_shutdown: the HTTP server, the features' stop hooks in reverse order, then the
    database. (In webhook mode the webhook stays set: Telegram keeps the updates that arrive
    while the bot restarts and posts them when it is back.)"""
    s = services_of(app)
    await stopping(app)
    await stop_serving(s)
    for feature in reversed(s.features):
        if feature.on_stop is not None:
            await feature.on_stop(app)
    await s.db.close()


def intent_answers(features: Iterable[Feature]) -> dict[str, Callback]:
    """Which feature answers each plain-words intent (one feature per intent)."""
    out: dict[str, Callback] = {}
    for feature in features:
        for intent, callback in feature.intents.items():
            if intent in out:
                raise ValueError(f"intent {intent!r} is answered by two features")
            out[intent] = callback
    return out


def destinations(features: Iterable[Feature]) -> dict[str, Destination]:
    """Which feature carries a resident on to each kind of pending destination (one each)."""
    out: dict[str, Destination] = {}
    for feature in features:
        for kind, go in feature.destinations.items():
            if kind in out or ":" in kind:
                raise ValueError(f"destination {kind!r} is declared twice or has a ':'")
            out[kind] = go
    return out


PROBLEM_TEXTS: dict[Problem, TextKey] = {
    Problem.BROADCAST_EXPIRED: "alerts.broadcast_expired",
    Problem.DELIVERY_FAILING: "alerts.delivery_failing",
    Problem.DATABASE_UNWRITABLE: "alerts.database_unwritable",
    Problem.TOKEN_REFUSED: "alerts.token_refused",
    Problem.BOT_API_UNREACHABLE: "alerts.bot_api_unreachable",
    Problem.OUTBOX_STUCK: "alerts.outbox_stuck",
    Problem.STOPPED: "alerts.stopped",
}


def admin_alerts(app: Application[Any, Any, Any, Any, Any, Any], s: Services) -> AdminAlerts:
    """Alerts go to the config's admins straight through the Bot API (never the outbox)."""
    cfg = s.config.settings.alerts

    async def send(chat_id: int, text: str) -> None:
        await app.bot.send_message(chat_id, text, parse_mode=ParseMode.HTML)

    def render(p: OpenProblem, recovered: bool) -> str:
        t = s.texts()
        what = t.get(PROBLEM_TEXTS[p.problem])
        since = when_words(t, p.since, s.config.tz, s.clock.now())
        if recovered:
            return t.get("alerts.recovered", what=e(what), since=e(since))
        return t.get("alerts.raised", what=e(what), detail=e(p.detail), since=e(since))

    return AdminAlerts(
        s.status,
        s.clock,
        lambda: [i for i, role in s.roster.roles.items() if role == "admin"],
        send,
        render,
        cooldown=timedelta(minutes=cfg.cooldown_minutes),
        failing_after=timedelta(minutes=cfg.delivery_failing_minutes),
    )


def _builder(
    cfg: Config, sending: BaseRequest, polling: BaseRequest
) -> ApplicationBuilder[Any, Any, Any, Any, Any, Any]:
    """PTB's builder with our transport, defaults, update processor, pacer and hooks. The bot is
    the ExtBot ApplicationBuilder would make, but its updates are built fast
    (bot/telegram/updates.py)."""
    bot = FastUpdatesBot(
        token=cfg.token or "0:test",
        base_url=f"{cfg.api_url}/bot",
        base_file_url=f"{cfg.api_url}/file/bot",
        request=sending,
        get_updates_request=polling,
        defaults=Defaults(
            parse_mode=ParseMode.HTML,
            tzinfo=cfg.tz,
            link_preview_options=LinkPreviewOptions(is_disabled=True),
        ),
        rate_limiter=Pacer.from_settings(cfg.settings.broadcast),
    )
    return (
        ApplicationBuilder()
        .bot(bot)
        .context_types(ContextTypes(context=BotContext, bot_data=BotData))
        .concurrent_updates(PerChatOrderedProcessor(256))
        .post_init(startup)
        .post_stop(stopping)
        .post_shutdown(shutdown)
        .application_class(StoppingApplication)  # a stop bounded in time (bot/telegram/stopping.py)
    )


def build_application(
    services: Services,
    *,
    request: BaseRequest | None = None,
    updates_request: BaseRequest | None = None,
    features: Iterable[Feature] = FEATURES,
    metrics: bool = True,
) -> Application[Any, Any, Any, Any, Any, Any]:
    """Build the Application with our transport, update processor and the features (and the
    metrics' hooks unless `metrics` is false: the benchmark measures what they cost)."""
    cfg = services.config
    polling = updates_request or PollingRequest(
        connection_pool_size=2, read_timeout=30, proxy=cfg.proxy
    )
    # Connections are opened as needed, up to 256: with 256 updates in flight each may be
    # waiting on one round trip (64 capped the bot at about 1,200 updates/s with 30 ms answers).
    sending = request or BotApiRequest(connection_pool_size=256, proxy=cfg.proxy)
    app = _builder(cfg, sending, polling).build()
    if isinstance(polling, PollingRequest):
        # Read ahead only while the Updater is running (bot/telegram/http.py: PollingRequest).
        polling.polling = lambda: app.updater is not None and app.updater.running
        polling.on_fatal = lambda reason: stop_fatally(app, reason)
    app.bot_data.services = services
    assembled = tuple(features)
    commands = tuple(menu_order(c for f in assembled for c in f.commands))
    services.features, services.commands = assembled, commands
    services.intent_answers = intent_answers(assembled)
    services.destinations = destinations(assembled)
    services.alerts = admin_alerts(app, services)
    delivery = install(app, services)
    delivery.on_send_result = services.alerts.send_result
    broadcasting = BroadcastService(app, services)
    broadcasting.attach(delivery)
    services.delivery, services.broadcasting = delivery, broadcasting
    flood.install(app, services)  # the per-chat budget (issue 20)
    wire_ops(app, services, metrics, (sending, polling))
    wire_console(app, services)

    private = filters.ChatType.PRIVATE
    for c in commands:
        app.add_handler(CommandHandler(c.name, _guard(c), filters=private))
    for feature in assembled:
        for handler, group in feature.handlers(services):
            app.add_handler(handler, group=group)
        if feature.jobs is not None and app.job_queue is not None:
            feature.jobs(app.job_queue, services)
    # Each group's handlers asked only where they could take the update: same order, same
    # handler chosen (bot/telegram/routing.py).
    route_groups(app)
    app.add_error_handler(on_error)
    return app
