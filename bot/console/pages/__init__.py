"""Every page of the console, in the navigation's order (docs/console.md: adding a page)."""

from __future__ import annotations

from bot.console import signin
from bot.console.framework import Page
from bot.console.pages import (
    audit,
    broadcast_actions,
    broadcasts,
    home,
    people,
    reach,
    safeguarding,
    surveys,
)

PAGES: tuple[Page, ...] = (
    home.PAGE,
    surveys.PAGE,
    reach.PAGE,
    broadcasts.PAGE,
    broadcast_actions.PAGE,
    safeguarding.PAGE,
    people.PAGE,
    audit.PAGE,
    signin.PAGE,
)
