"""`safermk-bot preview`: put the double, the bot, the web page and the content watcher together.

`Preview` is what the command and the tests start: a Bot API double enforcing Telegram's rules,
the real bot polling it, the web page on `host:port`, and a watcher that reloads the content
folder on every save. `run_preview` is the command: one line and a non-zero exit for any
start-up problem, the address printed once it listens, Ctrl-C stops it cleanly.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from pathlib import Path
from typing import Any

from bot.content import Content, ContentError, load_content
from bot.ops.instance import instance_lock
from bot.plumbing.clock import Clock
from bot.plumbing.config import Config, ConfigError, load_config
from bot.preview.bot import PreviewBot
from bot.preview.double import BotApiDouble, Rules
from bot.preview.people import Person, people_of, preview_config
from bot.preview.watch import ContentWatcher
from bot.preview.web import PLACES, PreviewWeb

logger = logging.getLogger(__name__)

DEFAULT_DB = Path("data/preview/preview.sqlite3")
LOCALHOST = "127.0.0.1"
# Telegram lets one chat get a short burst of messages before holding it to one a second (its
# FAQ gives no number). The bot's longest answer, /results (a summary, up to a chart per
# question and a CSV: about a dozen messages for the shipped surveys), fits in this.
CHAT_BURST = 20


class Preview:
    """The whole preview in this process; `await start()`, then `url`, then `await stop()`."""

    def __init__(
        self,
        config: Config,
        content: Content,
        host: str = LOCALHOST,
        port: int = 8080,
        *,
        rules: Rules | None = None,
        watch_interval: float = 1.0,
        clock: Clock | None = None,
    ) -> None:
        self.config = config
        self.host = host
        self.port = port
        self.api = BotApiDouble(rules or Rules.telegram(chat_burst=CHAT_BURST), history=True)
        self.people: list[Person] = people_of(config)
        for person in self.people:
            # As if each had opened the chat before: the bot may write to them (officer menus).
            self.api.add_user(person.id, person.name)
        self.bot = PreviewBot(config, content, self.api, clock)
        self.problems: list[str] = []
        self.web = PreviewWeb(self.api, self.people, self.meta, host)
        self.watcher = ContentWatcher(config.content_dir, self._content_changed, watch_interval)

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.web.port}"

    @property
    def content(self) -> Content:
        services = self.bot.services
        return services.content if services is not None else self.bot.content

    def meta(self) -> dict[str, Any]:
        """What the page shows beside the chats; follows content reloads."""
        content = self.content
        links = [
            {"payload": f"nag_{n.id}", "label": n.name, "kind": "nag"}
            for n in sorted(content.nags, key=lambda n: n.name)
        ]
        links += [
            {"payload": f"survey_{s.id}", "label": s.title, "kind": "survey"}
            for s in content.surveys
        ]
        return {
            "deep_links": links,
            "map": {
                "nags": [
                    {"id": n.id, "name": n.name, "lat": n.lat, "lon": n.lon} for n in content.nags
                ],
                "places": [
                    {"name": name, "label": label, "lat": lat, "lon": lon}
                    for name, label, lat, lon in PLACES
                ],
            },
            "problems": self.problems,
            # Draft languages are offered here: the page says they are not reviewed yet.
            "drafts": [
                f"{x.name} ({x.english_name})" for x in content.languages() if not x.reviewed
            ],
            "content_dir": shown_path(self.config.content_dir),
            "console_url": self.console_url,
        }

    @property
    def console_url(self) -> str | None:
        """The officers' console's home page (officers sign in with /console in their tab)."""
        services = self.bot.services
        server = services.console_server if services is not None else None
        return server.url if server is not None else None

    async def _content_changed(self) -> None:
        problems = await self.bot.reload()
        prefix = str(self.config.content_dir).rstrip("/") + "/"
        self.problems = [p.removeprefix(prefix) for p in problems]
        if problems:
            logger.warning(
                "Content has %d problem(s); the bot keeps the last good content", len(problems)
            )
        self.web.publish({"type": "content", "problems": self.problems, **self.meta()})

    async def start(self) -> None:
        await self.web.start(self.host, self.port)
        try:
            await self.bot.start()
        except BaseException:
            await self.web.stop()
            raise
        self.watcher.start()

    async def stop(self) -> None:
        await self.watcher.stop()
        await self.web.stop()
        await self.bot.stop()


def shown_path(path: Path) -> str:
    """A path as the page shows it: relative to the current folder when it is inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve())) or "."
    except ValueError:
        return str(path)


def remove_database(db: Path) -> None:
    """--fresh: the preview database and its WAL files go; nothing else beside it."""
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)


async def serve(preview: Preview, stop: asyncio.Event | None = None) -> int:
    try:
        await preview.start()
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        print(f"Could not listen on {preview.host}:{preview.port}: {reason}", file=sys.stderr)
        return 1
    except Exception as exc:  # noqa: BLE001 - one line, never a traceback
        line = str(exc).splitlines()[0] if str(exc) else ""
        print(f"The preview did not start: {type(exc).__name__}: {line}", file=sys.stderr)
        return 1
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    print(f"SaferMK preview: open {preview.url} (Ctrl-C stops it)", flush=True)
    if preview.console_url:
        print(
            f"Officers' console: {preview.console_url} (send /console in the Officer or Admin "
            "tab to sign in)",
            flush=True,
        )
    try:
        await stop.wait()
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
        await preview.stop()
    print("Preview stopped.", flush=True)
    return 0


def run_preview(args: argparse.Namespace) -> int:
    """The `preview` command: parse nothing more, check everything, then serve until Ctrl-C."""
    from bot.plumbing.logsetup import setup_logging

    setup_logging(logging.WARNING)
    try:
        cfg = load_config(Path(args.config) if args.config else None, require_token=False)
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2
    if not 0 <= args.port <= 65535:
        print(
            f"--port {args.port}: give a port from 1 to 65535 (0: any free port)", file=sys.stderr
        )
        return 2
    db = Path(args.db) if args.db else DEFAULT_DB
    if db.is_dir():
        print(
            f"--db {db}: is a folder; give a file name such as {db / 'preview.sqlite3'}",
            file=sys.stderr,
        )
        return 2
    if db.resolve() == cfg.db_path.resolve():
        print(f"--db {db}: is the live bot's database; the preview needs its own", file=sys.stderr)
        return 2
    cfg = preview_config(cfg, db, Path(args.content) if args.content else None)
    try:
        content = load_content(cfg.content_dir, cfg.tz)
    except ContentError as err:
        for p in err.problems:
            print(p, file=sys.stderr)
        print("The preview did not start: fix the content and try again.", file=sys.stderr)
        return 1
    if args.host != LOCALHOST:
        print(
            f"warning: --host {args.host} lets other computers open the preview; it has no "
            "login, so anyone who can reach it can act as any person in it",
            file=sys.stderr,
        )
    # Before --fresh removes anything: a preview already running on this file keeps it.
    lock = instance_lock(db, "preview")
    if isinstance(lock, int):
        return lock
    try:
        if args.fresh:
            try:
                remove_database(db)
            except OSError as exc:
                print(f"--fresh: could not remove {db}: {exc.strerror}", file=sys.stderr)
                return 1
        return asyncio.run(serve(Preview(cfg, content, args.host, args.port)))
    except KeyboardInterrupt:  # a second Ctrl-C while stopping
        return 130
    finally:
        lock.release()
