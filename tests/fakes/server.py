"""The fake Bot API over HTTP on 127.0.0.1: the Bot API double's HTTP form, under its test name."""

from bot.preview.transport import BotApiServer as FakeBotApiServer

__all__ = ["FakeBotApiServer"]
