"""The configuration's shape: the pydantic sections of config.yaml, the rules of their values, and
the validated `Config` the rest of the bot reads.

Split from bot/plumbing/config.py (issue 21), which reads the file and the environment into
these and re-exports every name here; the http section and the webhook keys' rules are in
bot/plumbing/config_http.py. This module imports nothing else of the bot.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import time
from functools import cached_property
from pathlib import Path
from typing import Literal
from urllib.parse import SplitResult, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from bot.plumbing.config_console import ConsoleSection
from bot.plumbing.config_http import HttpSection, check_webhook_url, webhook_secret_problem

_SECRET_KEY = "survey.secret"


class ConfigError(Exception):
    """A configuration problem, phrased as one line for the operator."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TelegramSection(_Strict):
    token: SecretStr | None = None
    api_url: str = "https://api.telegram.org"
    # An HTTP proxy the Bot API is reached through (CONNECT tunnels), e.g. a council network's
    # http://proxy.example.gov.uk:3128; may hold user:password, so kept secret like the token.
    proxy: SecretStr | None = None
    # polling (getUpdates, the default) or webhook (Telegram posts updates to webhook_url, the
    # public https URL in front of the bot's HTTP server: see the http section).
    mode: Literal["polling", "webhook"] = "polling"
    webhook_url: str | None = None
    # Telegram sends it with every update; None: generated once, kept beside the database.
    webhook_secret: SecretStr | None = None

    @field_validator("webhook_url")
    @classmethod
    def _webhook_url(cls, v: str | None) -> str | None:
        return None if v is None or not v.strip() else check_webhook_url(v)

    @field_validator("webhook_secret")
    @classmethod
    def _webhook_secret(cls, v: SecretStr | None) -> SecretStr | None:
        if v is None:
            return None
        problem = webhook_secret_problem(v.get_secret_value())
        if problem is not None:
            raise ValueError(problem)
        return v

    @field_validator("api_url")
    @classmethod
    def _url(cls, v: str) -> str:
        return check_api_url(v)

    @field_validator("proxy")
    @classmethod
    def _proxy(cls, v: SecretStr | None) -> SecretStr | None:
        if v is None or not v.get_secret_value().strip():
            return None
        check_proxy_url(v.get_secret_value())
        return v


class StorageSection(_Strict):
    path: Path = Path("data/safermk.sqlite3")


class ContentSection(_Strict):
    dir: Path = Path("content")


# Shown in lists and audit trails, so short: e.g. "Sam (Safer Neighbourhood Team)".
MAX_OFFICER_NAME = 40


class Officer(_Strict):
    id: int = Field(gt=0)
    role: Literal["officer", "admin"] = "officer"
    # How officers see each other in audit trails and lists. Never stored in the database (the
    # config is its only source; the database keeps the Telegram id, as before).
    name: str | None = Field(default=None, min_length=1, max_length=MAX_OFFICER_NAME)

    @field_validator("name")
    @classmethod
    def _name(cls, v: str | None) -> str | None:
        if v is None:
            return None
        v = " ".join(v.split())
        if not v:
            raise ValueError("must be some text, or left out")
        return v


class SurveySection(_Strict):
    # Secret for the keyed hash that turns a chat id into a pseudonymous respondent id. None:
    # not configured; `resolve_survey_secret` then keeps a generated one beside the database.
    secret: SecretStr | None = None
    min_count: int = Field(default=5, ge=1)


class BroadcastSection(_Strict):
    # Telegram's free limit is about 30 messages a second; bot/telegram/pacing.py keeps every send
    # (broadcast and replies) inside it, measured at 30 (bench/README.md, section 5).
    rate_per_second: float = Field(default=30.0, gt=0, le=30)
    quiet_hours: str = "21:00-08:00"
    max_age_hours: float = Field(default=6.0, ge=0)
    # Telegram's paid broadcasts: allow_paid_broadcast on every broadcast message, up to 1,000
    # a second, each message above the free limit billed in Stars from the bot's balance.
    paid: bool = False
    paid_rate_per_second: int = Field(default=1000, ge=1, le=1000)
    paid_stars_per_message: float = Field(default=0.1, ge=0)

    @field_validator("quiet_hours")
    @classmethod
    def _quiet(cls, v: str) -> str:
        if v and parse_quiet_hours(v) is None:
            raise ValueError('must look like "21:00-08:00" or be empty')
        return v


class AlertsSection(_Strict):
    # Admins (officers with role admin) get one Telegram message per problem (bot/ops/alerts.py),
    # not again for the same problem within this many minutes, and one line when it is over.
    cooldown_minutes: float = Field(default=60.0, gt=0)
    # Broadcast sends failing (network, Telegram's 5xx) with no success for this long.
    delivery_failing_minutes: float = Field(default=10.0, gt=0)


class LanguagesSection(_Strict):
    # Offer languages whose texts.<code>.yaml is still a draft (not reviewed by a native
    # speaker): for the preview and for trying a translation, not for the live bot.
    allow_drafts: bool = False


class LoggingSection(_Strict):
    # text: one readable line a record (a terminal, journald); json: one JSON object a line
    # for a log collector. Both are redacted the same way (bot/plumbing/logsetup.py).
    format: Literal["text", "json"] = "text"


class Settings(_Strict):
    telegram: TelegramSection = TelegramSection()
    storage: StorageSection = StorageSection()
    content: ContentSection = ContentSection()
    timezone: str = "Europe/London"
    officers: list[Officer] = []
    logging: LoggingSection = LoggingSection()
    survey: SurveySection = SurveySection()
    broadcast: BroadcastSection = BroadcastSection()
    alerts: AlertsSection = AlertsSection()
    http: HttpSection = HttpSection()
    languages: LanguagesSection = LanguagesSection()
    console: ConsoleSection = ConsoleSection()

    @field_validator("timezone")
    @classmethod
    def _tz(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {v!r}") from exc
        return v


def _split_url(value: str, schemes: tuple[str, ...], wrong_scheme: str) -> SplitResult:
    """`value` split, once it has no spaces, one of `schemes`, a host and, if it has a port, one
    from 1 to 65535 (messages never repeat the value: a proxy's may hold a password)."""
    if re.search(r"\s", value):
        raise ValueError("must be a URL without spaces")
    parts = urlsplit(value)
    if parts.scheme not in schemes or not parts.hostname:
        raise ValueError(wrong_scheme)
    try:
        port = parts.port
    except ValueError:  # out of range or not a number
        raise ValueError("the port must be a number from 1 to 65535") from None
    if port == 0:
        raise ValueError("the port must be a number from 1 to 65535")
    return parts


def check_api_url(value: str) -> str:
    """An http(s) root URL with a host, a valid port and no spaces; returned without a final /."""
    parts = _split_url(
        value, ("http", "https"), "must be an http:// or https:// URL with a host name"
    )
    if parts.query or parts.fragment:
        raise ValueError("must not have a ?query or #fragment (requests go to {api_url}/bot...)")
    return value.rstrip("/")


def check_proxy_url(value: str) -> SplitResult:
    """http://[user:password@]host:port, nothing else; returned split."""
    parts = _split_url(
        value,
        ("http",),
        "must be an http:// proxy URL with a host name, e.g. http://proxy.example.org:3128 "
        "(https:// and socks proxies are not supported)",
    )
    if parts.port is None:
        raise ValueError("needs a port from 1 to 65535, e.g. http://proxy.example.org:3128")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ValueError("must be only http://[user:password@]host:port")
    return parts


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
    def proxy(self) -> str | None:
        p = self.settings.telegram.proxy
        return p.get_secret_value() if p else None

    @property
    def webhook(self) -> bool:
        """Whether Telegram posts updates to us (telegram.mode: webhook) rather than polling."""
        return self.settings.telegram.mode == "webhook"

    @property
    def webhook_secret(self) -> str:
        """The secret_token Telegram sends with every update (resolved at start)."""
        secret = self.settings.telegram.webhook_secret
        if secret is None:
            raise ConfigError("config key 'telegram.webhook_secret': not resolved")
        return secret.get_secret_value()

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.settings.timezone)

    @cached_property
    def quiet_hours(self) -> tuple[time, time] | None:
        """broadcast.quiet_hours, parsed once (None when they are off)."""
        return parse_quiet_hours(self.settings.broadcast.quiet_hours or "")

    @property
    def db_path(self) -> Path:
        return self.settings.storage.path

    @property
    def content_dir(self) -> Path:
        return self.settings.content.dir

    @property
    def log_format(self) -> Literal["text", "json"]:
        return self.settings.logging.format

    @property
    def survey_secret(self) -> str:
        """The key of survey pseudonyms (resolved at start: configured, or the generated file)."""
        secret = self.settings.survey.secret
        if secret is None:
            raise ConfigError(
                f"config key '{_SECRET_KEY}': not resolved (see resolve_survey_secret)"
            )
        return secret.get_secret_value()

    def role_of(self, user_id: int | None) -> str | None:
        return self.officer_roles.get(user_id) if user_id is not None else None

    @property
    def admin_ids(self) -> list[int]:
        return [i for i, role in self.officer_roles.items() if role == "admin"]

    def officer_entry(self, user_id: int | None) -> tuple[int, str | None] | None:
        """(position in the config's officers list from 1, name or None) of an officer, or None
        for anyone not listed (a former officer, say)."""
        for i, o in enumerate(self.settings.officers, 1):
            if o.id == user_id:
                return i, o.name
        return None
