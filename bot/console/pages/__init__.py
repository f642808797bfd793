"""Every page of the console, in the navigation's order (docs/console.md: adding a page)."""

from __future__ import annotations

from bot.console import signin
from bot.console.framework import Page
from bot.console.pages import home, surveys

PAGES: tuple[Page, ...] = (
    home.PAGE,
    surveys.PAGE,
    signin.PAGE,
)
