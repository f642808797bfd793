"""Flood benchmark (issue 20; run by hand): 60 accounts sending 20 messages each during a
300-recipient broadcast, a few quiet residents asking one thing each meanwhile, then one account
sending 300 messages in a burst followed by /stop.

The real bot (`python -m bot --config <temp> run`) against bench/fake_limited_api.py (the Bot
API double over HTTP in its own process on 127.0.0.1: 30 sends per sliding second, else 429;
`--latency` added to every answer). Updates go in through the fake's /push; what the bot sent
each resident comes back from its /replies, with the fake's (monotonic) clock, which the driver
shares. Real time on a shared, noisy machine: the figures move from run to run.

Checked: the broadcast's pace during the flood (its sends per whole second at the double),
every recipient once; the quiet residents' reply times (p95, from their push to the first
answer); each flooding account got one slow-down line and an answer to its newest message
(/privacy); each danger message got the safeguarding help once; the burst account's /stop
answered (time from its push).

  .venv/bin/python bench/bench_flood.py
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_broadcast import PY, http, seed, write_config  # noqa: E402
from bench.bench_crash import broadcast_status, outbox  # noqa: E402
from bench.bench_sigterm import start_bot, wait_until_sending  # noqa: E402
from bot.telegram.pacing import REPLY_CHAT_BURST  # noqa: E402

FLOOD = 6_000_000  # flooding accounts' chat ids
QUIET = 5_000_000  # quiet residents
BURST = 7_000_000  # the one account sending 300 at once
DANGER = "my ex has a knife and says he will kill me tonight"
SLOW = "faster than I can answer"
PRIVACY = "Your privacy, in short"
HELP = "How I can help"
FOOTER = "can't take reports"
STOPPED = "You won't get any more"


def push(api: str, chat: int, text: str) -> float:
    t = time.monotonic()
    http(f"{api}/push", {"chat_id": chat, "text": text})
    return t


def flood_text(account: int, message: int, messages: int) -> str:
    if message == messages - 1:
        return "/privacy"  # the newest: the one answered when the budget refills
    if account % 6 == 0 and message == messages - 6:
        return DANGER  # over budget by then: must still get help, once
    return "/help"


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def p95(values: list[float]) -> float:
    v = sorted(values)
    return v[max(0, -(-len(v) * 95 // 100) - 1)] if v else float("nan")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--accounts", type=int, default=60)
    p.add_argument("--messages", type=int, default=20)
    p.add_argument("--quiet", type=int, default=20, help="residents asking one thing each")
    p.add_argument("--recipients", type=int, default=300)
    p.add_argument("--burst", type=int, default=300)
    p.add_argument("--latency", type=float, default=0.03)
    p.add_argument("--port", type=int, default=8094)
    p.add_argument(
        "--chat-burst",
        type=int,
        default=REPLY_CHAT_BURST,
        help="messages the fake lets one chat get at once (the pacer's own model by default)",
    )
    args = p.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="bench-flood-"))
    db_path = tmp / "bench.sqlite3"
    cfg = write_config(tmp, args.port, 30.0)
    log = tmp / "bot.log"
    api = f"http://127.0.0.1:{args.port}"
    fake = subprocess.Popen(
        [PY, str(ROOT / "bench" / "fake_limited_api.py"), "--port", str(args.port),
         "--latency", str(args.latency), "--chat-burst", str(args.chat_burst)],
        stdout=subprocess.PIPE,
    )  # fmt: skip
    bot: subprocess.Popen[bytes] | None = None
    try:
        assert fake.stdout is not None
        fake.stdout.readline()
        asyncio.run(seed(db_path, args.recipients))
        bot = start_bot(cfg, log, api)
        wait_until_sending(bot, api, 0, log)

        # Phase 1: the flood, with quiet residents asking meanwhile, during the broadcast.
        quiet_pushed: dict[int, float] = {}

        def quiet() -> None:
            for i in range(args.quiet):
                quiet_pushed[QUIET + i] = push(api, QUIET + i, "/help")
                time.sleep(0.3)

        cpu0 = cpu_seconds(bot.pid)
        t_flood = time.monotonic()
        asker = threading.Thread(target=quiet)
        asker.start()
        for m in range(args.messages):
            for a in range(args.accounts):
                push(api, FLOOD + a, flood_text(a, m, args.messages))
        t_pushed = time.monotonic()
        asker.join()
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            stats = http(f"{api}/stats")
            replies = http(f"{api}/replies")
            answered = sum(
                any(PRIVACY in t for _, t in replies.get(str(FLOOD + a), []))
                for a in range(args.accounts)
            )
            quiet_done = sum(str(c) in replies for c in quiet_pushed)
            if (
                stats["distinct"] >= args.recipients
                and answered == args.accounts
                and quiet_done == args.quiet
            ):
                break
            time.sleep(0.25)
        phase1 = http(f"{api}/stats")
        replies = http(f"{api}/replies")
        cpu1 = cpu_seconds(bot.pid)
        t_done = time.monotonic()

        # Phase 2: one account, 300 at once, then /stop.
        for _ in range(args.burst):
            push(api, BURST, "/help")
        t_stop = push(api, BURST, "/stop")
        stop_answer = None
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and stop_answer is None:
            for t, text in http(f"{api}/replies").get(str(BURST), []):
                if STOPPED in text:
                    stop_answer = t - t_stop
            time.sleep(0.05)
        burst_replies = http(f"{api}/replies").get(str(BURST), [])
        time.sleep(1.0)
        bot.send_signal(signal.SIGTERM)
        bot.wait(timeout=30)
        counts = outbox(db_path)
        status = broadcast_status(db_path)
    finally:
        if bot is not None and bot.poll() is None:
            bot.kill()
        fake.terminate()
        fake.wait()

    # The broadcast's pace while the flood was being answered.
    first, last = phase1["first"], phase1["last"]
    overall = args.recipients / (last - first) if last and first and last > first else 0.0
    # Broadcast sends per second at the double (arrival times), over every whole second from
    # the flood's start to the last broadcast send.
    bulk = sorted(replies.get("bulk", []))
    rates = [
        float(sum(1 for t in bulk if s <= t < s + 1.0))
        for s in (t_flood + k for k in range(int((bulk[-1] if bulk else t_flood) - t_flood)))
    ]
    lat = [replies[str(c)][0][0] - t for c, t in quiet_pushed.items() if str(c) in replies]
    slow = [
        sum(SLOW in t for _, t in replies.get(str(FLOOD + a), [])) for a in range(args.accounts)
    ]
    newest = [
        any(PRIVACY in t for _, t in replies.get(str(FLOOD + a), [])) for a in range(args.accounts)
    ]
    helps = [
        sum(HELP in t for _, t in replies.get(str(FLOOD + a), [])) for a in range(args.accounts)
    ]
    danger_accounts = [a for a in range(args.accounts) if a % 6 == 0]
    danger = [sum(FOOTER in t for _, t in replies.get(str(FLOOD + a), [])) for a in danger_accounts]
    print(f"flood: {args.accounts} accounts x {args.messages} messages pushed in "
          f"{t_pushed - t_flood:.1f} s during a {args.recipients}-recipient broadcast")  # fmt: skip
    median = sorted(rates)[len(rates) // 2] if rates else 0.0
    print(f"broadcast: {phase1['distinct']} of {args.recipients} reached, {phase1['duplicates']}"
          f" duplicates, {overall:.1f}/s first to last send; each second from the flood on:"
          f" min {min(rates, default=0):.1f}/s, median {median:.1f}/s;"
          f" 429s {phase1['flood_429']}; most in a second {phase1['max_in_window']}")  # fmt: skip
    print("broadcast sends in each second from the flood on:", [int(r) for r in rates])
    print(f"quiet residents: {len(lat)} of {args.quiet} answered; p95 {p95(lat):.2f} s,"
          f" max {max(lat, default=float('nan')):.2f} s")  # fmt: skip
    print(f"flood accounts: slow-down lines per account {sorted(set(slow))};"
          f" newest answered {sum(newest)} of {args.accounts};"
          f" /help answered {min(helps)}-{max(helps)} of {args.messages - 1}")  # fmt: skip
    print(f"danger messages: help per danger account {sorted(set(danger))}"
          f" ({len(danger_accounts)} accounts)")  # fmt: skip
    print(f"burst account: {args.burst} messages then /stop: /stop answered after "
          f"{stop_answer if stop_answer is None else round(stop_answer, 2)} s;"
          f" {len(burst_replies)} messages sent to it in all")  # fmt: skip
    print(f"bot CPU during phase 1: {cpu1 - cpu0:.1f} s over {t_done - t_flood:.1f} s")
    print(f"outbox {counts}; broadcast {status}; log {log}")
    ok = (
        phase1["distinct"] == args.recipients
        and phase1["duplicates"] == 0
        # The first second is the switch from 30/s: the broadcast's slots of the second before
        # expire and replies take their 18 first. Every second after it keeps 10 or more.
        and min(rates[1:], default=0) >= 10
        and overall >= 10
        and p95(lat) < 1.0
        and len(lat) == args.quiet
        and set(slow) == {1}
        and all(newest)
        and set(danger) == {1}
        and stop_answer is not None
        and stop_answer < 2.0
    )
    print("RESULT " + ("OK" if ok else "FAILED"))
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
