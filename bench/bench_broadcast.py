"""Broadcast benchmark (run by hand, never a test): the real bot process (`safermk-bot run`)
broadcasting to N subscribers through a fake Bot API in its own process that enforces 30 sends
in any sliding second and answers 429 beyond that.

Reports: achieved rate vs the configured rate, 429s, duplicates, missed, p95 latency of residents'
/help replies sent during the broadcast, peak RSS of the bot; with --kill, a kill -9 in the middle
and a restart (duplicates must not exceed the messages in flight, missed must be 0).

  .venv/bin/python bench/bench_broadcast.py --subscribers 10000
  .venv/bin/python bench/bench_broadcast.py --subscribers 2000 --kill
  .venv/bin/python bench/bench_broadcast.py --subscribers 100000 --rss-only 30
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.request import Request, urlopen

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from storage.broadcasts import BroadcastStore  # noqa: E402
from storage.db import Database  # noqa: E402

SUBSCRIBERS = 10_000_000
REPLY_CHATS = 5_000_000
TOKEN = "123456789:" + "B" * 35
PY = str(ROOT / ".venv" / "bin" / "python")


def http(url: str, body: dict | None = None) -> dict:
    data = json.dumps(body).encode() if body is not None else None
    req = Request(url, data=data, headers={"Content-Type": "application/json"})
    with urlopen(req, timeout=5) as resp:
        return json.loads(resp.read())


async def seed(db_path: Path, n: int) -> int:
    db = await Database(db_path).open()
    now = datetime.now(UTC)
    ts = now.isoformat(timespec="seconds")
    chunk = 5000
    for start in range(0, n, chunk):
        async with db.transaction() as tx:
            await tx.executemany(
                "INSERT OR IGNORE INTO residents (chat_id, nag_id, consent, active, created_at,"
                " updated_at, last_seen) VALUES (?, 'fishermead', 1, 1, ?, ?, ?)",
                [
                    (SUBSCRIBERS + i, ts, ts, now.date().isoformat())
                    for i in range(start, min(n, start + chunk))
                ],
            )
    bid, _ = await BroadcastStore(db).create(
        kind="officer",
        text="Benchmark: SaferMK test broadcast",
        audience='{"kind": "all", "nags": [], "survey": null}',
        requires="consent",
        send_at=now,
        now=now,
        created_by=1,
    )
    await db.close()
    return bid


def write_config(tmp: Path, port: int, rate: float) -> Path:
    cfg = tmp / "config.yaml"
    cfg.write_text(
        f"""telegram:
  token: "{TOKEN}"
  api_url: "http://127.0.0.1:{port}"
storage:
  path: "{tmp / "bench.sqlite3"}"
content:
  dir: "{ROOT / "content"}"
officers:
  - {{id: 900001, role: officer}}
broadcast:
  rate_per_second: {rate}
  quiet_hours: ""
"""
    )
    return cfg


def start_bot(cfg: Path, log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "safermk-bot"), "--config", str(cfg), "run"],
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
        cwd=ROOT,
    )


def peak_rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except FileNotFoundError:
        pass
    return 0.0


def wait_delivered(
    api: str,
    target: int,
    bot: subprocess.Popen,
    stop_at: int | None = None,
    timeout: float = 3600,
    ask_every: float = 0.5,
) -> tuple[dict, float]:
    """Poll until `target` distinct chats got the message (or `stop_at` delivered); ask /help."""
    rss = 0.0
    asked = 0
    t_end = time.monotonic() + timeout
    next_ask = time.monotonic()
    while time.monotonic() < t_end:
        stats = http(f"{api}/stats")
        rss = max(rss, peak_rss_mb(bot.pid))
        if stop_at is not None and stats["delivered"] >= stop_at:
            return stats, rss
        if stats["distinct"] >= target:
            return stats, rss
        if bot.poll() is not None:
            raise SystemExit(f"bot exited with {bot.returncode}; see the log")
        if time.monotonic() >= next_ask:
            http(f"{api}/push", {"chat_id": REPLY_CHATS + asked, "text": "/help"})
            asked += 1
            next_ask += ask_every
        time.sleep(0.1)
    raise SystemExit("timed out")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--subscribers", type=int, default=10_000)
    p.add_argument("--rate", type=float, default=25.0)
    p.add_argument("--limit", type=int, default=30, help="the fake API's sends per second")
    p.add_argument("--latency", type=float, default=0.03)
    p.add_argument("--port", type=int, default=8089)
    p.add_argument("--kill", action="store_true", help="kill -9 the bot half-way, then restart")
    p.add_argument(
        "--rss-only",
        type=float,
        default=0,
        metavar="SECONDS",
        help="only measure peak RSS for this long (use with --subscribers 100000)",
    )
    args = p.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="bench-broadcast-"))
    cfg = write_config(tmp, args.port, args.rate)
    log = tmp / "bot.log"
    api = f"http://127.0.0.1:{args.port}"
    server = subprocess.Popen(
        [
            PY,
            str(ROOT / "bench" / "fake_limited_api.py"),
            "--port",
            str(args.port),
            "--limit",
            str(args.limit),
            "--latency",
            str(args.latency),
        ],
        stdout=subprocess.PIPE,
    )
    try:
        assert server.stdout is not None
        server.stdout.readline()  # "fake Bot API on ..." once it listens
        t0 = time.monotonic()
        asyncio.run(seed(tmp / "bench.sqlite3", args.subscribers))
        print(f"seeded {args.subscribers} subscribers in {time.monotonic() - t0:.1f} s ({tmp})")
        bot = start_bot(cfg, log)
        if args.rss_only:
            time.sleep(args.rss_only)
            stats = http(f"{api}/stats")
            print(
                f"peak RSS {peak_rss_mb(bot.pid):.1f} MB after {args.rss_only:.0f} s "
                f"({stats['delivered']} sent so far)"
            )
            bot.kill()
            return 0
        in_flight_bound = None
        if args.kill:
            stats, rss = wait_delivered(api, args.subscribers, bot, stop_at=args.subscribers // 2)
            os.kill(bot.pid, signal.SIGKILL)
            bot.wait()
            killed_at = http(f"{api}/stats")["delivered"]
            print(f"kill -9 after {killed_at} delivered")
            bot = start_bot(cfg, log)
            in_flight_bound = max(4, int(args.rate * 0.25 + 0.999)) * 2  # window + next claim
        stats, rss = wait_delivered(api, args.subscribers, bot)
        bot.send_signal(signal.SIGTERM)
        try:
            bot.wait(timeout=30)
        except subprocess.TimeoutExpired:
            bot.kill()
        final = http(f"{api}/stats")
        span = (final["last"] or 0) - (final["first"] or 0)
        rate = (final["distinct"] - 1) / span if span > 0 else float("nan")
        print(json.dumps(final, indent=1))
        print(
            f"subscribers {args.subscribers}, configured {args.rate}/s, "
            f"fake API limit {args.limit}/s, latency {args.latency * 1000:.0f} ms"
        )
        print(f"achieved rate      {rate:.2f}/s ({rate / args.rate * 100:.1f}% of configured)")
        print(f"429 answers        {final['flood_429']}")
        print(f"max in 1 s window  {final['max_in_window']}")
        print(
            f"duplicates         {final['duplicates']}"
            + (f" (bound: messages in flight <= {in_flight_bound})" if in_flight_bound else "")
        )
        print(f"missed             {args.subscribers - final['distinct']}")
        p95 = (final["reply_p95"] or float("nan")) * 1000
        worst = (final["reply_max"] or 0) * 1000
        print(f"/help replies      {final['replies']}, p95 {p95:.0f} ms, max {worst:.0f} ms")
        print(f"bot peak RSS       {rss:.1f} MB")
        return 0
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    raise SystemExit(main())
