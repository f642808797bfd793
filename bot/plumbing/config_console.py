"""The `console:` config section: the officers' web console (bot/console/), off by default.

Kept apart from bot/plumbing/config_sections.py (which imports it), like the http section;
this module imports nothing of the bot.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

DEFAULT_CONSOLE_PORT = 8090
LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})


class ConsoleSection(BaseModel):
    """Where the console listens, the address officers open, and how long a session lasts."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = False
    host: str = Field(default="127.0.0.1", min_length=1)
    port: int = Field(default=DEFAULT_CONSOLE_PORT, ge=0, le=65535)  # 0: any free port (tests)
    # The address officers open (the reverse proxy's https:// one); sign-in links start with
    # it. None: http://host:port, fine on this machine only.
    public_url: str | None = None
    # A session ends after this many minutes without a request.
    session_idle_minutes: float = Field(default=30.0, gt=0, le=24 * 60)
    # Sign-in attempts (opening or using a link) allowed per minute from one address.
    signin_per_minute: int = Field(default=10, ge=1, le=1000)

    @field_validator("public_url")
    @classmethod
    def _public_url(cls, v: str | None) -> str | None:
        if v is None or not v.strip():
            return None
        return check_public_url(v)

    @model_validator(mode="after")
    def _reachable(self) -> ConsoleSection:
        if self.enabled and not self.loopback and self.public_url is None:
            raise ValueError(
                f"listening on {self.host} needs public_url: the https:// address officers "
                "open through the reverse proxy (sign-in links start with it)"
            )
        return self

    @property
    def loopback(self) -> bool:
        """Listening on this machine only (then the cookie may go without Secure over http)."""
        return self.host in LOOPBACK

    def base_url(self, bound_port: int | None = None) -> str:
        """The console's origin as officers open it (pages are under /console/)."""
        if self.public_url is not None:
            return self.public_url
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port if bound_port is None else bound_port}"


def check_public_url(value: str) -> str:
    """https://host[:port] (http:// only for this machine), returned without a final /."""
    if re.search(r"\s", value):
        raise ValueError("must be a URL without spaces")
    parts = urlsplit(value)
    local = parts.hostname in LOOPBACK
    if not parts.hostname or parts.scheme not in (("http", "https") if local else ("https",)):
        raise ValueError(
            "must be the https:// address officers open, e.g. https://console.example.gov.uk "
            "(http:// only for 127.0.0.1)"
        )
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ValueError(
            "must be only scheme://host[:port]: the console's pages are under /console/ there"
        )
    return value.rstrip("/")
