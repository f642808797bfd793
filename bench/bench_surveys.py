"""Survey benchmarks (run by hand, never by the test suite).

(a) 1,000 simulated residents complete a 10-question survey concurrently through the whole bot
    (bot.app.build_application, handlers, SQLite), each resident's updates in order, against
    the in-process fake Bot API; answers per second and p95 latency per answer, next to a bare
    python-telegram-bot echo bot driven the same way in the same run.
(b) results (counts per question, per-NAG top three) for 100,000 stored responses.
(c) `safermk-bot export` of 100,000 responses in a subprocess: peak RSS (and 10,000 for
    comparison, to show memory does not grow with the number of rows).

.venv/bin/python -m bench.bench_surveys [--residents 1000] [--responses 100000]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from telegram import Update
from telegram.ext import ApplicationBuilder, CallbackQueryHandler, ContextTypes, MessageHandler
from telegram.ext import filters as f

from bot.app import build_application, make_services, startup
from bot.content import load_content
from bot.domain import disclosure as dc
from bot.plumbing.clock import FixedClock
from bot.plumbing.config import load_config
from storage.db import Database
from storage.surveys import SurveyStore
from tests import builders as b
from tests.conftest import ROOT, write_config
from tests.fakes.botapi import FakeBotApi, FakeRequest

LONDON = ZoneInfo("Europe/London")
BENCH_SURVEY = """\
id: bench
title: Benchmark survey
intro: Ten questions.
privacy: Anonymous.
thanks: Thanks.
opens: 2026-11-01
closes: 2027-03-31
anonymous: true
repeatable: true
questions:
"""


def bench_questions() -> str:
    """Ten questions: ratings, yes/no, single choice and two typed answers."""
    out = []
    for i in range(10):
        if i in (3, 7):
            out.append(f'  - {{id: q{i}, type: text, text: "Question {i}?", max_length: 200}}')
        elif i % 3 == 0:
            out.append(f'  - {{id: q{i}, type: rating, text: "Question {i}?", scale: 1-5}}')
        elif i % 3 == 1:
            out.append(f'  - {{id: q{i}, type: yesno, text: "Question {i}?"}}')
        else:
            out.append(
                f'  - {{id: q{i}, type: single, text: "Question {i}?", options: '
                "[{id: a, label: A}, {id: b, label: B}, {id: c, label: C}]}"
            )
    return "\n".join(out) + "\n"


class RecordingApi(FakeBotApi):
    """The fake Bot API, remembering only each chat's latest keyboard (flat memory)."""

    def __init__(self) -> None:
        super().__init__()
        self.keyboards: dict[int, list[str]] = {}

    def handle(self, method: str, params: dict[str, Any], files: dict) -> tuple[int, dict]:
        status, body = super().handle(method, params, files)
        self.calls.clear()
        if method == "sendMessage" and isinstance(params.get("reply_markup"), dict):
            rows = params["reply_markup"].get("inline_keyboard", [])
            self.keyboards[int(params["chat_id"])] = [x["callback_data"] for r in rows for x in r]
        elif method == "sendMessage":
            self.keyboards.pop(int(params["chat_id"]), None)
        return status, body


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


async def drive(
    residents: int,
    process: Callable[[dict[str, Any]], Awaitable[None]],
    next_update: Callable[[int, int], dict[str, Any] | None],
) -> tuple[float, list[float]]:
    """Every resident sends its updates in order; residents run concurrently."""
    latencies: list[float] = []

    async def resident(chat: int) -> None:
        step = 0
        while (update := next_update(chat, step)) is not None:
            t0 = time.perf_counter()
            await process(update)
            latencies.append(time.perf_counter() - t0)
            step += 1

    t0 = time.perf_counter()
    await asyncio.gather(*(resident(100_000 + i) for i in range(residents)))
    return time.perf_counter() - t0, latencies


async def bench_flow(residents: int, tmp: Path) -> dict[str, float]:
    content_dir = tmp / "content"
    shutil.copytree(ROOT / "content", content_dir)
    (content_dir / "surveys" / "bench.yaml").write_text(BENCH_SURVEY + bench_questions())
    content = load_content(content_dir, LONDON)
    cfg = load_config(write_config(tmp), env={})
    api = RecordingApi()
    services = make_services(cfg, content, FixedClock(datetime(2026, 11, 23, 12, tzinfo=LONDON)))
    app = build_application(services, request=FakeRequest(api), updates_request=FakeRequest(api))
    await app.initialize()
    await services.db.open()
    await startup(app)
    rng = random.Random(1)

    def next_update(chat: int, step: int) -> dict[str, Any] | None:
        if step == 0:
            return b.text_update(chat, "/start survey_bench")
        if step > 10:
            return None
        keyboard = [d for d in api.keyboards.get(chat, []) if ":a:" in d]
        if keyboard:
            return b.callback_update(chat, rng.choice(keyboard))
        return b.text_update(chat, "The lighting on the redway near the shops")

    async def process(update: dict[str, Any]) -> None:
        await app.process_update(Update.de_json(update, app.bot))

    elapsed, lat = await drive(residents, process, next_update)
    done = await services.db.fetchone(
        "SELECT COUNT(*) FROM survey_responses WHERE survey_id = 'bench' AND status = 'complete'"
    )
    await app.shutdown()
    await services.db.close()
    answers = lat[1:]  # every update but the /start ones is an answer; close enough per resident
    n_answers = residents * 10
    return {
        "completed": float(done[0]) if done else 0.0,
        "answers_per_s": n_answers / elapsed,
        "p50_ms": statistics.median(answers) * 1000,
        "p95_ms": pct(answers, 95) * 1000,
        "elapsed_s": elapsed,
    }


async def bench_echo(residents: int) -> dict[str, float]:
    """A bare python-telegram-bot bot (reply to every text and button) driven identically."""
    api = FakeBotApi()

    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if update.callback_query:
            await update.callback_query.answer()
        await update.effective_chat.send_message(update.effective_message.text or "?")

    app = (
        ApplicationBuilder()
        .token("12345:" + "A" * 35)
        .request(FakeRequest(api))
        .get_updates_request(FakeRequest(api))
        .build()
    )
    app.add_handler(MessageHandler(f.TEXT, echo))
    app.add_handler(CallbackQueryHandler(echo))
    await app.initialize()

    def next_update(chat: int, step: int) -> dict[str, Any] | None:
        if step > 10:
            return None
        if step % 2:
            return b.callback_update(chat, f"x:{step}")
        return b.text_update(chat, "hello")

    async def process(update: dict[str, Any]) -> None:
        api.calls.clear()
        await app.process_update(Update.de_json(update, app.bot))

    elapsed, lat = await drive(residents, process, next_update)
    await app.shutdown()
    return {
        "answers_per_s": residents * 10 / elapsed,
        "p50_ms": statistics.median(lat) * 1000,
        "p95_ms": pct(lat, 95) * 1000,
        "elapsed_s": elapsed,
    }


def synthetic(n: int, nags: list[str], rng: random.Random):
    worries = ["asb", "burglary", "vehicle", "speeding", "drugs", "flytipping", "violence"]
    tops = ["asb", "burglary", "vehicle", "speeding", "drugs", "flytipping", "bike_theft"]
    for i in range(n):
        contact = rng.choice(["yes", "no"])
        a: dict[str, tuple[str, ...] | None] = {
            "safe_day": (str(rng.randint(1, 5)),),
            "safe_dark": (str(rng.randint(1, 5)),),
            "worries": tuple(rng.sample(worries, rng.randint(1, 3))),
            "contact": (contact,),
            "hear": tuple(rng.sample(["telegram", "email", "social"], 2)),
            "years": (str(rng.randint(0, 60)),),
            "anything_else": None,
            "top3": tuple(rng.sample(tops, 3)),
        }
        if contact == "yes":
            a["contact_how"] = ("officer",)
            a["contact_rating"] = (str(rng.randint(0, 10)),)
        else:
            a["know_nag"] = ("no",)
        yield nags[i % len(nags)], f"2026-11-{1 + i % 28:02d}", a


async def fill(db_path: Path, n: int) -> None:
    content = load_content(ROOT / "content", LONDON)
    db = await Database(db_path).open()
    store = SurveyStore(db)
    rng = random.Random(2)
    nags = [x.id for x in content.nags]
    rows = synthetic(n, nags, rng)
    while chunk := list(itertools.islice(rows, 5000)):
        # The same answers feed both surveys: the priorities survey only looks at 'top3'.
        await store.insert_completed("community-safety", chunk)
        await store.insert_completed(
            "nag-priorities", [(x, d, {"top3": a["top3"]}) for x, d, a in chunk]
        )
    await db.close()


async def bench_results(db_path: Path) -> dict[str, float]:
    content = load_content(ROOT / "content", LONDON)
    cs = next(s for s in content.surveys if s.id == "community-safety")
    pr = next(s for s in content.surveys if s.id == "nag-priorities")
    db = await Database(db_path).open()
    store = SurveyStore(db)
    out: dict[str, float] = {}
    nags = [x.id for x in content.nags]

    async def groups(survey_id: str, question_id: str | None = None) -> dc.Groups:
        # As bot/handlers/results.py: counts per (NAG, week), grouped into what may be shown.
        blocks = await store.blocks(survey_id, question_id)
        tallies = {
            k: dc.Tally(c.completed, c.answered, c.values, c.ranks) for k, c in blocks.items()
        }
        return dc.group(tallies, nags, 5)

    t0 = time.perf_counter()
    counts = await store.counts(cs.id)
    dc.summarise(cs, counts.answered, counts.values, 5, completed=counts.completed)
    out["summary_all_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    g = await groups(cs.id)
    sel = dc.select(g, nags[-1], "2026-11-16", 5)  # the synthetic data puts it in week 4
    assert not isinstance(sel, str)
    dc.protect_level(cs, g, sel.start, 5)
    out["summary_nag_since_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    q = pr.question("top3")
    assert q is not None
    level = dc.protect_level(pr, await groups(pr.id, q.id), 0, 5)
    for view in level.values():
        dc.top_three(q, view)
    out["top3_per_nag_s"] = time.perf_counter() - t0
    out["responses"] = float((await store.counts(cs.id)).completed)
    await db.close()
    return out


def export_in_fresh_process(n: int) -> dict[str, float]:
    """Fill a database in one child, then run the CLI export from a second, tiny parent.

    RUSAGE_CHILDREN reports the largest child ever, and a forked child starts with its parent's
    memory: so the export's parent must be small and fresh for the figure to be the export's own.
    """
    tmp = Path(tempfile.mkdtemp())
    fill_code = (
        "import asyncio, sys; from pathlib import Path; from bench.bench_surveys import fill;"
        "asyncio.run(fill(Path(sys.argv[1]) / 'bot.sqlite3', int(sys.argv[2])))"
    )
    subprocess.run([sys.executable, "-c", fill_code, str(tmp), str(n)], check=True)
    cfg = write_config(tmp)
    out = tmp / "export.csv"
    measure = (
        "import resource, subprocess, sys, time; t0 = time.perf_counter();"
        "subprocess.run(sys.argv[1:], check=True, capture_output=True);"
        "print(time.perf_counter() - t0, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
    )
    cli = [sys.executable, "-m", "bot", "--config", str(cfg), "export", "community-safety"]
    res = subprocess.run(
        [sys.executable, "-c", measure, *cli, "--out", str(out)],
        check=True,
        capture_output=True,
        text=True,
    )
    seconds, kib = res.stdout.split()
    with out.open() as fh:
        rows = sum(1 for _ in fh) - 1
    shutil.rmtree(tmp)
    return {"rows": float(rows), "seconds": float(seconds), "peak_rss_mib": int(kib) / 1024}


async def main_async(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        print(f"(a) {args.residents} residents x 10 answers, concurrently, in-process fake API")
        echo = await bench_echo(args.residents)
        flow = await bench_flow(args.residents, tmp / "flow")
        print(
            f"    bare PTB echo bot : {echo['answers_per_s']:8.0f} answers/s,"
            f" p50 {echo['p50_ms']:6.1f} ms, p95 {echo['p95_ms']:6.1f} ms"
        )
        print(
            f"    SaferMK surveys   : {flow['answers_per_s']:8.0f} answers/s,"
            f" p50 {flow['p50_ms']:6.1f} ms, p95 {flow['p95_ms']:6.1f} ms,"
            f" {flow['completed']:.0f} completed"
        )
        (tmp / "res").mkdir()
        db_path = tmp / "res" / "bot.sqlite3"
        t0 = time.perf_counter()
        await fill(db_path, args.responses)
        print(f"(b) inserted {args.responses} responses in {time.perf_counter() - t0:.1f} s")
        res = await bench_results(db_path)
        print(f"    summary (all)          : {res['summary_all_s'] * 1000:7.0f} ms")
        print(f"    summary (1 NAG, since) : {res['summary_nag_since_s'] * 1000:7.0f} ms")
        print(f"    top three per NAG      : {res['top3_per_nag_s'] * 1000:7.0f} ms")
    print("(c) CLI export, peak RSS of the export process")
    for n in (args.responses // 10, args.responses):
        r = export_in_fresh_process(n)
        rows, secs, rss = int(r["rows"]), r["seconds"], r["peak_rss_mib"]
        print(f"    {rows:7d} rows: {secs:5.1f} s, peak RSS {rss:.0f} MiB")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--residents", type=int, default=1000)
    p.add_argument("--responses", type=int, default=100_000)
    asyncio.run(main_async(p.parse_args(argv)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
