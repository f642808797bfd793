"""`safermk-bot run`: the checks before the bot starts (the secrets, the content, the Bot API
answering to the token), then serving until it stops, every failure as one redacted line and
an exit code (split from bot/cli.py, which parses the command line)."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import socket
import sys
from http import HTTPStatus
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from bot.content import Content, ContentError, load_content
from bot.ops.instance import instance_lock
from bot.plumbing.config import (
    Config,
    ConfigError,
    load_config,
    resolve_survey_secret,
    resolve_webhook_secret,
)
from bot.telegram.processing import new_event_loop
from storage.db import DatabaseError

if TYPE_CHECKING:  # the bot itself is imported only when it runs
    from telegram.ext import Application

logger = logging.getLogger("bot")

Secrets = tuple[str, ...]


def print_problems(err: ContentError) -> None:
    """Every content problem, one a line, then how many (nothing was changed)."""
    for p in err.problems:
        print(p, file=sys.stderr)
    print(f"{len(err.problems)} problem(s) found; nothing was changed.", file=sys.stderr)


def _shown_url(url: str) -> str:
    """The API URL as it may be printed: without any user:password part."""
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment))


def _network_reason(err: BaseException) -> str:
    """A short cause for a failed request that never repeats the URL (it holds the token)."""
    import ssl

    from telegram.error import TelegramError, TimedOut

    if isinstance(err, TimedOut):
        return "no answer in time"
    cause = err.__cause__
    if isinstance(cause, ssl.SSLError):  # before its base class below
        return "the TLS (https) connection failed"
    if isinstance(cause, socket.gaierror):
        return f"cannot find the host ({cause.strerror})"
    if isinstance(cause, OSError):
        return os.strerror(cause.errno) if cause.errno else "cannot connect"
    if cause is None and isinstance(err, TelegramError):
        # bot/telegram/http.py's own reasons: closed without answering, not HTTP, ...
        return err.message
    return type(cause or err).__name__


async def check_bot_api(
    api_url: str, token: str, proxy: str | None = None
) -> tuple[int, str] | None:
    """Ask the Bot API who we are (getMe); return (exit code, one line) when it will not work.

    python-telegram-bot does the same call at start, but reports every failure as an exception
    whose text holds the token, and cannot tell a refused token (401) from a wrong URL (404).
    """
    from telegram.error import NetworkError

    from bot.telegram.http import BotApiRequest

    shown = _shown_url(api_url)
    request = BotApiRequest(connection_pool_size=1, read_timeout=20, proxy=proxy)
    await request.initialize()
    try:
        status, payload = await request.do_request(f"{api_url}/bot{token}/getMe", "POST")
    except NetworkError as err:
        return 1, f"Could not reach the Bot API at {shown}: {_network_reason(err)}"
    except Exception as err:  # noqa: BLE001 - anything else is still "could not reach"
        return 1, f"Could not reach the Bot API at {shown}: {type(err).__name__}"
    finally:
        await request.shutdown()
    if status == HTTPStatus.UNAUTHORIZED:
        return 2, (
            "Telegram refused the bot token (401 Unauthorized): check TELEGRAM_BOT_TOKEN "
            "(or telegram.token); a revoked token needs a new one from @BotFather (/token)"
        )
    if status == HTTPStatus.NOT_FOUND:
        return 2, (
            f"The Bot API at {shown} answered 404: check telegram.api_url (requests go to "
            "{api_url}/bot<token>/getMe) and the token"
        )
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "unknown status"
    if status != HTTPStatus.OK:
        return 1, f"The Bot API at {shown} answered {status} ({phrase}): try again later"
    try:
        answer = json.loads(payload)
    except ValueError:
        answer = None
    if not (isinstance(answer, dict) and answer.get("ok") is True):
        return 2, f"The server at {shown} does not answer like a Bot API: check telegram.api_url"
    return None


def cmd_run(args: argparse.Namespace) -> int:
    # Until the config is read, only the token's shape can be recognised.
    from bot.plumbing.logsetup import install_excepthooks

    install_excepthooks()
    try:
        cfg = load_config(Path(args.config) if args.config else None)
        resolve_survey_secret(cfg, create=False)  # a bad secret is refused before any file
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2
    # Before anything touches the database or the secret beside it: a second bot on the same
    # file would send every broadcast twice and fight over the updates.
    lock = instance_lock(cfg.db_path, "run")
    if isinstance(lock, int):
        return lock
    try:
        return _run_locked(args, cfg)
    finally:
        lock.release()


def _run_locked(args: argparse.Namespace, cfg: Config) -> int:
    from bot.app import build_application, make_services

    ready = _prepare(args, cfg)
    if isinstance(ready, int):
        return ready
    cfg, content, secrets = ready
    app = build_application(make_services(cfg, content))
    logger.info(
        "Starting: %d NAGs, %d campaigns, database %s, %s",
        len(content.nags),
        len(content.campaigns),
        cfg.db_path,
        "webhook" if cfg.webhook else "long polling",
    )
    return _serve(app, cfg, secrets)


def _prepare(args: argparse.Namespace, cfg: Config) -> tuple[Config, Content, Secrets] | int:
    """Everything checked before the bot is built: the secrets (created when missing), logging
    with them redacted, the content, and the Bot API answering to the token; else the exit
    code, the reason printed in one line."""
    from bot.plumbing.logsetup import install_excepthooks, redact, setup_logging

    try:
        cfg, created = resolve_survey_secret(cfg, create=True)
        cfg, created_hook = resolve_webhook_secret(cfg)
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2
    secrets = _secrets_of(cfg)
    install_excepthooks(secrets)
    setup_logging(
        logging.DEBUG if args.verbose else logging.INFO, secrets=secrets, log_format=cfg.log_format
    )
    _log_generated(created, created_hook)
    try:
        content = load_content(cfg.content_dir, cfg.tz)
    except ContentError as err:
        print_problems(err)
        print("The bot did not start: fix the content and try again.", file=sys.stderr)
        return 1
    problem = asyncio.run(check_bot_api(cfg.api_url, cfg.token or "", cfg.proxy))
    if problem is not None:
        code, line = problem
        print(redact(line, secrets), file=sys.stderr)
        return code
    return cfg, content, secrets


def _serve(app: Application[Any, Any, Any, Any, Any, Any], cfg: Config, secrets: Secrets) -> int:
    """Run the built bot until it stops (webhook or long polling); its exit code."""
    from bot.plumbing.logsetup import loop_exception_handler, redact
    from bot.serving import stop_serving
    from bot.telegram.webhook import ALLOWED_UPDATES, run_webhook

    # run_polling takes the current loop: give it one whose unhandled errors are redacted
    # (uvloop's where installed: bot.telegram.processing.new_event_loop).
    loop = new_event_loop()
    loop.set_exception_handler(loop_exception_handler(secrets))
    asyncio.set_event_loop(loop)
    try:
        # Initialise here rather than inside run_polling, whose retry loop logs a traceback
        # and leaves the HTTP sessions open when getMe fails.
        try:
            loop.run_until_complete(app.initialize())
        except Exception as exc:  # noqa: BLE001 - one redacted line, then clean up
            loop.run_until_complete(app.bot.shutdown())
            print(redact(_stopped_line(exc, cfg.api_url), secrets), file=sys.stderr)
            return 1
        # Telegram posts updates to our server: no Updater (bot/telegram/webhook.py)
        if cfg.webhook:
            run_webhook(app, loop, lambda: stop_serving(app.bot_data.services))
        else:  # python-telegram-bot's start_polling deletes a webhook left set before
            app.run_polling(allowed_updates=ALLOWED_UPDATES)
        fatal = app.bot_data.services.fatal
        if fatal is not None:  # stopped itself: the supervisor must know
            print(redact(fatal, secrets), file=sys.stderr)
            return 2 if "token" in fatal else 1
    except DatabaseError as exc:  # unusable file, read-only folder, not SQLite: one line
        print(redact(str(exc), secrets), file=sys.stderr)
        return 2
    except Exception as exc:  # noqa: BLE001 - the last word at start-up is one redacted line
        print(redact(_stopped_line(exc, cfg.api_url), secrets), file=sys.stderr)
        return 1
    finally:
        asyncio.set_event_loop(None)
        if not loop.is_closed():
            loop.close()
    return 0


def _secrets_of(cfg: Config) -> tuple[str, ...]:
    """What the log filter and the excepthooks redact: the token and every secret in use."""
    survey = cfg.settings.survey.secret
    hook = cfg.settings.telegram.webhook_secret
    return (
        cfg.token or "",
        survey.get_secret_value() if survey else "",
        hook.get_secret_value() if hook else "",
    )


def _log_generated(survey: Path | None, webhook: Path | None) -> None:
    if survey is not None:
        logger.warning(
            "Generated the survey secret in %s: back it up together with the database "
            "(without it, survey pseudonyms change and one-response-per-resident breaks)",
            survey,
        )
    if webhook is not None:
        logger.info("Generated the webhook secret in %s (kept for restarts)", webhook)


def _stopped_line(exc: BaseException, api_url: str) -> str:
    """One line for an error that ended run_polling (after the start-up check had passed)."""
    from telegram.error import InvalidToken, NetworkError

    shown = _shown_url(api_url)
    if isinstance(exc, InvalidToken):
        return "Telegram refused the bot token: check TELEGRAM_BOT_TOKEN and telegram.api_url"
    if isinstance(exc, NetworkError):
        return f"Could not reach the Bot API at {shown}: {_network_reason(exc)}"
    text = str(exc).splitlines()[0] if str(exc) else ""
    return f"The bot stopped: {type(exc).__name__}" + (f": {text}" if text else "")
