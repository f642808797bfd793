"""How the console writes a count: every count it shows passes through `count_text`, which
asks the disclosure rules (bot/domain/disclosure.py) whether it may be shown. A 0 is a count;
1 to k-1 is "fewer than k"; k and more are shown."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.domain import disclosure as dc


def shown(count: int, k: int) -> int | None:
    """The count if it may be shown (0, or k and more), else None."""
    return dc.shown(count, k)


def count_text(count: int, k: int) -> str:
    value = shown(count, k)
    return f"{value:,}" if value is not None else f"fewer than {k}"


def when_text(at: datetime, tz: ZoneInfo) -> str:
    """A time as officers read it: "Mon 23 Nov 2026, 18:00" in the bot's time zone."""
    local = at.astimezone(tz)
    return local.strftime("%a %-d %b %Y, %H:%M")


def day_text(at: datetime, tz: ZoneInfo) -> str:
    return at.astimezone(tz).strftime("%-d %b %Y")
