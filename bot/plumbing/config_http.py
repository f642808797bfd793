"""The `http:` config section and the webhook keys' rules: the one HTTP server in the bot's
process (/healthz, /readyz, /metrics and, in webhook mode, the route Telegram posts updates to).

Kept apart from bot/plumbing/config_sections.py and bot/plumbing/secrets_files.py (which
import it) so they stay about the other sections and the secret files; this module imports
nothing of the bot.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field

DEFAULT_PORT = 8080
# Paths the server answers itself: a webhook route must not shadow them.
OPS_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})
# Telegram's rule for secret_token: 1-256 characters, A-Z, a-z, 0-9, _ and -. We ask for at
# least 32, like the survey secret: it is the only thing that tells Telegram from anyone else.
WEBHOOK_SECRET_RE = re.compile(r"^[A-Za-z0-9_-]{32,256}$")
WEBHOOK_SECRET_FILE = "webhook-secret"


class HttpSection(BaseModel):
    """Where the server listens, when it runs, and what counts as ready."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # None: on in polling mode only when a port is given; webhook mode always needs it.
    enabled: bool | None = None
    host: str = Field(default="127.0.0.1", min_length=1)
    # 0: any free port (tests); the one chosen is logged.
    port: int | None = Field(default=None, ge=0, le=65535)
    # /readyz: not ready when no Bot API call has succeeded for this long ...
    api_silence_seconds: float = Field(default=300.0, gt=0)
    # ... or when a due outbox row has waited this long to be sent.
    outbox_stuck_seconds: float = Field(default=900.0, gt=0)

    def wanted(self, webhook: bool) -> bool:
        """Whether the server runs: always for a webhook, else when enabled or given a port."""
        if webhook:
            return True
        return self.enabled if self.enabled is not None else self.port is not None

    @property
    def bind_port(self) -> int:
        return DEFAULT_PORT if self.port is None else self.port


def check_webhook_url(value: str) -> str:
    """A public https:// URL with a host; its path is the route served locally."""
    if re.search(r"\s", value):
        raise ValueError("must be a URL without spaces")
    parts = urlsplit(value)
    if parts.scheme != "https" or not parts.hostname:
        raise ValueError(
            "must be the public https:// URL Telegram posts updates to, e.g. "
            "https://bot.example.org/telegram (Telegram accepts only https)"
        )
    try:
        port = parts.port
    except ValueError:
        raise ValueError("the port must be a number from 1 to 65535") from None
    if port is not None and port not in (443, 80, 88, 8443):
        raise ValueError("Telegram posts only to ports 443, 80, 88 or 8443")
    if parts.query or parts.fragment:
        raise ValueError("must not have a ?query or #fragment")
    if not re.fullmatch(r"[A-Za-z0-9/_.~-]*", parts.path):
        # The path becomes a route of the local server, where { } and the like mean patterns.
        raise ValueError("its path may hold only letters, digits and / _ . ~ -")
    if webhook_path(value) in OPS_PATHS:
        raise ValueError(f"its path must not be one of {', '.join(sorted(OPS_PATHS))}")
    return value


def webhook_path(url: str) -> str:
    """The local route for a webhook URL: its path ("/" when it has none)."""
    return urlsplit(url).path or "/"


def webhook_secret_problem(value: str) -> str | None:
    """Why a configured webhook secret cannot be used (None: it can)."""
    if not WEBHOOK_SECRET_RE.match(value):
        return (
            "must be 32 to 256 characters of A-Z, a-z, 0-9, _ and - (Telegram's rule); leave it "
            f"out and the bot keeps a generated one in '{WEBHOOK_SECRET_FILE}' beside the database"
        )
    return None
