"""Command line: `safermk-bot run`, `preview`, `check-content`, the survey export, and backup and
restore (bot/ops/backup_cli.py)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.cli_run import check_bot_api, cmd_run, print_problems
from bot.content import Content, ContentError, load_content
from bot.domain.understanding import Understanding
from bot.plumbing.config import (
    ConfigError,
    load_config,
    resolve_survey_secret,
)

__all__ = ["check_bot_api", "cmd_run", "main", "parser"]  # check_bot_api: as before the split


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
        print_problems(err)
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
