"""A lean fake Telegram Bot API for benchmarks, run as its own process on 127.0.0.1.

Why not tests/fakes/server.py: that one records every call (decoded) for assertions over
aiohttp.web, which is right for tests but costs ~0.35 ms of CPU per request; a sequential bot
waits for that on every reply, which understated the echo bot by a third. This one is a bare
asyncio HTTP/1.1 protocol that only counts, so it stays far below the cost of the bots it
serves (its own CPU share is reported with every run).

Behaviour:
- preloads N text updates (from M chats, round-robin; see `make_updates`) and serves them to
  long-polled getUpdates, at most `limit` (100) per call; `offset` acknowledges updates;
- answers every other method through the one Bot API double (bot/preview/double.py, rules
  off, record=False): sendMessage with a Message, getMe with the bot user, and so on;
- `--latency-ms` adds that delay to *every* answer, getUpdates included, with a timer per
  request (loop.call_later), so a slow answer never holds up another request;
- measures, in its own clock: the arrival of the first getUpdates (t0), every send, and the
  CPU time (user+sys, all threads, from /proc/<pid>/stat) of the watched bot process at t0
  and at each send, so CPU per update covers exactly the measured window.

Webhook mode (`--webhook-to http://127.0.0.1:PORT`, the bot's own server): no getUpdates; once
the bot has called setWebhook (and the watch pid is known) the N updates are posted to it with
the secret, on `--webhook-connections` keep-alive connections (bench/webhook_poster.py); t0 is
the first post, and an update counts as acknowledged when the bot answered it 200.

Control endpoints (used by bench/bench_updates.py):
  POST /_bench/watch {"pid": 1234}   start serving getUpdates (held until then) and watch pid
  GET  /_bench/status                counters as JSON

Standalone:
  .venv/bin/python -m bench.fake_api --port 8081 --latency-ms 30 --preload 5000 --chats 1000 \
      --no-hold
prints one JSON line when every update was acknowledged and sends stopped for --quiet seconds.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import random
import sys
import time
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import yaml

from bench.webhook_poster import WebhookPoster
from bot.preview.double import BotApiDouble

# One resident's journey; chat i's k-th update is JOURNEY[k % 4] (the area query varies by chat).
AREA_QUERIES = [
    "MK6 2LP",  # full postcode, one NAG -> area chosen, consent asked
    "Fishermead",  # exact place name
    "Shenly Lodge",  # typo'd place name
    "MK6 3AX",  # sector shared by two NAGs -> choice buttons
    "MK14 5",  # sector
    "Stony Stratfrd",  # typo'd
    "MK9",  # district
    "Bradwell",  # name shared by several NAGs' areas
]
# Plain text for the "text" stream (5,000 text messages from 1,000 chats, as issue 11 measured):
# for an echo bot an echo, for the SaferMK bot the safeguarding check, an area search that finds
# nothing and the fallback reply.
PLAIN_TEXTS = [
    "hello",
    "hello there",
    "good morning",
    "thank you",
    "is anyone there?",
    "what is this bot for",
    "ok",
    "cheers",
]
EXAMPLES_DIR = Path(__file__).resolve().parent.parent / "content" / "examples"
SENDS = {"sendMessage", "sendDocument", "sendPhoto", "editMessageText"}
CLK_TCK = os.sysconf("SC_CLK_TCK")


def journey_text(chat_index: int, step: int) -> str:
    kind = step % 4
    if kind == 0:
        return "/start"
    if kind == 1:
        return AREA_QUERIES[chat_index % len(AREA_QUERIES)]
    if kind == 2:
        return "/nag"
    return "/campaigns"


@cache
def example_texts() -> tuple[str, ...]:
    """Every labelled message of content/examples/*.yaml (danger, ordinary and plain-words
    intents), in an order shuffled once with a fixed seed so any prefix of the stream has the
    corpora's mix. Never tests/data/heldout*: that set stays blind."""
    texts: list[str] = []
    for path in sorted(EXAMPLES_DIR.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for key in ("danger", "ordinary", "messages"):
            texts.extend(str(item["text"]) for item in data.get(key) or ())
    random.Random(19).shuffle(texts)
    return tuple(texts)


def stream_text(stream: str, i: int, chat_index: int, step: int) -> str:
    """The text of update i (0-based) of a stream; see make_updates."""
    if stream == "text":
        return PLAIN_TEXTS[(chat_index + step) % len(PLAIN_TEXTS)]
    if stream == "hello":  # issue 19's independent benchmark: "hello 1", "hello 2", ...
        return f"hello {i + 1}"
    if stream == "unique":  # every other message a greeting, the rest the corpora; message
        if i % 2 == 0:  # i + 1 ends with the number i + 1, so no text comes twice
            return f"hello {i + 1}"
        examples = example_texts()
        return f"{examples[i // 2 % len(examples)]} {i + 1}"
    return journey_text(chat_index, step)


def make_updates(
    n: int, chats: int, first_chat_id: int = 100_001, stream: str = "journey"
) -> list[dict[str, Any]]:
    """N updates from `chats` chats, round-robin: every chat's 1st update, then every 2nd, ...

    stream "journey": each chat does /start, an area search, /nag, /campaigns (JOURNEY); "text":
    plain text messages (PLAIN_TEXTS, varied by chat and step: eight strings repeating).
    Unique text, no message twice (issue 19): "hello" sends "hello 1", "hello 2", ...; "unique"
    alternates greetings ("hello 1", "hello 3", ...) with the messages of content/examples/*.yaml
    (shuffled once, cycling), each followed by the update's number ("... 1418")."""
    chats = max(1, min(chats, n))
    now = int(time.time())
    out: list[dict[str, Any]] = []
    mid = itertools.count(1)
    for i in range(n):
        step, c = divmod(i, chats)
        chat_id = first_chat_id + c
        text = stream_text(stream, i, c, step)
        msg: dict[str, Any] = {
            "message_id": next(mid),
            "date": now,
            "chat": {"id": chat_id, "type": "private", "first_name": "Resident"},
            "from": {"id": chat_id, "is_bot": False, "first_name": "Resident"},
            "text": text,
        }
        if text.startswith("/"):
            msg["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
        out.append({"update_id": i + 1, "message": msg})
    return out


def proc_cpu(pid: int) -> float | None:
    """user+sys seconds of a process (all its threads), or None when it is gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            data = f.read()
    except OSError:
        return None
    fields = data[data.rindex(b")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def own_cpu() -> float:
    t = os.times()
    return t.user + t.system


class BenchApi:
    """Counters and Bot API answers; transport-independent (see FakeHttp below)."""

    def __init__(self, updates: list[dict[str, Any]], latency: float) -> None:
        self.updates = updates
        self.latency = latency
        # Every method but getUpdates is answered by the one Bot API double (rules off, nothing
        # recorded); getUpdates serves the preloaded stream here, held until the watch.
        self.double = BotApiDouble(record=False)
        self.ready_t: float | None = None  # arrival of the first getUpdates (start-up done)
        self.watch_pid: int | None = None
        self.watching = False
        self.held: list[Callable[[], None]] = []  # getUpdates answers waiting for the watch pid
        self._acked = 0  # highest update_id acknowledged by an offset
        self._msg_ids = itertools.count(10_000)
        self.t0: float | None = None
        self.cpu0: float | None = None
        self.own_cpu0: float | None = None
        self.sends = 0
        self.last_send_t: float | None = None
        self.cpu_last_send: float | None = None
        self.own_cpu_last_send: float | None = None
        self.methods: dict[str, int] = {}
        self.get_updates_calls = 0
        self.handed_out = 0
        self.requests = 0
        self.webhook_to: str | None = None  # the bot's server, in webhook mode
        self.webhook_connections = 40
        self.webhook: dict[str, Any] | None = None  # setWebhook's parameters
        self.refused = 0  # webhook posts the bot did not answer 200

    def watch(self, pid: int) -> None:
        self.watch_pid = pid
        self.watching = True
        held, self.held = self.held, []
        for answer in held:
            answer()
        self._maybe_post()

    def _maybe_post(self) -> None:
        """Webhook mode: start posting once the webhook is set and the bot is watched."""
        if self.webhook is None or not self.watching or self.t0 is not None:
            return
        assert self.webhook_to is not None
        self.t0 = time.monotonic()
        self.cpu0 = proc_cpu(self.watch_pid) if self.watch_pid else None
        self.own_cpu0 = own_cpu()
        poster = WebhookPoster(
            self.updates, self.webhook_to, self.webhook, self.webhook_connections, self._answered
        )
        asyncio.get_running_loop().create_task(poster.start())

    def _answered(self, status: int) -> None:
        if status == 200:
            self._acked += 1
            self.handed_out += 1
        else:
            self.refused += 1

    def get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        if self.t0 is None:
            self.t0 = time.monotonic()
            self.cpu0 = proc_cpu(self.watch_pid) if self.watch_pid else None
            self.own_cpu0 = own_cpu()
        self.get_updates_calls += 1
        offset = int(params.get("offset") or 0)
        limit = int(params.get("limit") or 100)
        if offset > 1:
            self._acked = max(self._acked, min(offset - 1, len(self.updates)))
        start = max(offset - 1, 0)
        batch = self.updates[start : start + limit]
        self.handed_out = max(self.handed_out, start + len(batch))
        return batch

    def call(self, method: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """Answer any method but getUpdates (called when the answer is sent, after latency)."""
        if method == "setWebhook" and self.webhook_to is not None:
            self.webhook = params
            self.ready_t = time.monotonic()
            asyncio.get_running_loop().call_soon(self._maybe_post)
        elif method == "getWebhookInfo":
            url = (self.webhook or {}).get("url", "")
            info = {"url": url, "has_custom_certificate": False, "pending_update_count": 0}
            return 200, {"ok": True, "result": info}
        if method in SENDS:
            self.sends += 1
            self.last_send_t = time.monotonic()
            if self.watch_pid:
                self.cpu_last_send = proc_cpu(self.watch_pid)
            self.own_cpu_last_send = own_cpu()
        return self.double.handle(method, params, {})

    def status(self) -> dict[str, Any]:
        def diff(a: float | None, b: float | None) -> float | None:
            return a - b if a is not None and b is not None else None

        return {
            "updates": len(self.updates),
            "acked": self._acked,
            "handed_out": self.handed_out,
            "sends": self.sends,
            "started": self.t0 is not None,
            "ready_t": self.ready_t,
            "since_last_send": (time.monotonic() - self.last_send_t) if self.last_send_t else None,
            "wall_s": diff(self.last_send_t, self.t0),
            "bot_cpu_s": diff(self.cpu_last_send, self.cpu0),
            "fake_cpu_s": diff(self.own_cpu_last_send, self.own_cpu0),
            "get_updates_calls": self.get_updates_calls,
            "requests": self.requests,
            "methods": self.methods,
            "refused": self.refused,
        }


def parse_params(ctype: bytes, body: bytes) -> dict[str, Any]:
    if not body:
        return {}
    if ctype.startswith(b"application/json"):
        return json.loads(body)
    if ctype.startswith(b"application/x-www-form-urlencoded"):
        return dict(parse_qsl(body.decode()))
    if ctype.startswith(b"multipart/form-data"):
        # Only the plain fields (chat_id, caption...); file parts are skipped.
        boundary = b"--" + ctype.split(b"boundary=", 1)[1].strip(b'"')
        params: dict[str, Any] = {}
        for part in body.split(boundary)[1:-1]:
            head, _, value = part.strip(b"\r\n").partition(b"\r\n\r\n")
            if b"filename=" in head or b'name="' not in head:
                continue
            name = head.split(b'name="', 1)[1].split(b'"', 1)[0].decode()
            params[name] = value.decode(errors="replace")
        return params
    return {}


class FakeHttp(asyncio.Protocol):
    """Minimal HTTP/1.1 keep-alive server (Content-Length bodies, one request at a time per
    connection, as both httpx and aiohttp clients send). A fraction of aiohttp.web's CPU per
    request, so the fake never limits a sequential bot (see README: fake API CPU column)."""

    def __init__(self, api: BenchApi) -> None:
        self.api = api
        self.buf = bytearray()
        self.transport: asyncio.Transport | None = None
        self.loop = asyncio.get_running_loop()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None

    def data_received(self, data: bytes) -> None:
        self.buf += data
        while True:
            end = self.buf.find(b"\r\n\r\n")
            if end < 0:
                return
            head = bytes(self.buf[:end]).split(b"\r\n")
            length = 0
            ctype = b""
            close = False
            for line in head[1:]:
                name, _, value = line.partition(b":")
                name = name.strip().lower()
                if name == b"content-length":
                    length = int(value)
                elif name == b"content-type":
                    ctype = value.strip().lower()
                elif name == b"connection" and value.strip().lower() == b"close":
                    close = True
            if len(self.buf) < end + 4 + length:
                return
            body = bytes(self.buf[end + 4 : end + 4 + length])
            del self.buf[: end + 4 + length]
            verb, path = head[0].split(b" ")[:2]
            self.request(verb, path.decode(), ctype, body, close)

    def respond(self, payload: Any, close: bool = False, status: bytes | int = b"200 OK") -> None:
        if isinstance(status, int):
            status = b"200 OK" if status == 200 else f"{status} Error".encode()
        if self.transport is None:
            return
        body = json.dumps(payload, separators=(",", ":")).encode()
        self.transport.write(
            b"HTTP/1.1 " + status + b"\r\nContent-Type: application/json\r\nContent-Length: "
            + str(len(body)).encode() + b"\r\n\r\n" + body
        )  # fmt: skip
        if close:
            self.transport.close()

    def request(self, verb: bytes, path: str, ctype: bytes, body: bytes, close: bool) -> None:
        api = self.api
        api.requests += 1
        if path.startswith("/_bench/"):
            if path == "/_bench/watch":
                api.watch(int(json.loads(body)["pid"]))
                self.respond({"ok": True}, close)
            else:
                self.respond(api.status(), close)
            return
        parts = path.split("?", 1)[0].split("/")
        if len(parts) != 3 or not parts[1].startswith("bot"):
            missing = {"ok": False, "error_code": 404, "description": "Not Found"}
            self.respond(missing, True, b"404 Not Found")
            return
        method = parts[2]
        api.methods[method] = api.methods.get(method, 0) + 1
        params = parse_params(ctype, body)
        if method == "getUpdates":
            if api.ready_t is None:
                api.ready_t = time.monotonic()

            def answer() -> None:
                batch = api.get_updates(params)
                # Long poll: nothing more arrives in a benchmark, so an empty answer waits.
                wait = api.latency + (0 if batch else min(float(params.get("timeout") or 0), 1.0))
                if wait:
                    self.loop.call_later(wait, self.respond, {"ok": True, "result": batch}, close)
                else:
                    self.respond({"ok": True, "result": batch}, close)

            if api.watching:
                answer()
            else:
                api.held.append(answer)
            return

        def reply() -> None:
            status, answer = api.call(method, params)
            self.respond(answer, close, status)

        if api.latency:
            self.loop.call_later(api.latency, reply)
        else:
            reply()


async def serve(args: argparse.Namespace) -> None:
    updates = make_updates(args.preload, args.chats, stream=args.stream)
    api = BenchApi(updates, args.latency_ms / 1000.0)
    api.webhook_to = args.webhook_to
    api.webhook_connections = args.webhook_connections
    if args.watch_pid:
        api.watch(args.watch_pid)
    elif args.no_hold:
        api.watching = True
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: FakeHttp(api), "127.0.0.1", args.port, backlog=1024)
    port = server.sockets[0].getsockname()[1]
    print(f"READY http://127.0.0.1:{port}", flush=True)
    async with server:
        while True:
            await asyncio.sleep(0.2)
            s = api.status()
            done = (
                s["acked"] >= s["updates"]
                and s["sends"] > 0
                and s["since_last_send"] is not None
                and s["since_last_send"] >= args.quiet
            )
            if done and args.report:
                print(json.dumps(s), flush=True)
                args.report = False  # once
                if args.exit_when_done:
                    return


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--port", type=int, default=0, help="0 = any free port (printed)")
    p.add_argument("--latency-ms", type=float, default=0.0)
    p.add_argument("--preload", type=int, default=5000, help="N updates to serve")
    p.add_argument("--chats", type=int, default=1000, help="from this many distinct chats")
    p.add_argument("--stream", choices=["journey", "text", "hello", "unique"], default="journey")
    p.add_argument("--cpu", type=int, default=None, help="pin this process to one CPU core")
    p.add_argument("--watch-pid", type=int, default=None, help="bot pid (else POST /_bench/watch)")
    p.add_argument("--no-hold", action="store_true", help="serve getUpdates without a watch pid")
    p.add_argument("--quiet", type=float, default=1.0, help="seconds without sends = done")
    p.add_argument("--no-report", dest="report", action="store_false")
    p.add_argument("--exit-when-done", action="store_true")
    p.add_argument("--webhook-to", help="webhook mode: post updates to the bot's server here")
    p.add_argument("--webhook-connections", type=int, default=40, help="posts in flight at once")
    args = p.parse_args(argv)
    if args.cpu is not None and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {args.cpu})
    try:
        asyncio.run(serve(args))
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
