"""What /metrics costs per update, in microseconds: each hook timed alone, times how often an
update of the journey stream calls it.

The hooks (bot/serving.py wires them): one `update_seen` per update (the TypeHandler before
every group, with python-telegram-bot's dispatch of that handler), one `api_call` per Bot API
exchange (bot/telegram/http.py's observer, with the contextvar read that tells a reply), one
histogram
`observe` per database transaction or read (storage/db.py's on_timed). How often: the journey
stream (bench/fake_api.py: make_updates) through the real Application in this process, against
the in-process Bot API double, counting Bot API calls and database calls per update.

The end-to-end figure (bot process CPU per update with the hooks on and off, the same stream,
polling and webhook) comes from bench/bench_updates.py with the "nometrics" variant; it is
noisier than these, which is why both are reported (bench/README.md, section 9).

  .venv/bin/python -m bench.bench_metrics [--n 2000] [--reps 200000]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
import timeit
from pathlib import Path
from typing import Any

from telegram import Update

from bench.bench_updates import TOKEN
from bench.fake_api import make_updates
from bot.ops.metrics import _IN_UPDATE, Metrics

ROOT = Path(__file__).resolve().parent.parent


def per_call_us(reps: int) -> dict[str, float]:
    """Microseconds per call of each hook, best of 5."""
    m = Metrics()
    url = f"http://127.0.0.1:1/bot{TOKEN}/sendMessage"
    m.api_call(url, 200)  # the child is bound at the first call, as in the bot

    class Msg:  # the attributes update_seen reads
        message = object()
        callback_query = None
        my_chat_member = None

    upd = Msg()
    _IN_UPDATE.set(True)
    out = {}
    for name, fn in (
        ("update_seen", lambda: m.update_seen(upd)),
        ("api_call", lambda: m.api_call(url, 200)),
        ("db_observe", lambda: m.db_seconds.observe(0.0004)),
    ):
        best = min(timeit.repeat(fn, number=reps, repeat=5))
        out[name] = best / reps * 1e6
    return out


async def counts(n: int) -> tuple[float, float, float]:
    """(Bot API calls, database calls, µs of the TypeHandler's dispatch) per update."""
    from bot.app import build_application, make_services, shutdown, startup
    from bot.content import load_content
    from bot.plumbing.config import load_config
    from bot.preview.double import BotApiDouble
    from bot.preview.transport import DoubleRequest

    tmp = Path(tempfile.mkdtemp(prefix="bench-metrics-"))
    cfg_path = tmp / "config.yaml"
    cfg_path.write_text(
        f'telegram:\n  token: "{TOKEN}"\nstorage:\n  path: "{tmp / "db.sqlite3"}"\n'
        f'content:\n  dir: "{ROOT / "content"}"\n'
        'survey:\n  secret: "bench-survey-secret-at-least-32-characters"\n',
        encoding="utf-8",
    )
    cfg = load_config(cfg_path, env={})
    api = BotApiDouble(record=True)
    services = make_services(cfg, load_content(cfg.content_dir, cfg.tz))
    double = DoubleRequest(api)
    app = build_application(services, request=double, updates_request=DoubleRequest(api))
    db_calls = 0

    def timed(_: float) -> None:
        nonlocal db_calls
        db_calls += 1

    await app.initialize()
    await startup(app)  # opens the database, runs the features' start hooks
    services.db.on_timed = timed
    before = len(api.calls)
    for data in make_updates(n, max(1, n // 5), stream="journey"):
        await app.process_update(Update.de_json(data, app.bot))
    api_calls = len(api.calls) - before
    await shutdown(app)
    await app.shutdown()
    return api_calls / n, db_calls / n, await dispatch_us(app)


async def dispatch_us(app: Any) -> float:
    """µs python-telegram-bot spends on one more group with one TypeHandler (the counting one):
    process_update of a plain update with only that group, against none."""
    from telegram.ext import ApplicationBuilder, TypeHandler

    from bot.preview.double import BotApiDouble
    from bot.preview.transport import DoubleRequest

    async def noop(update: object, context: object) -> None:
        return None

    update = Update.de_json(make_updates(1, 1)[0], app.bot)
    results = []
    for with_handler in (False, True):
        builder = ApplicationBuilder().token(TOKEN).updater(None)
        bare = builder.request(DoubleRequest(BotApiDouble())).build()
        if with_handler:
            bare.add_handler(TypeHandler(Update, noop), group=-1000)
        await bare.initialize()
        n = 20000
        best = float("inf")
        for _ in range(5):
            t = time.process_time()
            for _ in range(n):
                await bare.process_update(update)
            best = min(best, (time.process_time() - t) / n * 1e6)
        results.append(best)
        await bare.shutdown()
    return results[1] - results[0]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--n", type=int, default=2000, help="journey updates for the counts")
    p.add_argument("--reps", type=int, default=200_000, help="calls per timing")
    args = p.parse_args(argv)
    us = per_call_us(args.reps)
    api, db, dispatch = asyncio.run(counts(args.n))
    per_update = us["update_seen"] + dispatch + api * us["api_call"] + db * us["db_observe"]
    print(
        f"per call: update_seen {us['update_seen']:.2f} µs, api_call {us['api_call']:.2f} µs,"
        f" db observe {us['db_observe']:.2f} µs; TypeHandler dispatch {dispatch:.2f} µs"
    )
    print(f"per journey update: {api:.2f} Bot API calls, {db:.2f} database calls")
    print(f"metrics cost per update: {per_update:.1f} µs")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
