"""A fake Bot API for the broadcast benchmarks: the one Bot API double (bot/preview/double.py)
served over HTTP in its own process on 127.0.0.1, with its rate rule on as Telegram enforces it:
at most `--limit` sends in any sliding second (else 429 with retry_after), one a second per chat,
and with `--paid-limit` sends in any second for those carrying allow_paid_broadcast=True.

Every answer but getUpdates's is delayed by `--latency` seconds, or by a delay drawn per request
from `--jitter LOW,HIGH` (milliseconds), *before* the double counts the send: so the double
counts a send when it "arrives", and jitter can reorder sends as a real network does.

Extra endpoints for the benchmark drivers (not part of the Bot API):
  POST /push  {"chat_id": n, "text": "/help"}   queue an update for getUpdates, timestamped
  GET  /stats                                    counts, duplicates, 429s, windows, reply times
  GET  /replies                                  every message sent to a resident (chat ids
                                                 5,000,000 to 9,999,999): time and text; and
                                                 under "bulk" each broadcast send's arrival
  POST /silence {"polls": bool, "sends": bool}   stop answering getUpdates / everything else
                                                 (requests are held, never answered, until
                                                 the client hangs up; bench/bench_sigterm.py)

Run: .venv/bin/python bench/fake_limited_api.py --port 8089 --limit 30 --latency 0.03
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

from aiohttp import web

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.preview.double import BotApiDouble, Rules, counted  # noqa: E402
from bot.preview.transport import BotApiServer  # noqa: E402

REPLY_CHATS = 5_000_000  # chat ids at or above this (and below 10M): "residents asking"
SUBSCRIBERS = 10_000_000  # chat ids at or above this are broadcast recipients


def max_in_window(times: list[float], span: float = 1.0) -> int:
    """Most entries of sorted `times` inside any half-open window of `span` seconds."""
    best = lo = 0
    for hi, t in enumerate(times):
        while t - times[lo] >= span:
            lo += 1
        best = max(best, hi - lo + 1)
    return best


class Silenceable(BotApiServer):
    """The double's HTTP server, able to go silent (a Bot API that accepts and never answers)."""

    silent_polls = False
    silent_sends = False

    async def _handle(self, request: web.Request) -> web.Response:
        polls = request.match_info["method"] == "getUpdates"
        if (self.silent_polls and polls) or (self.silent_sends and not polls):
            await asyncio.Event().wait()  # held until the client gives up (or for ever)
        return await super()._handle(request)


class Counters:
    """What the drivers read from /stats, fed by the double's observer (every answer)."""

    def __init__(self) -> None:
        self.delivered: Counter[int] = Counter()  # broadcast recipient -> accepted sends
        self.accepted: list[float] = []  # arrival time of every accepted send (bulk + replies)
        self.flood = 0
        self.run_429 = 0  # 429s in a row (in arrival order), now
        self.max_run_429 = 0
        self.first: float | None = None
        self.last: float | None = None
        self.pushed: dict[int, float] = {}
        self.latencies: list[float] = []
        self.paid = 0  # accepted sends that carried allow_paid_broadcast
        self.replies: dict[int, list[tuple[float, str]]] = {}  # resident -> (time, text)
        self.bulk_times: list[float] = []  # arrival of every accepted broadcast send

    def observe(self, method: str, params: dict[str, Any], status: int, now: float) -> None:
        if not counted(method):
            return
        if status == 429:
            self.flood += 1
            self.run_429 += 1
            self.max_run_429 = max(self.max_run_429, self.run_429)
            return
        self.run_429 = 0
        if status != 200:
            return
        self.accepted.append(now)
        self.paid += params.get("allow_paid_broadcast") in (True, "true", "True")
        chat = int(params.get("chat_id", 0))
        if REPLY_CHATS <= chat < SUBSCRIBERS:
            text = params.get("text") or params.get("caption") or ""
            self.replies.setdefault(chat, []).append((now, str(text)))
        if chat >= SUBSCRIBERS:
            self.bulk_times.append(now)
            self.delivered[chat] += 1
            self.first = self.first if self.first is not None else now
            self.last = now
        elif chat >= REPLY_CHATS and chat in self.pushed:
            self.latencies.append(now - self.pushed.pop(chat))

    def stats(self, api: BotApiDouble) -> dict[str, Any]:
        lat = sorted(self.latencies)
        p95 = lat[max(0, -(-len(lat) * 95 // 100) - 1)] if lat else None
        in_span = (
            sum(1 for t in self.accepted if self.first <= t <= self.last)
            if self.first is not None and self.last is not None
            else 0
        )
        return {
            "delivered": sum(self.delivered.values()),
            "distinct": len(self.delivered),
            "duplicates": sum(n - 1 for n in self.delivered.values() if n > 1),
            "accepted": len(self.accepted),
            "accepted_in_span": in_span,  # bulk + replies between the first and last bulk send
            "flood_429": self.flood,
            "max_429_in_a_row": self.max_run_429,
            "first": self.first,
            "last": self.last,
            "max_in_window": max_in_window(self.accepted),
            "replies": len(lat),
            "replies_waiting": len(self.pushed),
            "reply_p95": p95,
            "reply_max": lat[-1] if lat else None,
            "paid_sends": self.paid,
            "billed": api.billed,
            "now": time.monotonic(),
        }


async def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, default=8089)
    p.add_argument("--limit", type=int, default=30, help="sends in any sliding second")
    p.add_argument("--paid-limit", type=int, default=1000, help="... with allow_paid_broadcast")
    p.add_argument("--latency", type=float, default=0.03, help="seconds added to every answer")
    p.add_argument("--jitter", default="", help="LOW,HIGH ms: a delay per answer from this range")
    p.add_argument(
        "--chat-burst", type=int, default=1, help="sends one chat may get at once (then 1/s)"
    )
    args = p.parse_args()
    api = BotApiDouble(
        Rules(
            rate=True,
            per_second=args.limit,
            paid_per_second=args.paid_limit,
            chat_burst=args.chat_burst,
        ),
        record=False,
    )
    if args.jitter:
        low, high = (float(v) / 1000 for v in args.jitter.split(","))
        api.latency = (low, high)
    else:
        api.latency = args.latency
    counters = Counters()
    api.observe(counters.observe)
    server = Silenceable(api)  # the double itself adds the latency (and jitter)

    async def push(request: web.Request) -> web.Response:
        body = await request.json()
        chat = int(body["chat_id"])
        counters.pushed[chat] = time.monotonic()
        api.user_message(chat, body.get("text", "/help"))
        return web.json_response({"ok": True})

    async def stats(request: web.Request) -> web.Response:
        return web.json_response(counters.stats(api))

    async def replies(request: web.Request) -> web.Response:
        out: dict[str, Any] = {str(c): v for c, v in counters.replies.items()}
        out["bulk"] = counters.bulk_times  # not a chat: when each broadcast send arrived
        return web.json_response(out)

    async def silence(request: web.Request) -> web.Response:
        body = await request.json()
        server.silent_polls = bool(body.get("polls", False))
        server.silent_sends = bool(body.get("sends", False))
        return web.json_response({"ok": True})

    app = web.Application(client_max_size=20 * 1024 * 1024)
    app.router.add_post("/push", push)
    app.router.add_get("/stats", stats)
    app.router.add_post("/silence", silence)
    app.router.add_get("/replies", replies)
    server.routes(app)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", args.port).start()
    print(f"fake Bot API on 127.0.0.1:{args.port}, limit {args.limit}/s", flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main())
