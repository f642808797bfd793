"""A bare aiogram 3 echo bot: the second reference the SaferMK bot is measured against.

aiogram's defaults: long polling with every update handled as its own task (`handle_as_tasks`,
no per-chat ordering), its aiohttp session, one message handler replying with the same text.
Reads the token from TELEGRAM_BOT_TOKEN and the API from TELEGRAM_API_URL. aiogram is a
bench-only dependency (`pip install -e '.[bench]'`).

  TELEGRAM_API_URL=http://127.0.0.1:8081 TELEGRAM_BOT_TOKEN=12345:AAAA... \
      .venv/bin/python -m bench.aiogram_echo
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys

from aiogram import Bot, Dispatcher, F
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.types import Message

dispatcher = Dispatcher()


@dispatcher.message(F.text)
async def echo(message: Message) -> None:
    await message.answer(message.text or "")


async def run() -> None:
    api = os.environ.get("TELEGRAM_API_URL", "https://api.telegram.org").rstrip("/")
    session = AiohttpSession(api=TelegramAPIServer.from_base(api))
    bot = Bot(os.environ["TELEGRAM_BOT_TOKEN"], session=session)
    await dispatcher.start_polling(bot, handle_signals=True)


def main() -> int:
    logging.basicConfig(level=logging.WARNING)
    asyncio.run(run())
    return 0


if __name__ == "__main__":
    sys.exit(main())
