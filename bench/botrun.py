"""Start the real bot (`safermk-bot ... run`) with benchmark-only switches, read from the
environment by this launcher only (bot/ never reads them):

  SAFERMK_BENCH_UVLOOP=1      run the bot on uvloop's event loop (what bot/cli.py would do)
  SAFERMK_BENCH_SEEN=once     the last-seen write at most once a day per chat, residents or
                              not (what skipping the unchanged write in bot/handlers/retention.py
                              would give; measured only, the handler is the lead's)
  SAFERMK_BENCH_AREACACHE=1   AreaIndex.search results kept in a 4,096-entry LRU cache (what
                              caching the pure search in bot/domain/areas.py would give)
  SAFERMK_BENCH_METRICS=0     build the Application without the metrics' hooks (what the
                              counters, the DB timing histogram and the API labels cost)
  SAFERMK_BENCH_SQLCOUNT=F    count the statements the bot hands to the database thread, by
                              statement (a transaction counts as its BEGIN and COMMIT too), and
                              (kind "on the loop") those run on the event loop's own connection;
                              written to F as "count<TAB>kind<TAB>SQL" lines when the bot exits
  SAFERMK_BENCH_CPROFILE=F    run under cProfile timed by the main thread's CPU clock (so time
                              waiting, or other processes on the core, is not counted); the
                              stats are written to F when the bot exits

Usage: python -m bench.botrun --config <file> run   (the same arguments as safermk-bot; run
as a script with PYTHONPATH=<tree> to start the bot of another source tree)
"""

from __future__ import annotations

import os
import sys
from pathlib import Path


def _config_path(argv: list[str]) -> Path | None:
    if "--config" in argv:
        return Path(argv[argv.index("--config") + 1])
    return None


def install_seen_once() -> None:
    import bot.handlers.retention as retention

    original = retention.note_seen
    seen: set[tuple[str, int]] = set()

    async def note_seen(update, context):  # noqa: ANN001, ANN202
        chat = update.effective_chat
        if chat is not None:
            key = (context.services.clock.now().date().isoformat(), chat.id)
            if key in seen:
                return
            seen.add(key)
        await original(update, context)

    retention.note_seen = note_seen


def install_area_cache() -> None:
    import functools

    from bot.domain.areas import AreaIndex

    original = AreaIndex.search

    @functools.lru_cache(maxsize=4096)
    def cached(index: AreaIndex, text: str):  # noqa: ANN202
        return original(index, text)

    AreaIndex.search = lambda self, text: cached(self, text)  # type: ignore[method-assign]


def install_metrics_off() -> None:
    import bot.app as app

    original = app.wire_ops

    def wire_ops(application, services, with_metrics, requests):  # noqa: ANN001, ANN202
        return original(application, services, False, requests)

    app.wire_ops = wire_ops  # type: ignore[assignment]


def install_sql_count(out: str) -> None:
    import atexit
    import collections

    import storage.db as db

    counts: collections.Counter[tuple[str, str]] = collections.Counter()

    def counted(name, original):  # noqa: ANN001, ANN202
        async def statement(self, sql, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
            counts[(name, " ".join(str(sql).split())[:150])] += 1
            return await original(self, sql, *args, **kwargs)

        return statement

    for name in ("execute", "insert", "fetchone", "fetchall", "executemany"):
        setattr(db.Tx, name, counted(name, getattr(db.Tx, name)))
    transaction = db.Database.transaction

    def counted_transaction(self):  # noqa: ANN001, ANN202
        counts[("transaction", "BEGIN IMMEDIATE and COMMIT")] += 2
        return transaction(self)

    db.Database.transaction = counted_transaction  # type: ignore[method-assign]
    run_here = getattr(db.Database, "_run_here", None)
    if run_here is not None:  # statements run on the event loop's own connection

        def counted_here(self, run, sql, params):  # noqa: ANN001, ANN202
            result = run_here(self, run, sql, params)
            if result is not db._THERE:
                counts[("on the loop", " ".join(str(sql).split())[:150])] += 1
            return result

        db.Database._run_here = counted_here  # type: ignore[method-assign]

    def dump() -> None:
        with open(out, "w", encoding="utf-8") as f:
            for (kind, sql), n in counts.most_common():
                f.write(f"{n}\t{kind}\t{sql}\n")

    atexit.register(dump)


def main() -> int:
    argv = sys.argv[1:]
    if os.environ.get("SAFERMK_BENCH_METRICS") == "0":
        install_metrics_off()
    if os.environ.get("SAFERMK_BENCH_SEEN") == "once":
        install_seen_once()
    if os.environ.get("SAFERMK_BENCH_AREACACHE") == "1":
        install_area_cache()
    if os.environ.get("SAFERMK_BENCH_SQLCOUNT"):
        install_sql_count(os.environ["SAFERMK_BENCH_SQLCOUNT"])
    if os.environ.get("SAFERMK_BENCH_UVLOOP") == "1":
        import asyncio

        import uvloop

        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    from bot.cli import main as cli_main

    out = os.environ.get("SAFERMK_BENCH_CPROFILE")
    if not out:
        return cli_main(argv)
    import cProfile
    import time

    profiler = cProfile.Profile(time.thread_time)
    profiler.enable()
    try:
        return cli_main(argv)
    finally:
        profiler.disable()
        profiler.dump_stats(out)


if __name__ == "__main__":
    raise SystemExit(main())
