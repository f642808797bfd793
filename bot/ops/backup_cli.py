"""`safermk-bot backup DEST` and `safermk-bot restore SRC`: the operator's side of
storage/backup.py (which files belong to a backup, where they go back, the lines printed).

Both print one line per step on stdout and, on any problem, one line on stderr with exit code 2
(a folder given that does not exist, an unreadable config) or 1 (anything else: the bot is
running, a damaged or changed backup, a failed integrity check).
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

from bot.plumbing.config import Config, ConfigError, load_config, secret_file
from storage.backup import BackupError, make_backup, restore_backup
from storage.lock import AlreadyRunning

# A webhook secret kept beside the database (when the bot is configured for webhooks).
WEBHOOK_SECRET_FILE = "webhook-secret"


def _say(line: str) -> None:
    print(line, flush=True)


def _fail(line: str, code: int = 1) -> int:
    print(line, file=sys.stderr)
    return code


def _config(args: argparse.Namespace) -> Config | int:
    try:
        return load_config(Path(args.config) if args.config else None, require_token=False)
    except ConfigError as exc:
        return _fail(str(exc), 2)


def bot_version() -> str:
    try:
        return metadata.version("safermk-bot")
    except metadata.PackageNotFoundError:
        return "unknown"


def secret_files(cfg: Config) -> tuple[list[Path], list[str]]:
    """The secret files a backup takes, and a note for each secret it does not."""
    files, notes = [], []
    if cfg.settings.survey.secret is not None:
        notes.append(
            "survey secret: set in the config or environment, not copied; keep it safe "
            "with the config (without it, restored survey pseudonyms no longer match)"
        )
    elif secret_file(cfg).is_file():
        files.append(secret_file(cfg))
    else:
        notes.append("survey secret: no file yet (the bot makes one at its first start)")
    webhook = cfg.db_path.parent / WEBHOOK_SECRET_FILE
    if webhook.is_file():
        files.append(webhook)
    return files, notes


def cmd_backup(args: argparse.Namespace) -> int:
    cfg = _config(args)
    if isinstance(cfg, int):
        return cfg
    dest = Path(args.dest)
    if not dest.is_dir():
        return _fail(f"{dest}: no such folder (create it first, e.g. mkdir -m 700 {dest})", 2)
    files, notes = secret_files(cfg)
    try:
        made = make_backup(
            cfg.db_path,
            dest,
            files=files,
            notes=notes,
            version=bot_version(),
            now=datetime.now(UTC),
            say=_say,
        )
    except BackupError as exc:
        return _fail(f"backup failed: {exc}")
    _say(f"backup done: {made.folder}")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    cfg = _config(args)
    if isinstance(cfg, int):
        return cfg
    src = Path(args.src)
    if not src.is_dir():
        return _fail(f"{src}: no such backup folder", 2)
    targets = {
        secret_file(cfg).name: secret_file(cfg),
        WEBHOOK_SECRET_FILE: cfg.db_path.parent / WEBHOOK_SECRET_FILE,
    }
    try:
        manifest = restore_backup(
            src, cfg.db_path, targets=targets, now=datetime.now(UTC), say=_say
        )
    except AlreadyRunning as exc:
        return _fail(f"restore refused: {exc}")
    except BackupError as exc:
        return _fail(f"restore failed: {exc}")
    if secret_file(cfg).name in manifest["files"] and cfg.settings.survey.secret is not None:
        _say(
            "note: survey.secret is set in the config, so the bot uses it rather than the "
            f"restored {secret_file(cfg).name}"
        )
    _say(f"restore done: {cfg.db_path} is the backup of {manifest.get('created')}; start the bot")
    return 0
