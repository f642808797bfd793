"""A bare python-telegram-bot echo bot: the reference the SaferMK bot is measured against.

Default ApplicationBuilder (HTTPXRequest, one update at a time) unless --concurrent is given,
in which case `concurrent_updates(True)` (python-telegram-bot's SimpleUpdateProcessor, 256
updates in flight, no ordering). One MessageHandler(filters.TEXT) that replies with the same
text. Reads the token from TELEGRAM_BOT_TOKEN and the API from TELEGRAM_API_URL.

  TELEGRAM_API_URL=http://127.0.0.1:8081 TELEGRAM_BOT_TOKEN=12345:AAAA... \
      .venv/bin/python -m bench.echo_bot [--concurrent]
"""

from __future__ import annotations

import argparse
import logging
import os
import sys

from telegram import Update
from telegram.ext import ApplicationBuilder, ContextTypes, MessageHandler, filters


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await update.message.reply_text(update.message.text)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="bare python-telegram-bot echo bot")
    p.add_argument("--concurrent", action="store_true", help="concurrent_updates(True)")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    api = os.environ.get("TELEGRAM_API_URL", "https://api.telegram.org").rstrip("/")
    builder = ApplicationBuilder().token(os.environ["TELEGRAM_BOT_TOKEN"]).base_url(f"{api}/bot")
    if args.concurrent:
        builder = builder.concurrent_updates(True)
    app = builder.build()
    app.add_handler(MessageHandler(filters.TEXT, echo))
    app.run_polling()
    return 0


if __name__ == "__main__":
    sys.exit(main())
