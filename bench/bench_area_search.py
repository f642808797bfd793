"""Free-text micro-benchmark: the area search and the safeguarding check, side by side.

Every resident's free text meets the safeguarding check first (bot/handlers/safety.py), then,
outside a flow, the area search; both are timed here in the same interleaved passes.

Area search: AreaIndex.search over all NAGs, per kind of query.

Loads content/ with the bot's own loader, builds bot.domain.areas.AreaIndex once, then times
`index.search(q)` with time.perf_counter_ns for every query in QUERIES, interleaved (one pass
over all queries, repeated --reps times, after --warmup passes). Reports median and p95 per
query kind and overall. The handler cuts a message to 100 characters before searching
(bot/handlers/areas.py: MAX_QUERY); the 5,000-character row times the index without that cut.

Safeguarding: bot.domain.safety.Detector.find on the labelled corpus's danger and ordinary
messages (tests/data/safety_corpus.yaml), every NAG name/area/venue, the area queries above, a
5,000-character message and one 5,000-letter "word". "warm" is the steady state (the detector
caches what each distinct word matches, bounded at 100,000 words); "cold" is each corpus message
seen once by a freshly built detector.

  .venv/bin/python -m bench.bench_area_search [--reps 2000] [--src <tree>]
"""

from __future__ import annotations

import argparse
import gc
import random
import statistics
import sys
import time
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent


def long_text(n: int = 5000) -> str:
    rnd = random.Random(5000)
    words = ["the", "bike", "stolen", "near", "park", "Fishermead", "estate", "again", "MK6"]
    out = []
    size = 0
    while size < n:
        w = rnd.choice(words)
        out.append(w)
        size += len(w) + 1
    return " ".join(out)[:n]


QUERIES: dict[str, list[str]] = {
    "full postcode": ["MK6 2LP", "mk63ax", "MK14 5AB", "MK9 1AA", "MK12 5BE", "MK5 7EH"],
    "sector": ["MK6 3", "MK14 5", "MK5 7", "mk13 8"],
    "district": ["MK9", "MK6", "MK13", "mk14"],
    "outside MK postcode": ["MK99 1AA", "MK77"],
    "exact name": ["Fishermead", "Stony Stratford", "Shenley Lodge", "Olney", "Bradwell", "CMK"],
    "typo'd name": ["Shenly Lodge", "Stony Stratfrd", "fishermaed", "Wolvertn", "Bletchly"],
    "non-matching text": ["hello there", "what time is the meeting", "my bike was stolen", "ok"],
    "5,000-char text": [long_text()],
}


def pct(values: list[int], p: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--reps", type=int, default=2000)
    p.add_argument("--warmup", type=int, default=50)
    p.add_argument("--src", type=Path, default=ROOT, help="tree to load bot/ and content/ from")
    args = p.parse_args(argv)
    src = args.src.resolve()
    sys.path.insert(0, str(src))
    from bot.content import load_content
    from bot.domain.areas import AreaIndex

    t = time.perf_counter()
    content = load_content(src / "content", ZoneInfo("Europe/London"))
    t_load = time.perf_counter() - t
    t = time.perf_counter()
    index = AreaIndex(content.nags)
    t_build = time.perf_counter() - t
    names = sum(1 + len(n.areas) for n in content.nags)
    print(
        f"{len(content.nags)} NAGs, {names} names; content load {t_load * 1000:.0f} ms, "
        f"index build {t_build * 1000:.2f} ms; {args.reps} timed passes"
    )
    flat = [(kind, q) for kind, qs in QUERIES.items() for q in qs]
    samples: dict[str, list[int]] = {kind: [] for kind in QUERIES}
    results = {q: index.search(q) for _, q in flat}
    for _ in range(args.warmup):
        for _, q in flat:
            index.search(q)
    gc.disable()
    try:
        clock = time.perf_counter_ns
        search = index.search
        for _ in range(args.reps):
            for kind, q in flat:
                t0 = clock()
                search(q)
                samples[kind].append(clock() - t0)
    finally:
        gc.enable()
    every = [v for vs in samples.values() for v in vs]
    safety_table(content, src, args.reps // 10 or 1, args.warmup)
    print()
    print("Area search")
    print("| query kind | queries | median µs | p95 µs | example → result |")
    print("| --- | --- | --- | --- | --- |")
    for kind, qs in QUERIES.items():
        r = results[qs[0]]
        shown = qs[0] if len(qs[0]) <= 20 else f"{qs[0][:12]}… ({len(qs[0]):,} chars)"
        example = f"`{shown}` → {r.kind}, {len(r.nags)} NAG(s)"
        print(
            f"| {kind} | {len(qs)} | {statistics.median(samples[kind]) / 1000:.1f} | "
            f"{pct(samples[kind], 95) / 1000:.1f} | {example} |"
        )
    print(
        f"| **all** | {len(flat)} | **{statistics.median(every) / 1000:.1f}** | "
        f"{pct(every, 95) / 1000:.1f} | |"
    )
    return 0


def safety_table(content: object, src: Path, reps: int, warmup: int) -> None:
    """Time the safeguarding check per kind of message (printed before the area table)."""
    import yaml

    from bot.content.safety import place_names
    from bot.context import safety_detector

    corpus = yaml.safe_load((src / "tests/data/safety_corpus.yaml").read_text(encoding="utf-8"))
    kinds: dict[str, list[str]] = {
        "danger (corpus)": [d["text"] for d in corpus["danger"]],
        "ordinary (corpus)": list(corpus["ordinary"]),
        "names, areas, venues": place_names(content),
        "area queries": [q for k, qs in QUERIES.items() if k != "5,000-char text" for q in qs],
        "5,000-char text": [long_text()],
        "5,000-letter word": ["zq" * 2500],
    }
    t = time.perf_counter()
    detector = safety_detector(content)
    t_build = time.perf_counter() - t
    cold: list[int] = []
    for text in kinds["danger (corpus)"] + kinds["ordinary (corpus)"]:
        t0 = time.perf_counter_ns()
        detector.find(text)
        cold.append(time.perf_counter_ns() - t0)
    flat = [(kind, q) for kind, qs in kinds.items() for q in qs]
    for _ in range(warmup):
        for _, q in flat:
            detector.find(q)
    samples: dict[str, list[int]] = {kind: [] for kind in kinds}
    gc.disable()
    try:
        clock = time.perf_counter_ns
        find = detector.find
        for _ in range(reps):
            for kind, q in flat:
                t0 = clock()
                find(q)
                samples[kind].append(clock() - t0)
    finally:
        gc.enable()
    every = [v for vs in samples.values() for v in vs]
    print()
    print(f"Safeguarding check (detector build {t_build * 1000:.0f} ms; {reps} timed passes)")
    print("| message kind | messages | median µs | p95 µs | max µs |")
    print("| --- | --- | --- | --- | --- |")
    for kind, qs in kinds.items():
        v = samples[kind]
        print(
            f"| {kind} | {len(qs)} | {statistics.median(v) / 1000:.1f} | "
            f"{pct(v, 95) / 1000:.1f} | {max(v) / 1000:.0f} |"
        )
    print(
        f"| **all, warm** | {len(flat)} | **{statistics.median(every) / 1000:.1f}** | "
        f"{pct(every, 95) / 1000:.1f} | {max(every) / 1000:.0f} |"
    )
    print(
        f"| corpus, cold (first sight) | {len(cold)} | {statistics.median(cold) / 1000:.1f} | "
        f"{pct(cold, 95) / 1000:.1f} | {max(cold) / 1000:.0f} |"
    )


if __name__ == "__main__":
    sys.exit(main())
