"""Graceful-stop benchmark (run by hand; tests/test_graceful_stop.py runs a small version):
SIGTERM the real bot at random moments of a broadcast, with the Bot API answering, silent on
getUpdates, or silent altogether, restart it on the same database each time, and check that
every stop takes under 10 s (Docker's grace) and that nobody is missed or sent twice.

The bot (`python -m bot --config <temp> run`) broadcasts to N subscribers through
bench/fake_limited_api.py (the Bot API double over HTTP in its own process on 127.0.0.1; 30
sends per sliding second, else 429; `--latency` added to every answer). For each stop the
driver waits until the run has sent something, then a random (seeded) 0-2 s more, makes the fake
go silent as the mode says, sends SIGTERM and times the exit; then the fake answers again and the
bot is restarted. The last run finishes the broadcast. At the end: missed, duplicates (the
fake's count of sends per chat), the stop times, and the outbox.

  .venv/bin/python bench/bench_sigterm.py                     # 1,500 subscribers, 20 stops
  .venv/bin/python bench/bench_sigterm.py --stops 3 --subscribers 300
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_broadcast import PY, http, seed, write_config  # noqa: E402
from bench.bench_crash import broadcast_status, outbox  # noqa: E402

MODES = ("answering", "silent getUpdates", "silent Bot API")
GRACE = 10.0  # Docker's default stop grace period


def start_bot(cfg: Path, log: Path, api_url: str) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TELEGRAM_")}
    env["TELEGRAM_API_URL"] = api_url
    env["PYTHONPATH"] = str(ROOT)
    return subprocess.Popen(
        [PY, "-m", "bot", "--config", str(cfg), "run"],
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
        cwd=ROOT,
        env=env,
    )


def wait_until_sending(bot: subprocess.Popen[bytes], api: str, before: int, log: Path) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if bot.poll() is not None:
            raise SystemExit(f"bot exited with {bot.returncode}; see {log}")
        if http(f"{api}/stats")["delivered"] > before:
            return
        time.sleep(0.05)
    raise SystemExit(f"the bot sent nothing in 120 s; see {log}")


def stop(bot: subprocess.Popen[bytes]) -> tuple[float, int]:
    """SIGTERM; (seconds to exit, exit code). Killed (and reported) after 30 s."""
    t0 = time.monotonic()
    bot.send_signal(signal.SIGTERM)
    try:
        code = bot.wait(timeout=30)
    except subprocess.TimeoutExpired:
        bot.kill()
        code = bot.wait()
    return time.monotonic() - t0, code


def run(args: argparse.Namespace) -> dict[str, object]:
    rng = random.Random(args.seed)
    tmp = Path(tempfile.mkdtemp(prefix="bench-sigterm-"))
    db_path = tmp / "bench.sqlite3"
    cfg = write_config(tmp, args.port, 30.0)
    log = tmp / "bot.log"
    api = f"http://127.0.0.1:{args.port}"
    fake = subprocess.Popen(
        [PY, str(ROOT / "bench" / "fake_limited_api.py"), "--port", str(args.port),
         "--latency", str(args.latency)],
        stdout=subprocess.PIPE,
    )  # fmt: skip
    stops: list[dict[str, object]] = []
    try:
        assert fake.stdout is not None
        fake.stdout.readline()  # listening
        asyncio.run(seed(db_path, args.subscribers))
        print(f"seeded {args.subscribers} subscribers ({tmp}); seed {args.seed}", flush=True)
        for k in range(args.stops):
            mode = MODES[k % len(MODES)]
            before = http(f"{api}/stats")["delivered"]
            bot = start_bot(cfg, log, api)
            wait_until_sending(bot, api, before, log)
            time.sleep(rng.uniform(0.0, 2.0))
            http(f"{api}/silence", {"polls": mode != "answering", "sends": mode == MODES[2]})
            seconds, code = stop(bot)
            http(f"{api}/silence", {"polls": False, "sends": False})
            stats = http(f"{api}/stats")
            counts = outbox(db_path)
            row = {"stop": k + 1, "mode": mode, "seconds": seconds, "code": code,
                   "delivered": stats["distinct"], "recorded": counts.get("sent", 0),
                   "duplicates": stats["duplicates"]}  # fmt: skip
            stops.append(row)
            print(row, flush=True)
            if stats["distinct"] >= args.subscribers:
                print("everyone was reached: no more stops", flush=True)
                break
        bot = start_bot(cfg, log, api)  # the last run finishes the broadcast
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline and broadcast_status(db_path) != "sent":
            if bot.poll() is not None:
                raise SystemExit(f"bot exited with {bot.returncode}; see {log}")
            if http(f"{api}/stats")["distinct"] >= args.subscribers:
                time.sleep(1.0)  # let the last results be written and the broadcast close
                break
            time.sleep(0.2)
        last, code = stop(bot)
        final = http(f"{api}/stats")
        counts = outbox(db_path)
        status = broadcast_status(db_path)
    finally:
        fake.terminate()
        fake.wait()
    return {"stops": stops, "final": final, "outbox": counts, "status": status,
            "last_stop": last, "last_code": code, "log": log}  # fmt: skip


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--subscribers", type=int, default=1500)
    p.add_argument("--stops", type=int, default=20)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--latency", type=float, default=0.03)
    p.add_argument("--port", type=int, default=8093)
    args = p.parse_args()
    r = run(args)
    stops = r["stops"]
    final = r["final"]
    assert isinstance(stops, list) and isinstance(final, dict)
    print("\n| stop | Bot API | seconds to exit | exit code | reached so far | duplicates so far |")
    print("| --- | --- | --- | --- | --- | --- |")
    for s in stops:
        print(f"| {s['stop']} | {s['mode']} | {s['seconds']:.2f} | {s['code']} |"
              f" {s['delivered']} | {s['duplicates']} |")  # fmt: skip
    times = [float(s["seconds"]) for s in stops]
    missed = args.subscribers - final["distinct"]
    print(f"\nsubscribers  {args.subscribers}; stops {len(stops)} (seed {args.seed})")
    for mode in MODES:
        t = [float(s["seconds"]) for s in stops if s["mode"] == mode]
        if t:
            print(f"  {mode:18} {len(t)} stops: max {max(t):.2f} s, mean {sum(t) / len(t):.2f} s")
    print(f"missed       {missed}")
    print(f"duplicates   {final['duplicates']}")
    print(f"outbox       {r['outbox']}; broadcast {r['status']}; last stop {r['last_stop']:.2f} s")
    ok = (
        missed == 0
        and final["duplicates"] == 0
        and max(times, default=0.0) < GRACE
        and all(s["code"] == 0 for s in stops)
    )
    print("RESULT       " + ("OK" if ok else "FAILED") + f"   (log: {r['log']})")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
