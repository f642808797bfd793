"""Who is in the preview: three residents, an officer and an admin, and the preview's config.

Officers come from the config; when it has no officer (or no admin) the preview adds its own
ids, so every tab works out of the box. The preview never has a bot token and keeps its
database away from the live one.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from pydantic import SecretStr

from bot.plumbing.config import Config, ContentSection, Officer, StorageSection, TelegramSection
from bot.plumbing.config_console import ConsoleSection
from bot.plumbing.config_http import HttpSection

# Preview-only survey secret: the preview's people are made up, so its pseudonyms protect
# nothing; a fixed value keeps them stable across restarts of the same preview database.
PREVIEW_SECRET = "preview-only-survey-secret-not-for-live-use"

RESIDENTS = [(100001, "Amira"), (100002, "Ben"), (100003, "Chloe")]
DEFAULT_OFFICER = 900001
DEFAULT_ADMIN = 900002


@dataclass(frozen=True)
class Person:
    id: int
    name: str
    role: str  # resident | officer | admin

    def as_json(self) -> dict[str, object]:
        return {"id": self.id, "name": self.name, "role": self.role}


def preview_config(cfg: Config, db: Path, content_dir: Path | None = None) -> Config:
    """The config the preview runs with: no token, its own database, officers guaranteed."""
    s = cfg.settings
    officers = list(s.officers)
    roles = {o.role for o in officers}
    if "officer" not in roles:
        officers.append(Officer(id=DEFAULT_OFFICER, role="officer"))
    if "admin" not in roles:
        officers.append(Officer(id=DEFAULT_ADMIN, role="admin"))
    survey = s.survey.model_copy(update={"secret": SecretStr(PREVIEW_SECRET)})
    settings = s.model_copy(
        update={
            "telegram": TelegramSection(),  # never the live token, even if the config has one
            "storage": StorageSection(path=db),
            "content": ContentSection(dir=content_dir or s.content.dir),
            "officers": officers,
            "survey": survey,
            "http": HttpSection(),  # no ops server: its port is the live bot's
            # Draft translations are offered, with a banner saying so (bot/preview/main.py).
            "languages": s.languages.model_copy(update={"allow_drafts": True}),
            # The officers' console, on this machine only, any free port (the page links it).
            "console": ConsoleSection(enabled=True, host="127.0.0.1", port=0),
        }
    )
    return replace(cfg, settings=settings, officer_roles={o.id: o.role for o in officers})


def people_of(cfg: Config) -> list[Person]:
    """The tabs: three residents, then the first officer and the first admin of the config."""
    out = [Person(i, name, "resident") for i, name in RESIDENTS]
    officer = next(i for i, r in cfg.officer_roles.items() if r == "officer")
    admin = next(i for i, r in cfg.officer_roles.items() if r == "admin")
    out.append(Person(officer, "Officer", "officer"))
    out.append(Person(admin, "Admin", "admin"))
    return out
