"""Start the real bot (`safermk-bot ... run`) with benchmark-only switches, read from the
environment by this launcher only (bot/ never reads them):

  SAFERMK_BENCH_PACER=new     install bot.pacing.Pacer instead of bot.delivery.BroadcastLimiter
                              (what the one-line swap in bot/app.py and bot/delivery.py does)
  SAFERMK_BENCH_UVLOOP=1      run the bot on uvloop's event loop (what bot/cli.py would do)
  SAFERMK_BENCH_JSON=orjson   parse Bot API answers with orjson (bot/http.py's FastJson)
  SAFERMK_BENCH_REQUEST=...   `fast`: bot.http.FastAiohttpRequest instead of AiohttpRequest

Usage: python -m bench.botrun --config <file> run   (the same arguments as safermk-bot)
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def _config_path(argv: list[str]) -> Path | None:
    if "--config" in argv:
        return Path(argv[argv.index("--config") + 1])
    return None


def install_pacer(argv: list[str]) -> None:
    import bot.app
    import bot.delivery
    from bot.config import load_config
    from bot.pacing import Pacer

    settings = load_config(_config_path(argv), require_token=False).settings.broadcast

    def factory(_rate: float) -> Pacer:  # bot.app calls BroadcastLimiter(rate_per_second)
        return Pacer.from_settings(settings)

    bot.app.BroadcastLimiter = factory  # type: ignore[assignment,misc]
    bot.delivery.BroadcastLimiter = Pacer  # type: ignore[misc]  # install()'s isinstance


def install_request(kind: str) -> None:
    import bot.app
    import bot.http

    if kind == "fast":
        bot.app.AiohttpRequest = bot.http.FastAiohttpRequest  # type: ignore[attr-defined,misc]


def main() -> int:
    argv = sys.argv[1:]
    if os.environ.get("SAFERMK_BENCH_PACER") == "new":
        install_pacer(argv)
    if kind := os.environ.get("SAFERMK_BENCH_REQUEST"):
        install_request(kind)
    if os.environ.get("SAFERMK_BENCH_UVLOOP") == "1":
        import asyncio

        import uvloop

        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    from bot.cli import main as cli_main

    return cli_main(argv)


if __name__ == "__main__":
    raise SystemExit(main())
