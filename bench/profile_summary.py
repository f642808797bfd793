"""Where a SaferMK bot process spends its CPU: shares of py-spy samples, side by side.

Reads py-spy's raw output (`py-spy record -f raw`, as `bench/bench_updates.py --profile DIR`
writes it: one line per distinct stack, frames separated by ';', then the sample count) and
prints, for each file given, the share of busy samples by where the CPU was (the innermost
frame: self time, grouped by library). Samples of asyncio's loop waiting in select are left
out, so the shares are of CPU, not of wall time.

  .venv/bin/python bench/profile_summary.py before.txt after.txt
"""

from __future__ import annotations

import sys
from pathlib import Path

IDLE = ("select (selectors.py",)  # asyncio's loop waiting (uvloop waits in C: never sampled)
# Each busy sample goes to the first group its *leaf* frame (where the CPU was) matches.
GROUPS: list[tuple[str, tuple[str, ...]]] = [
    ("event loop itself (uvloop's C code runs under this frame)", ("Application.__run (",)),
    ("python-telegram-bot: objects from JSON (de_json, __setattr__)", ("de_json", "_de_json",
     "__setattr__ (telegram/", "__init__ (telegram/")),
    ("python-telegram-bot: the rest", ("(telegram/",)),
    ("aiohttp", ("(aiohttp/", "(yarl/", "(multidict/")),
    ("the bot's HTTP transport (bot/telegram/http.py, httptools)", ("(bot/telegram/http",
    "httptools")),
    ("SQLite (aiosqlite's thread and hand-offs)", ("(aiosqlite/", "(sqlite3")),
    ("type hints resolved at run time (typing.py)", ("(typing.py",)),
    ("asyncio (tasks, futures, locks)", ("(asyncio/",)),
    ("the bot's own code (bot/, storage/)", ("(bot/", "(storage/")),
    ("JSON codec", ("(json/", "orjson")),
]  # fmt: skip


def load(path: Path) -> list[tuple[str, int]]:
    stacks = []
    for line in path.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if stack and count.isdigit():
            stacks.append((stack, int(count)))
    return stacks


def busy(stacks: list[tuple[str, int]]) -> list[tuple[str, int]]:
    """Samples where the process was running (not the asyncio loop waiting in select)."""
    return [(st, n) for st, n in stacks if not any(m in st.rsplit(";", 1)[-1] for m in IDLE)]


def group_of(leaf: str) -> str:
    for name, needles in GROUPS:
        if any(x in leaf for x in needles):
            return name
    return "other (standard library, imports, ...)"


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__)
        return 2
    columns = [busy(load(Path(a))) for a in argv]
    totals = [sum(n for _, n in c) or 1 for c in columns]
    print("| what | " + " | ".join(Path(a).stem for a in argv) + " |")
    print("| --- |" + " --- |" * len(argv))
    names = [g for g, _ in GROUPS] + ["other (standard library, imports, ...)"]
    for name in names:
        shares = []
        for stacks, total in zip(columns, totals, strict=True):
            hit = sum(n for st, n in stacks if group_of(st.rsplit(";", 1)[-1]) == name)
            shares.append(f"{hit * 100 / total:.0f}%")
        print(f"| {name} | " + " | ".join(shares) + " |")
    print("| busy samples | " + " | ".join(f"{t:,}" for t in totals) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
