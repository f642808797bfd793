"""Configuration: the YAML file plus environment overrides, validated once into frozen objects.

A bad value is reported as one line naming the key (ConfigError); the CLI turns it into exit 2.
"""

from __future__ import annotations

import os
import re
import secrets
import tempfile
from dataclasses import dataclass, field, replace
from datetime import time
from functools import cached_property
from pathlib import Path
from typing import Any, Literal
from urllib.parse import SplitResult, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator

from bot.config_http import (
    WEBHOOK_SECRET_FILE,
    HttpSection,
    check_webhook_url,
    webhook_secret_problem,
)

DEFAULT_CONFIG_PATH = Path("config.yaml")
TOKEN_RE = re.compile(r"^\d{5,15}:[A-Za-z0-9_-]{30,}$")
# The value older example configs shipped with: public, so it protects nothing.
PLACEHOLDER_SECRETS = frozenset({"change-me", "changeme"})
MIN_SECRET_LENGTH = 32
SECRET_FILE_NAME = "survey-secret"
_SECRET_KEY = "survey.secret"
MAKE_SECRET = 'python -c "import secrets; print(secrets.token_urlsafe(32))"'


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


class LoggingSection(_Strict):
    # text: one readable line a record (a terminal, journald); json: one JSON object a line
    # for a log collector. Both are redacted the same way (bot/logsetup.py).
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
    explicit = path is not None
    path = path or DEFAULT_CONFIG_PATH
    raw: dict[str, Any] = {}
    source: Path | None = None
    if path.exists():
        source = path
        try:
            text = path.read_text(encoding="utf-8")
        except IsADirectoryError:
            raise ConfigError(f"{path}: is a folder, not a config file") from None
        except UnicodeDecodeError as exc:
            line = path.read_bytes()[: exc.start].count(b"\n") + 1
            raise ConfigError(
                f"{path}:{line}: is not UTF-8 text (save it as UTF-8 in your editor)"
            ) from None
        except OSError as exc:
            raise ConfigError(f"{path}: cannot read the config file ({exc.strerror})") from None
        try:
            loaded = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f":{mark.line + 1}" if mark else ""
            problem = getattr(exc, "problem", exc)
            raise ConfigError(f"{path}{where}: not valid YAML ({problem})") from None
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
    from_env: dict[str, str] = {}
    if isinstance(telegram, dict):
        if env.get("TELEGRAM_BOT_TOKEN"):
            telegram["token"] = env["TELEGRAM_BOT_TOKEN"]
            from_env["telegram.token"] = "TELEGRAM_BOT_TOKEN"
        if env.get("TELEGRAM_API_URL"):
            telegram["api_url"] = env["TELEGRAM_API_URL"]
            from_env["telegram.api_url"] = "TELEGRAM_API_URL"
        if env.get("TELEGRAM_PROXY"):
            telegram["proxy"] = env["TELEGRAM_PROXY"]
            from_env["telegram.proxy"] = "TELEGRAM_PROXY"
        if env.get("TELEGRAM_WEBHOOK_SECRET"):
            telegram["webhook_secret"] = env["TELEGRAM_WEBHOOK_SECRET"]
            from_env["telegram.webhook_secret"] = "TELEGRAM_WEBHOOK_SECRET"
        raw = {**raw, "telegram": telegram}
    section = raw.get("logging")
    if env.get("SAFERMK_LOG_FORMAT") and (section is None or isinstance(section, dict)):
        raw = {**raw, "logging": {**(section or {}), "format": env["SAFERMK_LOG_FORMAT"]}}
        from_env["logging.format"] = "SAFERMK_LOG_FORMAT"
    try:
        settings = Settings.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(_describe(exc, source, from_env)) from None
    _check_mode(settings, source)

    token = settings.telegram.token.get_secret_value() if settings.telegram.token else ""
    if require_token:
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
    roles: dict[int, str] = {o.id: o.role for o in settings.officers}
    return Config(settings=settings, source=source, officer_roles=roles)


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
