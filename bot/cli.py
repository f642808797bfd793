"""Command line: `safermk-bot run`, `check-content`, and the survey export."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.config import ConfigError, load_config
from bot.content import ContentError, load_content

logger = logging.getLogger("bot")


def _print_problems(err: ContentError) -> None:
    for p in err.problems:
        print(p, file=sys.stderr)
    print(f"{len(err.problems)} problem(s) found; nothing was changed.", file=sys.stderr)


def cmd_check_content(args: argparse.Namespace) -> int:
    directory = Path(args.dir) if args.dir else None
    tz = ZoneInfo("Europe/London")
    if directory is None:
        try:
            cfg = load_config(Path(args.config) if args.config else None, require_token=False)
            directory, tz = cfg.content_dir, cfg.tz
        except ConfigError as exc:
            print(exc, file=sys.stderr)
            return 2
    try:
        content = load_content(directory, tz)
    except ContentError as err:
        _print_problems(err)
        return 1
    for w in content.warnings:
        print(f"warning: {w}", file=sys.stderr)
    print(
        f"{directory}: OK ({len(content.nags)} NAGs, {len(content.campaigns)} campaigns, "
        f"{len(content.surveys)} surveys, {len(list(content.t().keys()))} texts)"
    )
    return 0


def cmd_signpost(args: argparse.Namespace) -> int:
    """Show editors which safeguarding categories messages fall in and the reply they would get."""
    import html
    import re

    from bot.context import safety_detector

    directory = Path(args.content) if args.content else None
    tz = ZoneInfo("Europe/London")
    if directory is None:
        try:
            cfg = load_config(Path(args.config) if args.config else None, require_token=False)
            directory, tz = cfg.content_dir, cfg.tz
        except ConfigError as exc:
            print(exc, file=sys.stderr)
            return 2
    try:
        content = load_content(directory, tz)
    except ContentError as err:
        _print_problems(err)
        return 1
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
    detector = safety_detector(content)
    found = 0
    for text in messages:
        print(f"> {text}")
        why = detector.explain(text)
        if not why:
            print("  no alarm: the bot answers as usual\n")
            continue
        found += 1
        print("  " + "; ".join(f"{cat} (matched {entry!r})" for cat, entry in why))
        reply = detector.reply(detector.find(text))
        plain = html.unescape(re.sub(r"<[^>]+>", "", reply))
        print("\n".join("  | " + line for line in plain.splitlines()) + "\n")
    print(f"{found} of {len(messages)} message(s) would get safeguarding help.")
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    from bot.app import build_application, make_services
    from bot.logsetup import setup_logging

    try:
        cfg = load_config(Path(args.config) if args.config else None)
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2
    setup_logging(logging.DEBUG if args.verbose else logging.INFO, secrets=(cfg.token or "",))
    try:
        content = load_content(cfg.content_dir, cfg.tz)
    except ContentError as err:
        _print_problems(err)
        print("The bot did not start: fix the content and try again.", file=sys.stderr)
        return 1
    app = build_application(make_services(cfg, content))
    logger.info(
        "Starting: %d NAGs, %d campaigns, database %s",
        len(content.nags),
        len(content.campaigns),
        cfg.db_path,
    )
    app.run_polling(allowed_updates=["message", "callback_query", "my_chat_member"])
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from bot.export import run_export

    try:
        cfg = load_config(Path(args.config) if args.config else None, require_token=False)
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2
    return run_export(cfg, args)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="safermk-bot", description="SaferMK community bot")
    p.add_argument("--config", help="config file (default ./config.yaml)")
    sub = p.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="start the bot (long polling)")
    run.add_argument("--config", dest="config", default=argparse.SUPPRESS)
    run.add_argument("-v", "--verbose", action="store_true")
    run.set_defaults(func=cmd_run)
    check = sub.add_parser("check-content", help="validate content/ and list every problem")
    check.add_argument("dir", nargs="?", help="content folder (default from config)")
    check.add_argument("--config", dest="config", default=argparse.SUPPRESS)
    check.set_defaults(func=cmd_check_content)
    sign = sub.add_parser(
        "signpost", help="try messages against the safeguarding lexicon (content/safety.yaml)"
    )
    sign.add_argument("text", nargs="*", help="message(s) to try, each in quotes")
    sign.add_argument("--file", help="a text file with one message per line")
    sign.add_argument("--content", help="content folder (default from config)")
    sign.add_argument("--config", dest="config", default=argparse.SUPPRESS)
    sign.set_defaults(func=cmd_signpost)
    export = sub.add_parser("export", help="export a survey's responses as CSV")
    export.add_argument("survey")
    export.add_argument("--out", required=True)
    export.add_argument("--nag")
    export.add_argument("--since", help="YYYY-MM-DD")
    export.add_argument("--config", dest="config", default=argparse.SUPPRESS)
    export.set_defaults(func=cmd_export)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.func(args)
    except KeyboardInterrupt:
        return 130
