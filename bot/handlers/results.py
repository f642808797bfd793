"""Placeholder for the results feature."""

from __future__ import annotations

from telegram.ext import Application

COMMANDS: list = []


def register(app: Application) -> None:
    return None
