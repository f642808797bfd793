"""Console page load times (run by hand, never by the test suite): Home, Reach, Broadcasts,
Surveys and one survey's results, with 100,000 residents and 100,000 survey responses stored,
through the real console (aiohttp on 127.0.0.1, signed in as an officer, every request through
the pipeline: Host check, session, role, headers). Median and p95 over 20 loads of each page,
after one warm-up load.

Residents: spread over the NAGs and twelve months of sign-ups, 10 sign-up sources and none,
80% taking campaign messages, 5% blocked. Responses: bench/bench_surveys.py's synthetic
community-safety answers. Broadcasts: a campaign message sent to every resident a week ago
(100,000 outbox rows, a few thousand ratings) and the content's own scheduled ones.

.venv/bin/python -m bench.bench_console [--residents 100000] [--responses 100000] [--loads 20]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import random
import shutil
import statistics
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from bench.bench_surveys import LONDON, synthetic
from bot.content import load_content
from tests import consolekit as ck
from tests.conftest import OFFICER_ID, ROOT, Harness, close_harness

PAGES = [
    ("Home", "/console/"),
    ("Reach", "/console/reach"),
    ("Reach, one NAG", "/console/reach?nag=fishermead"),
    ("Broadcasts", "/console/broadcasts"),
    ("Broadcasts, last month", "/console/broadcasts?month=2026-10"),
    ("Surveys", "/console/surveys"),
    ("Survey results", "/console/surveys/community-safety"),
]
SOURCES = [None] * 5 + [f"qr:leaflet-{i}" for i in range(10)]


async def seed_residents(h: Harness, n: int) -> None:
    rng = random.Random(1)
    nags = [x.id for x in h.services.content.nags]
    months = [f"2025-{m:02d}" for m in (12,)] + [f"2026-{m:02d}" for m in range(1, 12)]
    rows = []
    for i in range(n):
        at = f"{rng.choice(months)}-{rng.randint(1, 28):02d}T12:00:00+00:00"
        consent = int(rng.random() < 0.8)
        active = int(rng.random() >= 0.05)
        rows.append((5_000_000 + i, rng.choice(nags), consent, at, active,
                     rng.choice(SOURCES), at, at))  # fmt: skip
    async with h.db.transaction() as tx:
        await tx.executemany(
            "INSERT INTO residents (chat_id, nag_id, consent, consent_at, active, source,"
            " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )


async def seed_sent_campaign(h: Harness) -> None:
    """A campaign message sent to everyone a week ago, some of it rated."""
    sent = (h.clock.now() - timedelta(days=7)).isoformat()
    campaign = h.services.content.campaigns[0].id
    async with h.db.transaction() as tx:
        bid = await tx.insert(
            "INSERT INTO broadcasts (kind, ref, text, audience, status, send_at, due_at,"
            " materialised, created_at, updated_at, started_at, finished_at) VALUES"
            ' (\'campaign\', ?, \'Bench\', \'{"kind": "all", "nags": [], "survey": null}\','
            " 'done', ?, ?, 1, ?, ?, ?, ?)",
            (campaign, sent, sent, sent, sent, sent, sent),
        )
        await tx.execute(
            "INSERT INTO outbox (broadcast_id, chat_id, status, attempts, sent_at)"
            " SELECT ?, chat_id, CASE WHEN active = 1 THEN 'sent' ELSE 'blocked' END, 1, ?"
            " FROM residents",
            (bid, sent),
        )
        await tx.execute(
            "INSERT INTO broadcast_ratings (broadcast_id, chat_id, useful, rated_at)"
            " SELECT ?, chat_id, chat_id % 3 != 0, ? FROM residents WHERE chat_id % 20 = 0",
            (bid, sent),
        )


async def seed_responses(h: Harness, n: int) -> None:
    rng = random.Random(2)
    nags = [x.id for x in h.services.content.nags]
    rows = synthetic(n, nags, rng)
    while chunk := list(itertools.islice(rows, 5000)):
        await h.services.surveys.insert_completed("community-safety", chunk)


def p95(xs: list[float]) -> float:
    return sorted(xs)[max(0, round(0.95 * len(xs)) - 1)]


async def run(residents: int, responses: int, loads: int) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="bench-console-"))
    try:
        content = load_content(ROOT / "content", LONDON)
        h = await ck.console_harness(tmp, content)
        t0 = time.perf_counter()
        await seed_residents(h, residents)
        await seed_sent_campaign(h)
        await seed_responses(h, responses)
        print(f"seeded {residents:,} residents and {responses:,} responses"
              f" in {time.perf_counter() - t0:.0f} s")  # fmt: skip
        print("| page | median ms | p95 ms | page size |\n| --- | ---: | ---: | ---: |")
        async with ck.client() as http:
            await ck.sign_in(h, http, OFFICER_ID)
            for name, path in PAGES:
                status, page = await ck.get(http, h, path)  # warm-up
                assert status == 200, (path, status)
                times = []
                for _ in range(loads):
                    start = time.perf_counter()
                    status, page = await ck.get(http, h, path)
                    times.append((time.perf_counter() - start) * 1000)
                    assert status == 200
                print(f"| {name} | {statistics.median(times):.0f} | {p95(times):.0f} |"
                      f" {len(page) // 1024} KB |")  # fmt: skip
        await close_harness(h)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--residents", type=int, default=100_000)
    p.add_argument("--responses", type=int, default=100_000)
    p.add_argument("--loads", type=int, default=20)
    a = p.parse_args()
    asyncio.run(run(a.residents, a.responses, a.loads))


if __name__ == "__main__":
    main()
