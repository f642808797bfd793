"""The secret files beside the database: the survey secret (the key of survey pseudonyms) and
the webhook secret (what Telegram sends with every update), each configured or generated once
and kept (mode 0600) where a restart finds it.

Split from bot/plumbing/config.py (issue 21), which re-exports every name here.
"""

from __future__ import annotations

import os
import secrets
import tempfile
from dataclasses import replace
from pathlib import Path

from pydantic import SecretStr

from bot.plumbing.config_http import WEBHOOK_SECRET_FILE, webhook_secret_problem
from bot.plumbing.config_sections import _SECRET_KEY, Config, ConfigError

# The value older example configs shipped with: public, so it protects nothing.
PLACEHOLDER_SECRETS = frozenset({"change-me", "changeme"})
MIN_SECRET_LENGTH = 32
SECRET_FILE_NAME = "survey-secret"
MAKE_SECRET = 'python -c "import secrets; print(secrets.token_urlsafe(32))"'


# ---------------------------------------------------------------- the survey secret


def secret_file(cfg: Config) -> Path:
    """Where a generated survey secret lives: beside the database, outside it.

    Outside, so a copy of the database alone cannot turn pseudonyms back into chat ids; beside
    it, so it lands on the same volume and in the same backup.
    """
    return cfg.db_path.parent / SECRET_FILE_NAME


def _with_secret(cfg: Config, value: str) -> Config:
    survey = cfg.settings.survey.model_copy(update={"secret": SecretStr(value)})
    return replace(cfg, settings=cfg.settings.model_copy(update={"survey": survey}))


def _check_configured_secret(value: str, source: Path | None) -> None:
    where = f"{source}: " if source else ""
    key = f"{where}config key '{_SECRET_KEY}'"
    how = (
        f"make one with: {MAKE_SECRET} (or remove the key and the bot keeps a generated one "
        f"in '{SECRET_FILE_NAME}' beside the database)"
    )
    if value.strip().lower() in PLACEHOLDER_SECRETS:
        raise ConfigError(
            f"{key}: {value.strip()!r} is the example placeholder, not a secret; {how}"
        )
    if not value.strip():
        raise ConfigError(f"{key}: is empty; {how}")
    if len(value) < MIN_SECRET_LENGTH:
        raise ConfigError(
            f"{key}: too short ({len(value)} characters, at least {MIN_SECRET_LENGTH}); {how}"
        )


def _read_secret_file(path: Path, what: str = "survey secret") -> str:
    try:
        value = path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else "not text"
        raise ConfigError(f"{path}: cannot read the {what} ({reason})") from None
    if len(value) < MIN_SECRET_LENGTH:
        raise ConfigError(
            f"{path}: the {what} file is damaged (shorter than {MIN_SECRET_LENGTH} "
            "characters); restore it from the backup taken with the database"
        )
    return value


def _create_secret_file(path: Path) -> bool:
    """Write a new random secret to `path` (mode 0600) unless it exists; True if we wrote it.

    Written to a private temporary file first and then hard-linked into place, so the file
    appears complete or not at all, and two bots starting at once cannot both create one.
    """
    value = secrets.token_urlsafe(32) + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")  # mode 0600
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(value)
            out.flush()
            os.fsync(out.fileno())
        try:
            os.link(tmp, path)
            return True
        except FileExistsError:
            return False
        except OSError:
            pass  # a file system without hard links: create exclusively instead
    finally:
        os.unlink(tmp)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return False
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(value)
        out.flush()
        os.fsync(out.fileno())
    return True


def resolve_survey_secret(cfg: Config, *, create: bool = True) -> tuple[Config, Path | None]:
    """The config with its survey secret settled; also the secret file's path if just made.

    A configured secret must be real (not the placeholder, at least 32 characters) and is used
    as is. Without one, the secret file beside the database is used, created on first start
    when `create` is true (`run`); `export` only reads it.
    """
    configured = cfg.settings.survey.secret
    if configured is not None:
        _check_configured_secret(configured.get_secret_value(), cfg.source)
        return cfg, None
    path = secret_file(cfg)
    created = False
    if not path.exists() and create:
        try:
            created = _create_secret_file(path)
        except OSError as exc:
            raise ConfigError(
                f"{path}: cannot create the survey secret file ({exc.strerror or exc}); make "
                "the folder writable or set survey.secret in the config"
            ) from None
    if not path.exists():
        return cfg, None
    return _with_secret(cfg, _read_secret_file(path)), path if created else None


# ---------------------------------------------------------------- the webhook secret


def resolve_webhook_secret(cfg: Config) -> tuple[Config, Path | None]:
    """The config with its webhook secret settled (webhook mode only); also the file if just made.

    Configured (TELEGRAM_WEBHOOK_SECRET or telegram.webhook_secret): used as is. Otherwise one
    is generated on first start and kept (0600) in `webhook-secret` beside the database, so a
    restart sends Telegram the same one.
    """
    if not cfg.webhook or cfg.settings.telegram.webhook_secret is not None:
        return cfg, None
    path = cfg.db_path.parent / WEBHOOK_SECRET_FILE
    created = False
    if not path.exists():
        try:
            created = _create_secret_file(path)
        except OSError as exc:
            raise ConfigError(
                f"{path}: cannot create the webhook secret file ({exc.strerror or exc}); make "
                "the folder writable or set TELEGRAM_WEBHOOK_SECRET"
            ) from None
    value = _read_secret_file(path, "webhook secret")
    if webhook_secret_problem(value) is not None:
        raise ConfigError(
            f"{path}: the webhook secret file holds characters Telegram does not accept (A-Z, "
            "a-z, 0-9, _ and - only); delete it and the bot makes a new one at the next start"
        )
    telegram = cfg.settings.telegram.model_copy(update={"webhook_secret": SecretStr(value)})
    settings = cfg.settings.model_copy(update={"telegram": telegram})
    return replace(cfg, settings=settings), path if created else None
