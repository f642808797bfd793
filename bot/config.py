"""Configuration: the YAML file plus environment overrides, validated once into frozen objects.

A bad value is reported as one line naming the key (ConfigError); the CLI turns it into exit 2.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from datetime import time
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator

DEFAULT_CONFIG_PATH = Path("config.yaml")
TOKEN_RE = re.compile(r"^\d{5,15}:[A-Za-z0-9_-]{30,}$")


class ConfigError(Exception):
    """A configuration problem, phrased as one line for the operator."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TelegramSection(_Strict):
    token: SecretStr | None = None
    api_url: str = "https://api.telegram.org"

    @field_validator("api_url")
    @classmethod
    def _url(cls, v: str) -> str:
        if not re.match(r"^https?://[^\s/]+", v):
            raise ValueError("must be an http:// or https:// URL")
        return v.rstrip("/")


class StorageSection(_Strict):
    path: Path = Path("data/safermk.sqlite3")


class ContentSection(_Strict):
    dir: Path = Path("content")


class Officer(_Strict):
    id: int = Field(gt=0)
    role: Literal["officer", "admin"] = "officer"


class SurveySection(_Strict):
    # Secret for the keyed hash that turns a chat id into a pseudonymous respondent id.
    secret: SecretStr = SecretStr("change-me")
    min_count: int = Field(default=5, ge=1)


class BroadcastSection(_Strict):
    rate_per_second: float = Field(default=25.0, gt=0, le=30)
    quiet_hours: str = "21:00-08:00"
    max_age_hours: float = Field(default=6.0, ge=0)

    @field_validator("quiet_hours")
    @classmethod
    def _quiet(cls, v: str) -> str:
        if v and parse_quiet_hours(v) is None:
            raise ValueError('must look like "21:00-08:00" or be empty')
        return v


class Settings(_Strict):
    telegram: TelegramSection = TelegramSection()
    storage: StorageSection = StorageSection()
    content: ContentSection = ContentSection()
    timezone: str = "Europe/London"
    officers: list[Officer] = []
    survey: SurveySection = SurveySection()
    broadcast: BroadcastSection = BroadcastSection()

    @field_validator("timezone")
    @classmethod
    def _tz(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {v!r}") from exc
        return v


def parse_quiet_hours(value: str) -> tuple[time, time] | None:
    """Parse "HH:MM-HH:MM" into two times, or None when malformed."""
    m = re.fullmatch(r"\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*", value)
    if not m:
        return None
    h1, m1, h2, m2 = (int(g) for g in m.groups())
    if h1 > 23 or h2 > 23 or m1 > 59 or m2 > 59:
        return None
    return time(h1, m1), time(h2, m2)


@dataclass(frozen=True)
class Config:
    """Validated configuration the rest of the bot reads."""

    settings: Settings
    source: Path | None = None
    officer_roles: dict[int, str] = field(default_factory=dict)

    @property
    def token(self) -> str | None:
        t = self.settings.telegram.token
        return t.get_secret_value() if t else None

    @property
    def api_url(self) -> str:
        return self.settings.telegram.api_url

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.settings.timezone)

    @property
    def db_path(self) -> Path:
        return self.settings.storage.path

    @property
    def content_dir(self) -> Path:
        return self.settings.content.dir

    def role_of(self, user_id: int | None) -> str | None:
        return self.officer_roles.get(user_id) if user_id is not None else None


def _describe(err: ValidationError, path: Path | None) -> str:
    first = err.errors()[0]
    key = ".".join(str(p) for p in first["loc"]) or "(top level)"
    msg = first["msg"]
    if first["type"] == "extra_forbidden":
        msg = "unknown key (check the spelling against config.example.yaml)"
    where = f"{path}: " if path else ""
    return f"{where}config key '{key}': {msg}"


def load_config(
    path: Path | None = None, env: dict[str, str] | None = None, *, require_token: bool = True
) -> Config:
    """Read the config file (or defaults), apply environment overrides, validate."""
    env = dict(os.environ) if env is None else env
    explicit = path is not None
    path = path or DEFAULT_CONFIG_PATH
    raw: dict[str, Any] = {}
    source: Path | None = None
    if path.exists():
        source = path
        try:
            loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            line = f":{mark.line + 1}" if mark else ""
            problem = getattr(exc, "problem", exc)
            raise ConfigError(f"{path}{line}: not valid YAML ({problem})") from None
        if loaded is None:
            loaded = {}
        if not isinstance(loaded, dict):
            raise ConfigError(f"{path}: the top level must be a mapping of keys")
        raw = loaded
    elif explicit:
        raise ConfigError(f"{path}: config file not found")

    telegram = raw.get("telegram")
    telegram = dict(telegram) if isinstance(telegram, dict) else telegram
    if telegram is None:
        telegram = {}
    if isinstance(telegram, dict):
        if env.get("TELEGRAM_BOT_TOKEN"):
            telegram["token"] = env["TELEGRAM_BOT_TOKEN"]
        if env.get("TELEGRAM_API_URL"):
            telegram["api_url"] = env["TELEGRAM_API_URL"]
        raw = {**raw, "telegram": telegram}
    try:
        settings = Settings.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(_describe(exc, source)) from None

    token = settings.telegram.token.get_secret_value() if settings.telegram.token else ""
    if require_token:
        if not token or token.startswith("123456:REPLACE"):
            raise ConfigError(
                "No bot token. Create a bot with @BotFather in Telegram (/newbot), then set "
                "TELEGRAM_BOT_TOKEN=<token> in the environment or telegram.token in config.yaml."
            )
        if not TOKEN_RE.match(token):
            raise ConfigError(
                "config key 'telegram.token': does not look like a bot token from @BotFather "
                "(digits, a colon, then 35 letters)"
            )
    roles = {o.id: o.role for o in settings.officers}
    return Config(settings=settings, source=source, officer_roles=roles)
