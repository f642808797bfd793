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
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.request import Request, urlopen

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from storage.broadcasts import BroadcastStore  # noqa: E402
from storage.db import Database  # noqa: E402
from storage.model import Audience, AudienceKind, BroadcastKind, BroadcastSpec  # noqa: E402

SUBSCRIBERS = 10_000_000
REPLY_CHATS = 5_000_000
TOKEN = "123456789:" + "B" * 35
PY = sys.executable


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
    spec = BroadcastSpec(
        kind=BroadcastKind.OFFICER,
        text="Benchmark: SaferMK test broadcast",
        audience=Audience(AudienceKind.ALL),
        send_at=now,
        created_by=1,
    )
    bid, _ = await BroadcastStore(db).create(spec, now)
    await db.close()
    return bid


def write_config(tmp: Path, port: int, rate: float, extra: str = "", tree: str = ".") -> Path:
    cfg = tmp / "config.yaml"
    cfg.write_text(
        f"""telegram:
  token: "{TOKEN}"
  api_url: "http://127.0.0.1:{port}"
storage:
  path: "{tmp / "bench.sqlite3"}"
content:
  dir: "{source_tree(tree) / "content"}"
officers:
  - {{id: 900001, role: officer}}
broadcast:
  rate_per_second: {rate}
  quiet_hours: ""
{extra}"""
    )
    return cfg


def source_tree(tree: str) -> Path:
    """'.' is this tree; any other is e.g. a worktree of an older commit, to compare with."""
    return ROOT if tree == "." else Path(tree).resolve()


def start_bot(cfg: Path, log: Path, tree: str = ".") -> subprocess.Popen:
    # bench/botrun.py is `safermk-bot` run from the source tree given, with its content.
    env = {**os.environ, "PYTHONPATH": str(source_tree(tree))}
    return subprocess.Popen(
        [PY, str(ROOT / "bench" / "botrun.py"), "--config", str(cfg), "run"],
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
        cwd=ROOT,
        env=env,
    )


def stop_bot(bot: subprocess.Popen) -> None:
    """SIGTERM (a clean stop), then SIGKILL if it has not stopped within 30 s."""
    bot.send_signal(signal.SIGTERM)
    try:
        bot.wait(timeout=30)
    except subprocess.TimeoutExpired:
        bot.kill()


def peak_rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except FileNotFoundError:
        pass
    return 0.0


class Asker(threading.Thread):
    """Residents asking /help at a steady rate (each from a new chat), on their own thread so
    the cadence does not depend on the driver's polling."""

    def __init__(self, api: str, per_second: float) -> None:
        super().__init__(daemon=True)
        self.api = api
        self.every = 1.0 / per_second if per_second > 0 else 0.0
        self.asked = 0
        self.halt = threading.Event()

    def run(self) -> None:
        if not self.every:
            return
        due = time.monotonic()
        while not self.halt.is_set():
            http(f"{self.api}/push", {"chat_id": REPLY_CHATS + self.asked, "text": "/help"})
            self.asked += 1
            due += self.every
            self.halt.wait(max(0.0, due - time.monotonic()))


def wait_delivered(
    api: str,
    target: int,
    bot: subprocess.Popen,
    stop_at: int | None = None,
    timeout: float = 3600,
) -> tuple[dict, float]:
    """Poll until `target` distinct chats got the message (or `stop_at` delivered)."""
    rss = 0.0
    t_end = time.monotonic() + timeout
    while time.monotonic() < t_end:
        stats = http(f"{api}/stats")
        rss = max(rss, peak_rss_mb(bot.pid))
        if stop_at is not None and stats["delivered"] >= stop_at:
            return stats, rss
        if stats["distinct"] >= target:
            return stats, rss
        if bot.poll() is not None:
            raise SystemExit(f"bot exited with {bot.returncode}; see the log")
        time.sleep(0.05 if stop_at == 1 else 0.2)
    raise SystemExit("timed out")


@dataclass
class Scenario:
    name: str
    latency: str  # "30" (ms) or "20-80" (jitter range, ms)
    replies: float  # /help per second during the broadcast
    paid: bool = False


SCENARIOS = {
    "fixed": Scenario("30 ms, replies 2/s", "30", 2.0),
    "jitter": Scenario("20-80 ms jitter, replies 2/s", "20-80", 2.0),
    "replies10": Scenario("30 ms, replies 10/s", "30", 10.0),
    "jitter-replies10": Scenario("20-80 ms jitter, replies 10/s", "20-80", 10.0),
    "paid": Scenario("paid, 30 ms, replies 2/s", "30", 2.0, paid=True),
}


def start_fake(port: int, limit: int, latency: str, paid_limit: int) -> subprocess.Popen:
    cmd = [PY, str(ROOT / "bench" / "fake_limited_api.py"), "--port", str(port)]
    cmd += ["--limit", str(limit), "--paid-limit", str(paid_limit)]
    if "-" in latency:
        cmd += ["--jitter", latency.replace("-", ",")]
    else:
        cmd += ["--latency", str(float(latency) / 1000)]
    server = subprocess.Popen(cmd, stdout=subprocess.PIPE)
    assert server.stdout is not None
    server.stdout.readline()  # "fake Bot API on ..." once it listens
    return server


def run_scenario(sc: Scenario, args: argparse.Namespace, tree: str) -> dict:
    """One broadcast to `args.subscribers` through a fresh fake and a fresh bot process."""
    tmp = Path(tempfile.mkdtemp(prefix="bench-broadcast-"))
    extra = ""
    rate = args.rate
    if sc.paid:
        extra = f"  paid: true\n  paid_rate_per_second: {args.paid_rate}\n"
    cfg = write_config(tmp, args.port, rate, extra, tree)
    log = tmp / "bot.log"
    api = f"http://127.0.0.1:{args.port}"
    server = start_fake(args.port, args.limit, sc.latency, args.paid_limit)
    asker = Asker(api, sc.replies)
    try:
        asyncio.run(seed(tmp / "bench.sqlite3", args.subscribers))
        bot = start_bot(cfg, log, tree)
        # Residents start asking once the broadcast is under way (not while the bot starts).
        wait_delivered(api, args.subscribers, bot, stop_at=1)
        asker.start()
        stats, rss = wait_delivered(api, args.subscribers, bot)
        asker.halt.set()
        asker.join()
        for _ in range(30):  # the last /help replies
            if http(f"{api}/stats")["replies_waiting"] == 0:
                break
            time.sleep(0.1)
        rss = max(rss, peak_rss_mb(bot.pid))
        stop_bot(bot)
        final = http(f"{api}/stats")
    finally:
        asker.halt.set()
        server.terminate()
        server.wait()
    span = (final["last"] or 0) - (final["first"] or 0)
    final.update(
        scenario=sc.name,
        tree="this tree" if tree == "." else Path(tree).name,
        subscribers=args.subscribers,
        rate=rate if not sc.paid else args.paid_rate,
        span=span,
        bulk_rate=(final["distinct"] - 1) / span if span > 0 else float("nan"),
        total_rate=(final["accepted_in_span"] - 1) / span if span > 0 else float("nan"),
        missed=args.subscribers - final["distinct"],
        rss=rss,
        log=str(log),
    )
    return final


def row(r: dict) -> str:
    p95 = (r["reply_p95"] or float("nan")) * 1000
    worst = (r["reply_max"] or 0) * 1000
    per_10k = r["flood_429"] * 10_000 / max(1, r["accepted"])
    return (
        f"| {r['scenario']} | {r['tree']} | {r['rate']:g} | {r['subscribers']:,} "
        f"| **{r['total_rate']:.2f}/s** | {r['bulk_rate']:.2f}/s "
        f"| {r['flood_429']} ({per_10k:.1f} per 10k) | {r['max_429_in_a_row']} "
        f"| {r['max_in_window']} | {r['duplicates']} | {r['missed']} "
        f"| {p95:.0f} / {worst:.0f} ms ({r['replies']}) | {r['rss']:.0f} MB |"
    )


TABLE_HEAD = (
    "| scenario | bot | configured /s | subscribers | achieved, bulk + replies | bulk only "
    "| 429s | most 429s in a row | max sends in any 1 s | duplicates | missed "
    "| reply p95 / max (replies) | bot peak RSS |\n"
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--subscribers", type=int, default=10_000)
    p.add_argument("--rate", type=float, default=30.0, help="broadcast.rate_per_second")
    p.add_argument("--limit", type=int, default=30, help="the fake API's sends per second")
    p.add_argument("--latency", type=float, default=0.03)
    p.add_argument("--port", type=int, default=8089)
    p.add_argument(
        "--scenarios",
        default="",
        help="comma-separated, run one after another and print a table: " + ", ".join(SCENARIOS),
    )
    p.add_argument(
        "--trees",
        default=".",
        help="comma-separated source trees to run the bot from ('.' is this one), e.g. a worktree"
        " of an older commit for a side-by-side comparison",
    )
    p.add_argument("--paid-rate", type=int, default=1000, help="paid_rate_per_second (paid)")
    p.add_argument("--paid-limit", type=int, default=1000, help="the fake's paid sends/s")
    p.add_argument("--json", help="also write the scenario results here")
    p.add_argument("--kill", action="store_true", help="kill -9 the bot half-way, then restart")
    p.add_argument(
        "--rss-only",
        type=float,
        default=0,
        metavar="SECONDS",
        help="only measure peak RSS for this long (use with --subscribers 100000)",
    )
    args = p.parse_args()

    if args.scenarios:
        results = []
        for name in args.scenarios.split(","):
            for tree in args.trees.split(","):
                t0 = time.monotonic()
                r = run_scenario(SCENARIOS[name], args, tree)
                results.append(r)
                print(f"[{time.monotonic() - t0:.0f} s] {row(r)}", flush=True)
        print()
        print(TABLE_HEAD)
        for r in results:
            print(row(r))
        if args.json:
            Path(args.json).write_text(json.dumps(results, indent=1))
        return 0

    tmp = Path(tempfile.mkdtemp(prefix="bench-broadcast-"))
    cfg = write_config(tmp, args.port, args.rate)
    log = tmp / "bot.log"
    api = f"http://127.0.0.1:{args.port}"
    server = start_fake(args.port, args.limit, str(args.latency * 1000), args.paid_limit)
    tree = args.trees.split(",")[0]
    try:
        t0 = time.monotonic()
        asyncio.run(seed(tmp / "bench.sqlite3", args.subscribers))
        print(f"seeded {args.subscribers} subscribers in {time.monotonic() - t0:.1f} s ({tmp})")
        bot = start_bot(cfg, log, tree)
        if args.rss_only:
            time.sleep(args.rss_only)
            stats = http(f"{api}/stats")
            print(
                f"peak RSS {peak_rss_mb(bot.pid):.1f} MB after {args.rss_only:.0f} s "
                f"({stats['delivered']} sent so far)"
            )
            bot.kill()
            return 0
        asker = Asker(api, 2.0)
        asker.start()
        in_flight_bound = None
        if args.kill:
            stats, rss = wait_delivered(api, args.subscribers, bot, stop_at=args.subscribers // 2)
            os.kill(bot.pid, signal.SIGKILL)
            bot.wait()
            killed_at = http(f"{api}/stats")["delivered"]
            print(f"kill -9 after {killed_at} delivered")
            bot = start_bot(cfg, log, tree)
            in_flight_bound = max(4, int(args.rate * 0.25 + 0.999)) * 2  # window + next claim
        stats, rss = wait_delivered(api, args.subscribers, bot)
        asker.halt.set()
        stop_bot(bot)
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
