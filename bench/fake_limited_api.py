"""A fake Bot API for the broadcast benchmark: its own process on 127.0.0.1, enforcing Telegram's
bulk limit like Telegram does (at most `--limit` sends in any sliding second, else 429 with
retry_after), with optional latency on every answer.

Extra endpoints for the benchmark driver (not part of the Bot API):
  POST /push  {"chat_id": n, "text": "/help"}   queue an update for getUpdates, timestamped
  GET  /stats                                    counts, duplicates, reply latencies

Run: .venv/bin/python bench/fake_limited_api.py --port 8089 --limit 30 --latency 0.03
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections import Counter, deque
from pathlib import Path
from typing import Any

from aiohttp import web

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests import builders as b  # noqa: E402
from tests.fakes.botapi import Failure, FakeBotApi  # noqa: E402
from tests.fakes.server import FakeBotApiServer  # noqa: E402

REPLY_CHATS = (
    5_000_000  # chat ids at or above this (and below 10M) are benchmark "residents asking"
)
SUBSCRIBERS = 10_000_000  # chat ids at or above this are broadcast recipients


class LimitedApi:
    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.window: deque[float] = deque()
        self.flood = 0
        self.delivered: Counter[int] = Counter()
        self.first: float | None = None
        self.last: float | None = None
        self.pushed: dict[int, float] = {}
        self.latencies: list[float] = []
        self.max_in_window = 0

    def responder(self, method: str, params: dict[str, Any]) -> Failure | None:
        if not method.startswith("send"):
            return None
        now = time.monotonic()
        while self.window and now - self.window[0] >= 1.0:
            self.window.popleft()
        if len(self.window) >= self.limit:
            self.flood += 1
            return Failure(429, "Too Many Requests: retry after 1", retry_after=1)
        self.window.append(now)
        self.max_in_window = max(self.max_in_window, len(self.window))
        chat = int(params.get("chat_id", 0))
        if chat >= SUBSCRIBERS:
            self.delivered[chat] += 1
            self.first = self.first if self.first is not None else now
            self.last = now
        elif chat >= REPLY_CHATS and chat in self.pushed:
            self.latencies.append(now - self.pushed.pop(chat))
        return None

    def stats(self) -> dict[str, Any]:
        lat = sorted(self.latencies)
        p95 = lat[int(len(lat) * 0.95) - 1] if lat else None
        return {
            "delivered": sum(self.delivered.values()),
            "distinct": len(self.delivered),
            "duplicates": sum(n - 1 for n in self.delivered.values() if n > 1),
            "flood_429": self.flood,
            "first": self.first,
            "last": self.last,
            "max_in_window": self.max_in_window,
            "replies": len(lat),
            "reply_p95": p95,
            "reply_max": lat[-1] if lat else None,
            "now": time.monotonic(),
        }


async def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, default=8089)
    p.add_argument("--limit", type=int, default=30)
    p.add_argument("--latency", type=float, default=0.03)
    args = p.parse_args()
    limited = LimitedApi(args.limit)
    api = FakeBotApi()
    api.responder = limited.responder
    server = FakeBotApiServer(api, latency=args.latency)

    # The fake keeps every call for tests; a benchmark only needs the counters above.
    original = api.handle

    def handle(method: str, params: dict[str, Any], files: dict) -> tuple[int, dict]:
        result = original(method, params, files)
        api.calls.clear()
        api.send_times.clear()
        return result

    api.handle = handle  # type: ignore[method-assign]

    async def push(request: web.Request) -> web.Response:
        body = await request.json()
        chat = int(body["chat_id"])
        limited.pushed[chat] = time.monotonic()
        server.push(b.text_update(chat, body.get("text", "/help")))
        return web.json_response({"ok": True})

    async def stats(request: web.Request) -> web.Response:
        return web.json_response(limited.stats())

    app = web.Application(client_max_size=20 * 1024 * 1024)
    app.router.add_post("/push", push)
    app.router.add_get("/stats", stats)
    app.router.add_post("/bot{token}/{method}", server._handle)
    app.router.add_get("/bot{token}/{method}", server._handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", args.port).start()
    print(f"fake Bot API on 127.0.0.1:{args.port}, limit {args.limit}/s", flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main())
