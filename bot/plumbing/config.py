"""Configuration: the YAML file plus environment overrides, validated once into frozen objects.

A bad value is reported as one line naming the key (ConfigError); the CLI turns it into exit 2.
The sections and `Config` are in bot/plumbing/config_sections.py, the secret files in
bot/plumbing/secrets_files.py (issue 21); every name stays importable from here.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from bot.plumbing.config_sections import (
    _SECRET_KEY,
    MAX_OFFICER_NAME,
    AlertsSection,
    BroadcastSection,
    Config,
    ConfigError,
    ContentSection,
    LoggingSection,
    Officer,
    Settings,
    StorageSection,
    SurveySection,
    TelegramSection,
    check_api_url,
    check_proxy_url,
    parse_quiet_hours,
)
from bot.plumbing.secrets_files import (
    MAKE_SECRET,
    MIN_SECRET_LENGTH,
    PLACEHOLDER_SECRETS,
    SECRET_FILE_NAME,
    resolve_survey_secret,
    resolve_webhook_secret,
    secret_file,
)

__all__ = [
    "DEFAULT_CONFIG_PATH",
    "MAKE_SECRET",
    "MAX_OFFICER_NAME",
    "MIN_SECRET_LENGTH",
    "PLACEHOLDER_SECRETS",
    "SECRET_FILE_NAME",
    "TOKEN_RE",
    "_SECRET_KEY",
    "AlertsSection",
    "BroadcastSection",
    "Config",
    "ConfigError",
    "ContentSection",
    "LoggingSection",
    "Officer",
    "Settings",
    "StorageSection",
    "SurveySection",
    "TelegramSection",
    "check_api_url",
    "check_proxy_url",
    "load_config",
    "parse_quiet_hours",
    "resolve_survey_secret",
    "resolve_webhook_secret",
    "secret_file",
]

DEFAULT_CONFIG_PATH = Path("config.yaml")
TOKEN_RE = re.compile(r"^\d{5,15}:[A-Za-z0-9_-]{30,}$")


def _describe(err: ValidationError, path: Path | None, from_env: dict[str, str]) -> str:
    first = err.errors()[0]
    key = ".".join(str(p) for p in first["loc"]) or "(top level)"
    msg = first["msg"]
    if first["type"] == "extra_forbidden":
        msg = "unknown key (check the spelling against config.example.yaml)"
    if key in from_env:
        # The value came from the environment: naming the file would send the reader astray.
        return f"{from_env[key]} (config key '{key}'): {msg}"
    where = f"{path}: " if path else ""
    return f"{where}config key '{key}': {msg}"


def load_config(
    path: Path | None = None, env: dict[str, str] | None = None, *, require_token: bool = True
) -> Config:
    """Read the config file (or defaults), apply environment overrides, validate."""
    env = dict(os.environ) if env is None else env
    raw, source = _read_file(path)
    raw, from_env = _apply_env(raw, env)
    try:
        settings = Settings.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(_describe(exc, source, from_env)) from None
    _check_mode(settings, source)
    if require_token:
        _check_token(settings, source, from_env)
    roles: dict[int, str] = {o.id: o.role for o in settings.officers}
    return Config(settings=settings, source=source, officer_roles=roles)


def _read_file(path: Path | None) -> tuple[dict[str, Any], Path | None]:
    """The config file's mapping and the file it came from; ({}, None) when the default file is
    absent (a file named on the command line must exist)."""
    explicit = path is not None
    path = path or DEFAULT_CONFIG_PATH
    if not path.exists():
        if explicit:
            raise ConfigError(f"{path}: config file not found")
        return {}, None
    loaded = _parse_yaml(_read_text(path), path)
    if loaded is None:
        loaded = {}
    if not isinstance(loaded, dict):
        raise ConfigError(f"{path}: the top level must be a mapping of keys")
    return loaded, path


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except IsADirectoryError:
        raise ConfigError(f"{path}: is a folder, not a config file") from None
    except UnicodeDecodeError as exc:
        line = path.read_bytes()[: exc.start].count(b"\n") + 1
        raise ConfigError(
            f"{path}:{line}: is not UTF-8 text (save it as UTF-8 in your editor)"
        ) from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the config file ({exc.strerror})") from None


def _parse_yaml(text: str, path: Path) -> Any:
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}" if mark else ""
        problem = getattr(exc, "problem", exc)
        raise ConfigError(f"{path}{where}: not valid YAML ({problem})") from None


# Environment variables that override a key of the telegram section.
_TELEGRAM_ENV = (
    ("TELEGRAM_BOT_TOKEN", "token"),
    ("TELEGRAM_API_URL", "api_url"),
    ("TELEGRAM_PROXY", "proxy"),
    ("TELEGRAM_WEBHOOK_SECRET", "webhook_secret"),
)


def _apply_env(raw: dict[str, Any], env: dict[str, str]) -> tuple[dict[str, Any], dict[str, str]]:
    """`raw` with the environment's overrides, and which keys they set (key -> variable)."""
    telegram = raw.get("telegram")
    telegram = dict(telegram) if isinstance(telegram, dict) else telegram
    if telegram is None:
        telegram = {}
    from_env: dict[str, str] = {}
    if isinstance(telegram, dict):
        for variable, key in _TELEGRAM_ENV:
            if env.get(variable):
                telegram[key] = env[variable]
                from_env[f"telegram.{key}"] = variable
        raw = {**raw, "telegram": telegram}
    section = raw.get("logging")
    if env.get("SAFERMK_LOG_FORMAT") and (section is None or isinstance(section, dict)):
        raw = {**raw, "logging": {**(section or {}), "format": env["SAFERMK_LOG_FORMAT"]}}
        from_env["logging.format"] = "SAFERMK_LOG_FORMAT"
    return raw, from_env


def _check_token(settings: Settings, source: Path | None, from_env: dict[str, str]) -> None:
    """A bot token is set, and looks like one from @BotFather."""
    token = settings.telegram.token.get_secret_value() if settings.telegram.token else ""
    if not token or token.startswith("123456:REPLACE"):
        raise ConfigError(
            "No bot token. Create a bot with @BotFather in Telegram (/newbot), then set "
            "TELEGRAM_BOT_TOKEN=<token> in the environment or telegram.token in config.yaml."
        )
    if not TOKEN_RE.match(token):
        # Named as _describe names any value: by the environment variable it came from
        # (which overrides the file, so the file is the wrong place to look), else the file.
        if "telegram.token" in from_env:
            where = "TELEGRAM_BOT_TOKEN (config key 'telegram.token')"
        else:
            where = (f"{source}: " if source else "") + "config key 'telegram.token'"
        raise ConfigError(
            f"{where}: does not look like a bot token from @BotFather "
            "(digits, a colon, then 35 letters)"
        )


def _check_mode(settings: Settings, source: Path | None) -> None:
    """Webhook mode needs its URL and the HTTP server (keys that only matter together)."""
    where = f"{source}: " if source else ""
    if settings.telegram.mode != "webhook":
        return
    if settings.telegram.webhook_url is None:
        raise ConfigError(
            f"{where}config key 'telegram.webhook_url': webhook mode needs the public https:// "
            "URL Telegram posts updates to (or set telegram.mode: polling)"
        )
    if settings.http.enabled is False:
        raise ConfigError(
            f"{where}config key 'http.enabled': webhook mode needs the HTTP server (Telegram "
            "posts updates to it); remove the key or set telegram.mode: polling"
        )
