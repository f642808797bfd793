"""Command line: `safermk-bot run`, `preview`, `check-content`, the survey export, and backup and
restore (bot/ops/backup_cli.py)."""

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
from urllib.parse import urlsplit, urlunsplit
from zoneinfo import ZoneInfo

from bot.config import (
    Config,
    ConfigError,
    load_config,
    resolve_survey_secret,
    resolve_webhook_secret,
)
from bot.content import Content, ContentError, load_content
from bot.domain.understanding import Understanding
from bot.ops.instance import instance_lock
from bot.telegram.processing import new_event_loop
from storage.db import DatabaseError

logger = logging.getLogger("bot")


def _print_problems(err: ContentError) -> None:
    for p in err.problems:
        print(p, file=sys.stderr)
    print(f"{len(err.problems)} problem(s) found; nothing was changed.", file=sys.stderr)


def _content_for(args: argparse.Namespace, folder: str | None) -> tuple[Content, Path] | int:
    """The content a command works on (the folder given, or the config's), or its exit code
    after printing why it cannot be loaded (2: the config; 1: the content's problems)."""
    directory = Path(folder) if folder else None
    tz = ZoneInfo("Europe/London")
    if directory is None:
        try:
            cfg = load_config(Path(args.config) if args.config else None, require_token=False)
            directory, tz = cfg.content_dir, cfg.tz
        except ConfigError as exc:
            print(exc, file=sys.stderr)
            return 2
    try:
        return load_content(directory, tz), directory
    except ContentError as err:
        _print_problems(err)
        return 1


def cmd_check_content(args: argparse.Namespace) -> int:
    loaded = _content_for(args, args.dir)
    if isinstance(loaded, int):
        return loaded
    content, directory = loaded
    for w in content.warnings:
        print(f"warning: {w}", file=sys.stderr)
    print(
        f"{directory}: OK ({len(content.nags)} NAGs, {len(content.campaigns)} campaigns, "
        f"{len(content.surveys)} surveys, {len(list(content.t().keys()))} texts)"
    )
    for line in content.language_report():  # what each other language leaves in English
        print(line)
    return 0


def _messages(args: argparse.Namespace) -> list[str] | int:
    """The messages to try: given in quotes, or one per line of --file (2: none or unreadable)."""
    messages = list(args.text)
    if args.file:
        try:
            lines = Path(args.file).read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            print(f"{args.file}: cannot read it ({exc.__class__.__name__})", file=sys.stderr)
            return 2
        messages += [line for line in lines if line.strip()]
    if not messages:
        print(
            "Give a message in quotes, or --file FILE with one message per line.", file=sys.stderr
        )
        return 2
    return messages


def _understanding_and_messages(args: argparse.Namespace) -> tuple[Understanding, list[str]] | int:
    """The content's understanding layer and the messages to try (an exit code on a problem)."""
    from bot.context import understanding_for
    from bot.modelstore import default_store

    loaded = _content_for(args, args.content)
    if isinstance(loaded, int):
        return loaded
    messages = _messages(args)
    if isinstance(messages, int):
        return messages
    return understanding_for(loaded[0], store=default_store()), messages


def cmd_signpost(args: argparse.Namespace) -> int:
    """Show editors which help messages get, why (the rule, the examples) and the reply."""
    import html
    import re

    ready = _understanding_and_messages(args)
    if isinstance(ready, int):
        return ready
    understanding, messages = ready
    found = 0
    for text in messages:
        print(f"> {text}")
        why = understanding.explain_topics(text)
        finding = understanding.topics(text)
        for cat, reason in why:
            if cat.startswith("not "):
                print(f"  {cat}: {reason}")
        if not finding:
            print("  no alarm: the bot answers as usual\n")
            continue
        found += 1
        print(
            "  " + "; ".join(f"{cat} (matched {r})" for cat, r in why if cat in finding.categories)
        )
        plain = html.unescape(re.sub(r"<[^>]+>", "", understanding.reply(finding)))
        print("\n".join("  | " + line for line in plain.splitlines()) + "\n")
    print(f"{found} of {len(messages)} message(s) would get safeguarding help.")
    return 0


def cmd_intent(args: argparse.Namespace) -> int:
    """Show editors which feature plain words go to, and what decided it."""
    ready = _understanding_and_messages(args)
    if isinstance(ready, int):
        return ready
    understanding, messages = ready
    for text in messages:
        intent, why = understanding.explain_intent(text)
        print(f"> {text}\n  {intent or 'no intent: tried as an area, then not understood'}: {why}")
        if understanding.topics(text):
            print("  (the safeguarding help comes first: see safermk-bot signpost)")
    return 0


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
    from bot.logsetup import install_excepthooks

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
    from bot.logsetup import install_excepthooks, loop_exception_handler, redact, setup_logging
    from bot.serving import stop_serving
    from bot.telegram.webhook import ALLOWED_UPDATES, run_webhook

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
        _print_problems(err)
        print("The bot did not start: fix the content and try again.", file=sys.stderr)
        return 1
    problem = asyncio.run(check_bot_api(cfg.api_url, cfg.token or "", cfg.proxy))
    if problem is not None:
        code, line = problem
        print(redact(line, secrets), file=sys.stderr)
        return code
    app = build_application(make_services(cfg, content))
    logger.info(
        "Starting: %d NAGs, %d campaigns, database %s, %s",
        len(content.nags),
        len(content.campaigns),
        cfg.db_path,
        "webhook" if cfg.webhook else "long polling",
    )
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


def cmd_preview(args: argparse.Namespace) -> int:
    from bot.preview.main import run_preview

    return run_preview(args)


def cmd_export(args: argparse.Namespace) -> int:
    from bot.export import run_export

    try:
        cfg = load_config(Path(args.config) if args.config else None, require_token=False)
        # The same secret as `run` (configured, or the file beside the database), never a new
        # one: an export must not leave a secret behind that the bot never used.
        cfg, _ = resolve_survey_secret(cfg, create=False)
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2
    return run_export(cfg, args)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="safermk-bot", description="SaferMK community bot")
    p.add_argument("--config", help="config file (default ./config.yaml)")
    sub = p.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="start the bot (long polling, or a webhook: config)")
    run.add_argument("--config", dest="config", default=argparse.SUPPRESS)
    run.add_argument("-v", "--verbose", action="store_true")
    run.set_defaults(func=cmd_run)
    check = sub.add_parser("check-content", help="validate content/ and list every problem")
    check.add_argument("dir", nargs="?", help="content folder (default from config)")
    check.add_argument("--config", dest="config", default=argparse.SUPPRESS)
    check.set_defaults(func=cmd_check_content)
    sign = sub.add_parser(
        "signpost", help="try messages against the safeguarding check (safety.yaml, examples)"
    )
    sign.add_argument("text", nargs="*", help="message(s) to try, each in quotes")
    sign.add_argument("--file", help="a text file with one message per line")
    sign.add_argument("--content", help="content folder (default from config)")
    sign.add_argument("--config", dest="config", default=argparse.SUPPRESS)
    sign.set_defaults(func=cmd_signpost)
    intent = sub.add_parser(
        "intent", help="try plain words against the intents (content/intents.yaml, examples)"
    )
    intent.add_argument("text", nargs="*", help="message(s) to try, each in quotes")
    intent.add_argument("--file", help="a text file with one message per line")
    intent.add_argument("--content", help="content folder (default from config)")
    intent.add_argument("--config", dest="config", default=argparse.SUPPRESS)
    intent.set_defaults(func=cmd_intent)
    preview = sub.add_parser(
        "preview", help="the bot in a web page, against a built-in Bot API double (no token)"
    )
    preview.add_argument("--config", dest="config", default=argparse.SUPPRESS)
    preview.add_argument("--content", help="content folder to use and watch (default from config)")
    preview.add_argument("--host", default="127.0.0.1", help="address to serve (127.0.0.1)")
    preview.add_argument("--port", type=int, default=8080, help="port (8080; 0: any free port)")
    preview.add_argument("--db", help="preview database (default data/preview/preview.sqlite3)")
    preview.add_argument("--fresh", action="store_true", help="start with an empty database")
    preview.set_defaults(func=cmd_preview)
    export = sub.add_parser("export", help="export a survey's responses as CSV")
    export.add_argument("survey")
    export.add_argument("--out", required=True)
    export.add_argument("--nag")
    export.add_argument("--since", help="YYYY-MM-DD")
    export.add_argument("--config", dest="config", default=argparse.SUPPRESS)
    export.set_defaults(func=cmd_export)
    _ops_commands(sub)
    return p


def _ops_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from bot.ops.backup_cli import cmd_backup, cmd_restore

    backup = sub.add_parser(
        "backup", help="copy the database and its secret files into a new folder in DEST"
    )
    backup.add_argument("dest", metavar="DEST", help="an existing folder for backups")
    backup.add_argument("--config", dest="config", default=argparse.SUPPRESS)
    backup.set_defaults(func=cmd_backup)
    restore = sub.add_parser(
        "restore", help="put a backup folder back in place of the database (bot stopped)"
    )
    restore.add_argument("src", metavar="SRC", help="a folder made by backup")
    restore.add_argument("--config", dest="config", default=argparse.SUPPRESS)
    restore.set_defaults(func=cmd_restore)


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.func(args)
    except KeyboardInterrupt:
        return 130
