"""Fault benchmark (run by hand, never a test): what delivery costs while things go wrong.

Two parts:

* `virtual` (default): every scenario of tests/test_faults_delivery.py (the same code,
  tests/faults.py) on 2,000 subscribers in virtual time, one table: faults injected, messages
  lost, duplicates, and during a database outage the sender's tries, look-ups, claims, messages
  sent and the process CPU time.
* `--real-lock SECONDS`: the real bot process (`python -m bot run`) broadcasting to 2,000
  subscribers through bench/fake_limited_api.py on 127.0.0.1, while this driver holds the
  database's write lock from a second connection for SECONDS of real time. Reports the bot's
  CPU time during the lock (from /proc/<pid>/stat), what it sent meanwhile, how soon it resumed
  after the lock was released, and residents' /help replies during the lock.

  .venv/bin/python bench/bench_faults.py
  .venv/bin/python bench/bench_faults.py --real-lock 30
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_broadcast import PY, REPLY_CHATS, http, seed, stop_bot, write_config  # noqa: E402


def virtual(subscribers: int) -> None:
    from bot.content import load_content
    from tests.conftest import LONDON
    from tests.faults import (
        CONNECT_TIMEOUT,
        HANG,
        LOST_ANSWER,
        RESET,
        flood_storm,
        network_faults,
        run_scenario,
        server_errors,
    )

    logging.disable(logging.WARNING)  # the bot logs every outage; the table says it all
    content = load_content(ROOT / "content", LONDON)
    scenarios: list[tuple[str, dict]] = [
        ("429 storm (retry_after 1..32 s)", {"responder": flood_storm(40, [1, 2, 4, 8, 16, 32])}),
        ("5xx bursts (12 + 6)", {"responder": server_errors([(30, 42), (100, 106)])}),
        ("connection resets (10%)", {"plan": network_faults(RESET, 0.1, 7)}),
        ("connect timeouts (10%)", {"plan": network_faults(CONNECT_TIMEOUT, 0.1, 7)}),
        ("hangs to read timeout (10%)", {"plan": network_faults(HANG, 0.1, 7)}),
        ("lost answers (5%)", {"plan": network_faults(LOST_ANSWER, 0.05, 3)}),
    ]
    for kind in ("locked", "read-only", "full"):
        for seconds in (5, 30, 120):
            scenarios.append((f"database {kind} {seconds} s", {"db": (kind, 2.0, float(seconds))}))

    async def run_all() -> None:
        print(
            "| scenario | faults | lost | duplicates | tries | look-ups | claims | sent"
            " | CPU ms | virtual s |"
        )
        print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
        for name, kw in scenarios:
            tmp = Path(tempfile.mkdtemp(prefix="bench-faults-"))
            r = await run_scenario(tmp, content, name, residents=subscribers, **kw)
            o = r.outage
            if o is not None:
                faults = str(o.during("db_errors")) + " refused writes"
                during = (
                    f"{o.during('db_waits')} | {o.during('polls')} | {o.during('claims')}"
                    f" | {o.during('sent')} | {o.cpu * 1000:.0f}"
                )
            else:
                faults = str(sum(r.faults.values()) + r.error_answers)
                during = "– | – | – | – | –"
            dup = f"{r.duplicates}" + (
                f" (= {len(r.lost_answers)} lost answers)" if r.lost_answers else ""
            )
            print(
                f"| {name} | {faults} | {len(r.missed)} | {dup} | {during}"
                f" | {r.virtual_seconds:.0f} |"
            )

    asyncio.run(run_all())


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def real_lock(seconds: float, subscribers: int, port: int) -> int:
    tmp = Path(tempfile.mkdtemp(prefix="bench-lock-"))
    db_path = tmp / "bench.sqlite3"
    cfg = write_config(tmp, port, 25.0)
    log = tmp / "bot.log"
    api = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [PY, str(ROOT / "bench" / "fake_limited_api.py"), "--port", str(port)],
        stdout=subprocess.PIPE,
    )
    try:
        assert server.stdout is not None
        server.stdout.readline()
        asyncio.run(seed(db_path, subscribers))
        env = {k: v for k, v in os.environ.items() if not k.startswith("TELEGRAM_")}
        env["TELEGRAM_API_URL"] = api
        bot = subprocess.Popen(
            [PY, "-m", "bot", "--config", str(cfg), "run"],
            stdout=log.open("ab"),
            stderr=subprocess.STDOUT,
            cwd=ROOT,
            env=env,
        )
        while http(f"{api}/stats")["distinct"] < 300:
            time.sleep(0.05)
        other = sqlite3.connect(db_path, isolation_level=None, timeout=10)
        other.execute("BEGIN IMMEDIATE")  # another program holds the write lock
        t_lock = time.monotonic()
        cpu0 = cpu_seconds(bot.pid)
        s0 = http(f"{api}/stats")
        asked = 0
        while time.monotonic() - t_lock < seconds:
            http(f"{api}/push", {"chat_id": REPLY_CHATS + asked, "text": "/help"})
            asked += 1
            time.sleep(0.5)
        s1 = http(f"{api}/stats")
        cpu1 = cpu_seconds(bot.pid)
        other.execute("COMMIT")
        other.close()
        t_free = time.monotonic()
        give_up = t_free + subscribers / 25 + 120  # the whole broadcast, with room to spare
        resumed = None
        while time.monotonic() < give_up:
            stats = http(f"{api}/stats")
            if resumed is None and stats["delivered"] > s1["delivered"]:
                resumed = time.monotonic() - t_free
            if stats["distinct"] >= subscribers:
                break
            time.sleep(0.02 if resumed is None else 0.2)
        time.sleep(2.0)
        cpu2 = cpu_seconds(bot.pid)
        stop_bot(bot)
        final = http(f"{api}/stats")
        conn = sqlite3.connect(db_path)
        counts = dict(conn.execute("SELECT status, COUNT(*) FROM outbox GROUP BY status"))
        conn.close()
    finally:
        server.terminate()
        server.wait()
    replies = final["replies"]
    print(f"write lock held     {seconds:.0f} s (real), after 300 of {subscribers} delivered")
    print(f"bot CPU during it   {(cpu1 - cpu0) * 1000:.0f} ms")
    print(f"sent during it      {s1['delivered'] - s0['delivered']}")
    print(
        "resumed after       "
        + (f"{resumed:.1f} s from the release" if resumed is not None else "never")
    )
    print(f"bot CPU after it    {(cpu2 - cpu1) * 1000:.0f} ms until the end")
    print(f"/help during lock   {asked} asked, {replies} answered in all,")
    print(f"                    p95 {final['reply_p95'] * 1000:.0f} ms,", end=" ")
    print(f"max {final['reply_max'] * 1000:.0f} ms")
    print(f"missed              {subscribers - final['distinct']}")
    print(f"duplicates          {final['duplicates']}")
    print(f"outbox at the end   {counts}")
    return 0


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--subscribers", type=int, default=2000)
    p.add_argument("--real-lock", type=float, default=0, metavar="SECONDS")
    p.add_argument("--port", type=int, default=8091)
    args = p.parse_args()
    if args.real_lock:
        return real_lock(args.real_lock, args.subscribers, args.port)
    virtual(args.subscribers)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
