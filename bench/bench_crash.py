"""Crash-safety benchmark (run by hand, never a test): kill -9 the bot at random moments of a
broadcast, restart it each time, and check that nobody is missed and that each kill repeats at
most the messages the bot could not yet record (the in-flight window).

The real bot process (`python -m bot --config <temp> run`, TELEGRAM_API_URL pointing at the fake)
broadcasts to N subscribers through bench/fake_limited_api.py, a fake Bot API in its own process
on 127.0.0.1 (30 sends per sliding second, else 429; 30 ms added to every answer). The driver
kills the bot with SIGKILL `--kills` times, each after a random (seeded) delay from its start, so
kills land during start-up, planning and sending alike; after each kill it reads the database
(rows recorded 'sent' and left 'sending') and restarts the bot. At the end: missed, duplicates,
and for every kill the messages Telegram had accepted but the database had not recorded.

  .venv/bin/python bench/bench_crash.py                       # 2,000 subscribers, 20 kills
  .venv/bin/python bench/bench_crash.py --seed 2 --kills 30
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_broadcast import PY, http, seed, write_config  # noqa: E402
from bot.delivery import EXPECTED_LATENCY  # noqa: E402


def window_for(rate: float) -> int:
    """Delivery.window: the most sends in flight or confirmed-but-unrecorded at once."""
    return max(4, math.ceil(rate * EXPECTED_LATENCY))


def start_bot(cfg: Path, log: Path, api_url: str) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TELEGRAM_")}
    env["TELEGRAM_API_URL"] = api_url
    return subprocess.Popen(
        [PY, "-m", "bot", "--config", str(cfg), "run"],
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
        cwd=ROOT,
        env=env,
    )


def outbox(db_path: Path) -> dict[str, int]:
    """Outbox rows per status, read while the bot is down (SQLite recovers the WAL on open)."""
    conn = sqlite3.connect(db_path)
    try:
        rows = conn.execute("SELECT status, COUNT(*) FROM outbox GROUP BY status").fetchall()
        return {status: n for status, n in rows}
    finally:
        conn.close()


def broadcast_status(db_path: Path) -> str:
    conn = sqlite3.connect(db_path)
    try:
        row = conn.execute("SELECT status FROM broadcasts ORDER BY id LIMIT 1").fetchone()
        return row[0] if row else "?"
    finally:
        conn.close()


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--subscribers", type=int, default=2000)
    p.add_argument("--kills", type=int, default=20)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--rate", type=float, default=30.0)
    p.add_argument("--limit", type=int, default=30, help="the fake API's sends per second")
    p.add_argument("--latency", type=float, default=0.03)
    p.add_argument("--port", type=int, default=8090)
    p.add_argument(
        "--max-delay",
        type=float,
        default=5.0,
        help="kills come 0.2 s to this many seconds after each (re)start",
    )
    args = p.parse_args()
    rng = random.Random(args.seed)
    window = window_for(args.rate)

    tmp = Path(tempfile.mkdtemp(prefix="bench-crash-"))
    db_path = tmp / "bench.sqlite3"
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
    rows: list[dict] = []
    try:
        assert server.stdout is not None
        server.stdout.readline()  # "fake Bot API on ..." once it listens
        asyncio.run(seed(db_path, args.subscribers))
        print(f"seeded {args.subscribers} subscribers ({tmp}); window {window}; seed {args.seed}")
        t0 = time.monotonic()
        for k in range(1, args.kills + 1):
            delay = rng.uniform(0.2, args.max_delay)
            bot = start_bot(cfg, log, api)
            before = http(f"{api}/stats")
            deadline = time.monotonic() + delay
            while time.monotonic() < deadline and bot.poll() is None:
                time.sleep(0.01)
            if bot.poll() is not None:
                raise SystemExit(f"bot exited with {bot.returncode}; see {log}")
            os.kill(bot.pid, signal.SIGKILL)
            bot.wait()
            # A request already inside the fake is still answered (and counted) after its
            # latency, though nobody reads the answer: let those land before counting.
            time.sleep(max(0.2, 5 * args.latency))
            stats = http(f"{api}/stats")
            counts = outbox(db_path)
            rows.append(
                {
                    "kill": k,
                    "after_s": delay,
                    "delivered": stats["distinct"],
                    "sent_this_run": stats["delivered"] - before["delivered"],
                    "recorded": counts.get("sent", 0),
                    "sending": counts.get("sending", 0),
                    # Telegram accepted it, the database had not recorded it: resent next time.
                    "at_risk": stats["distinct"] - counts.get("sent", 0),
                    "dups_before": stats["duplicates"],
                }
            )
            if stats["distinct"] >= args.subscribers:
                print(f"everyone was reached before kill {k}; stopping the kills there")
                break
        # The last restart runs to the end.
        bot = start_bot(cfg, log, api)
        deadline = time.monotonic() + 3600
        while time.monotonic() < deadline:
            stats = http(f"{api}/stats")
            if stats["distinct"] >= args.subscribers:
                break
            if bot.poll() is not None:
                raise SystemExit(f"bot exited with {bot.returncode}; see {log}")
            time.sleep(0.2)
        time.sleep(2.0)  # let the last results be written and the broadcast close
        bot.send_signal(signal.SIGTERM)
        try:
            bot.wait(timeout=30)
        except subprocess.TimeoutExpired:
            bot.kill()
        elapsed = time.monotonic() - t0
        final = http(f"{api}/stats")
        counts = outbox(db_path)
        status = broadcast_status(db_path)
    finally:
        server.terminate()
        server.wait()

    # Duplicates caused by kill k show up after restart k: the next snapshot (or the end).
    dups_after = [r["dups_before"] for r in rows[1:]] + [final["duplicates"]]
    print()
    print(
        "| kill | after start | delivered (distinct) | sent by that run | recorded sent"
        " | left 'sending' | accepted, not recorded | duplicates it caused |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    worst = 0
    for r, after in zip(rows, dups_after, strict=True):
        caused = after - r["dups_before"]
        worst = max(worst, caused)
        print(
            f"| {r['kill']} | {r['after_s']:.2f} s | {r['delivered']} | {r['sent_this_run']} |"
            f" {r['recorded']} | {r['sending']} | {r['at_risk']} | {caused} |"
        )
    missed = args.subscribers - final["distinct"]
    print()
    print(f"subscribers        {args.subscribers}")
    print(f"kills              {len(rows)} (seed {args.seed}), total time {elapsed:.0f} s")
    print(f"missed             {missed}")
    print(f"duplicates         {final['duplicates']} in all; worst kill {worst} (bound {window})")
    print(f"429 answers        {final['flood_429']}")
    print(f"outbox at the end  {counts}; broadcast {status}")
    ok = missed == 0 and worst <= window and counts == {"sent": args.subscribers}
    print("RESULT             " + ("OK" if ok else "FAILED"))
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
