"""Where a SaferMK bot process spends its CPU: shares of py-spy samples, side by side.

Reads py-spy's raw output (`py-spy record -f raw`, as `bench/bench_updates.py --profile DIR`
writes it: one line per distinct stack, frames separated by ';', then the sample count) and
prints, for each file given, the share of samples whose stack contains each item below
(inclusive: a frame counts with everything it called). Idle samples (the event loop waiting in
select/epoll) are left out of the total, so the shares are of CPU, not of wall time.

  .venv/bin/python bench/profile_summary.py before.txt after.txt
"""

from __future__ import annotations

import sys
from pathlib import Path

IDLE = ("select (selectors.py", "_run_once (asyncio/base_events.py", "poll (", "_worker_thread")
ITEMS: list[tuple[str, tuple[str, ...]]] = [
    ("Telegram objects from JSON (de_json)", ("de_json (telegram/",)),
    ("  of which TelegramObject.__setattr__", ("__setattr__ (telegram/",)),
    ("JSON decode (answers, updates)", ("parse_json_payload", "decode_json")),
    ("JSON encode (requests)", ("json_payload (telegram/", "encode_json")),
    ("HTTP client (aiohttp)", ("aiohttp/",)),
    ("SQLite via aiosqlite (loop side and thread)", ("aiosqlite/",)),
    ("rate limiter (Pacer / BroadcastLimiter)", ("pacing.py", "process_request (bot/delivery.py")),
    ("area search", ("search (bot/domain/areas.py",)),
    ("safeguarding check", ("bot/domain/signposting.py", "bot/domain/safety")),
    ("intents", ("bot/domain/intents.py",)),
    ("handlers (bot/handlers/)", ("bot/handlers/",)),
    ("event loop internals (asyncio / uvloop)", ("asyncio/", "uvloop")),
]


def load(path: Path) -> list[tuple[str, int]]:
    stacks = []
    for line in path.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if stack and count.isdigit():
            stacks.append((stack, int(count)))
    return stacks


def busy(stacks: list[tuple[str, int]]) -> list[tuple[str, int]]:
    """Samples where the process was running Python (not waiting in the event loop's select)."""
    out = []
    for stack, n in stacks:
        leaf = stack.rsplit(";", 1)[-1]
        if any(marker in leaf for marker in IDLE):
            continue
        out.append((stack, n))
    return out


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__)
        return 2
    columns = [busy(load(Path(a))) for a in argv]
    totals = [sum(n for _, n in c) or 1 for c in columns]
    print("| what | " + " | ".join(Path(a).stem for a in argv) + " |")
    print("| --- |" + " --- |" * len(argv))
    for name, needles in ITEMS:
        shares = []
        for stacks, total in zip(columns, totals, strict=True):
            hit = sum(n for s, n in stacks if any(x in s for x in needles))
            shares.append(f"{hit * 100 / total:.0f}%")
        print(f"| {name} | " + " | ".join(shares) + " |")
    print("| busy samples | " + " | ".join(f"{t:,}" for t in totals) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
