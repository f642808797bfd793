"""Updates/s and CPU per update: the SaferMK bot side by side with bare python-telegram-bot.

Every run starts a fresh fake Bot API process (bench/fake_api.py, pinned to CPU 1 with this
driver) preloaded with N updates, then the bot under test as its own process (pinned to CPU 0):

  safermk          `python -m bot run --config <temp config>` (temp SQLite, content/)
  echo             bench/echo_bot.py, default ApplicationBuilder
  echo-concurrent  bench/echo_bot.py with concurrent_updates(True)

All bots get the same update stream: M chats round-robin, each chat doing /start, an area search
("MK6 2LP", "Fishermead", "Shenly Lodge", ...), /nag, /campaigns, then /start again (see
bench/fake_api.py: make_updates).

Measured window (all timestamps in the fake's clock):
  start = arrival of the bot's first getUpdates request
  end   = the last send answered (sendMessage etc.), where the run counts as complete once
          (a) the bot acknowledged all N updates through getUpdates' offset, (b) at least N sends
          arrived (every update gets at least one reply) and (c) no send came for --quiet s.
  updates/s       = N / (end - start)
  CPU ms/update   = bot process user+sys CPU (all threads, /proc/<pid>/stat) read by the fake
                    at start and at the last send, divided by N. Startup (imports, getMe,
                    setMyCommands) is outside the window.

Configurations are interleaved (rep 1 of every configuration, then rep 2, ...) and the median
of the repetitions is reported.

  .venv/bin/python -m bench.bench_updates                 # full run (about 10 minutes)
  .venv/bin/python -m bench.bench_updates --runs 1 --bots safermk,echo --latencies 0 --n 1000
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
# Test-shaped token (5 digits): never a real token's 8-10 digit shape.
TOKEN = "12345:" + "A" * 35
BOT_CPU = 0
FAKE_CPU = 1
SRC = ROOT  # source tree the SaferMK bot runs from (--src)
BASE_SRC: Path | None = None  # the "base" bot's tree (--base-src), e.g. the commit before
PROFILE_DIR: Path | None = None  # --profile: py-spy records each SaferMK run here (raw format)
CPROFILE_DIR: Path | None = None  # --cprofile: cProfile's stats of each SaferMK run's main thread

BOTS = {
    "safermk": "SaferMK bot (own HTTP/1.1 pool + per-chat ordered concurrency)",
    "echo": "PTB echo bot, default (one update at a time)",
    "echo-concurrent": "PTB echo bot, concurrent_updates(True)",
    "aiogram": "aiogram 3 echo bot (handlers as tasks)",
    "base": "SaferMK bot before (--base-src)",
}
# SaferMK variants: "safermk+uvloop+fast" runs bench/botrun.py with these switches on.
VARIANTS = {
    "uvloop": ("SAFERMK_BENCH_UVLOOP", "1"),
    "seen": ("SAFERMK_BENCH_SEEN", "once"),
    "areacache": ("SAFERMK_BENCH_AREACACHE", "1"),
    "nometrics": ("SAFERMK_BENCH_METRICS", "0"),
    # statements handed to the database thread, counted into a file in the temp folder
    "sqlcount": ("SAFERMK_BENCH_SQLCOUNT", ""),
}
# "safermk+webhook" runs the bot in webhook mode: the fake posts the same stream to the bot's
# own HTTP server (bench/webhook_poster.py) instead of serving it to getUpdates.
MODES = ("webhook",)
WEBHOOK_SECRET = "bench-webhook-secret-" + "w" * 20


def label(bot: str) -> str:
    base, *flags = bot.split("+")
    return BOTS[base] + "".join(f" + {f}" for f in flags)


def free_port() -> int:
    """A port free now, for the bot's HTTP server (the fake must know it before the bot starts)."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# Default N per (bot, latency ms): the slow configurations get fewer updates so each run takes
# 10-25 s; per-update figures do not depend on N once the run is long enough.
DEFAULT_N = {
    ("echo", 30): 500,
    ("echo-concurrent", 30): 2000,
}


@dataclass
class Run:
    bot: str
    latency_ms: float
    n: int
    chats: int
    stream: str = "journey"
    startup_s: float | None = None
    ok: bool = False
    error: str = ""
    updates_per_s: float | None = None
    cpu_ms_per_update: float | None = None
    sends: int = 0
    wall_s: float | None = None
    bot_cpu_s: float | None = None
    fake_cpu_share: float | None = None
    peak_rss_mib: float | None = None
    error_log_lines: int = 0
    status: dict[str, Any] = field(default_factory=dict)


def pin(cpu: int) -> None:
    if hasattr(os, "sched_setaffinity") and cpu < os.cpu_count():  # type: ignore[operator]
        os.sched_setaffinity(0, {cpu})


def write_config(tmp: Path, api_url: str, webhook_port: int | None = None) -> Path:
    path = tmp / "config.yaml"
    webhook = (
        f'  mode: webhook\n  webhook_url: "https://bench.invalid/hook"\n'
        f'  webhook_secret: "{WEBHOOK_SECRET}"\n'
        if webhook_port
        else ""
    )
    http = f"http:\n  port: {webhook_port}\n" if webhook_port else ""
    path.write_text(
        f"""
telegram:
  token: "{TOKEN}"
  api_url: "{api_url}"
{webhook}{http}storage:
  path: "{tmp / "bench.sqlite3"}"
content:
  dir: "{SRC / "content"}"
survey:
  secret: "bench-survey-secret-at-least-32-characters"
""",
        encoding="utf-8",
    )
    return path


def bot_command(bot: str, config: Path) -> list[str]:
    if bot.startswith(("safermk", "base")):
        return [PY, str(ROOT / "bench" / "botrun.py"), "run", "--config", str(config)]
    if bot == "aiogram":
        return [PY, "-m", "bench.aiogram_echo"]
    if bot == "echo":
        return [PY, "-m", "bench.echo_bot"]
    if bot == "echo-concurrent":
        return [PY, "-m", "bench.echo_bot", "--concurrent"]
    raise ValueError(bot)


def http_json(url: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method="POST" if data else "GET")
    if data:
        req.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.loads(resp.read())


def peak_rss_mib(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def stop(proc: subprocess.Popen, timeout: float = 20) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def one_run(
    bot: str, latency_ms: float, n: int, chats: int, quiet: float, keep: bool, stream: str
) -> Run:
    run = Run(bot, latency_ms, n, chats, stream)
    tmp = Path(tempfile.mkdtemp(prefix=f"bench-{bot}-"))
    webhook_port = free_port() if "webhook" in bot.split("+") else None
    to = ["--webhook-to", f"http://127.0.0.1:{webhook_port}"] if webhook_port else []
    fake = subprocess.Popen(
        [PY, "-m", "bench.fake_api", "--port", "0", "--latency-ms", str(latency_ms),
         "--preload", str(n), "--chats", str(chats), "--cpu", str(FAKE_CPU), "--no-report",
         "--stream", stream, *to],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=open(tmp / "fake.log", "wb"), text=True,
    )  # fmt: skip
    proc: subprocess.Popen | None = None
    try:
        line = fake.stdout.readline()  # type: ignore[union-attr]
        if not line.startswith("READY "):
            run.error = f"fake API did not start: {line!r}"
            return run
        url = line.split()[1]
        env = {**os.environ, "TELEGRAM_API_URL": url, "TELEGRAM_BOT_TOKEN": TOKEN}
        env.pop("PYTHONPROFILEIMPORTTIME", None)
        log = open(tmp / "bot.log", "wb")
        tree = BASE_SRC if bot.startswith("base") else SRC
        if bot.startswith(("safermk", "base")):
            assert tree is not None, "--base-src is needed for the base bot"
            env["PYTHONPATH"] = str(tree)  # the bot from its tree, bench/botrun.py from here
            for flag in bot.split("+")[1:]:
                if flag in MODES:
                    continue
                name, value = VARIANTS[flag]
                if flag == "sqlcount":  # beside the temp dirs, kept: printed below
                    value = str(Path(tempfile.gettempdir()) / f"sqlcount-{tmp.name}.txt")
                    print(f"    statements counted into {value}")
                env[name] = value
        cwd = tree if bot.startswith(("safermk", "base")) else ROOT
        command = bot_command(bot, write_config(tmp, url, webhook_port))
        if PROFILE_DIR is not None and bot.startswith(("safermk", "base")):
            out = PROFILE_DIR / f"{bot}-{stream}-{latency_ms:g}ms-{time.monotonic_ns()}.txt"
            spy = Path(PY).with_name("py-spy")
            command = [str(spy), "record", "-r", "250", "-f", "raw", "-o", str(out), "--"] + command
        if CPROFILE_DIR is not None and bot.startswith(("safermk", "base")):
            out = CPROFILE_DIR / f"{bot}-{stream}-{latency_ms:g}ms-{time.monotonic_ns()}.pstats"
            env["SAFERMK_BENCH_CPROFILE"] = str(out)
        spawned = time.monotonic()  # CLOCK_MONOTONIC: the fake's clock too
        proc = subprocess.Popen(
            command, cwd=cwd, env=env, start_new_session=True,
            stdout=log, stderr=subprocess.STDOUT, preexec_fn=lambda: pin(BOT_CPU),
        )  # fmt: skip
        http_json(f"{url}/_bench/watch", {"pid": proc.pid})
        deadline = time.monotonic() + 60 + n / 10  # generous: 10 updates/s plus startup
        status: dict[str, Any] = {}
        rss = None
        while time.monotonic() < deadline:
            time.sleep(0.1)
            if proc.poll() is not None:
                run.error = f"bot exited early with {proc.returncode}"
                break
            status = http_json(f"{url}/_bench/status")
            rss = peak_rss_mib(proc.pid) or rss
            if (
                status["acked"] >= n
                and status["sends"] >= n
                and status["since_last_send"] is not None
                and status["since_last_send"] >= quiet
            ):
                run.ok = True
                break
        else:
            run.error = f"timed out: {status}"
        run.status = status
        run.peak_rss_mib = rss
        if status.get("ready_t"):
            run.startup_s = status["ready_t"] - spawned
        if run.ok:
            run.sends = status["sends"]
            run.wall_s = status["wall_s"]
            run.bot_cpu_s = status["bot_cpu_s"]
            run.updates_per_s = n / status["wall_s"]
            if status["bot_cpu_s"] is not None:
                run.cpu_ms_per_update = status["bot_cpu_s"] * 1000 / n
            if status["fake_cpu_s"] is not None:
                run.fake_cpu_share = status["fake_cpu_s"] / status["wall_s"]
    finally:
        if proc is not None:
            if PROFILE_DIR is not None:
                # py-spy writes its file when interrupted (and stops the bot it started)
                proc.send_signal(signal.SIGINT)
                try:
                    proc.wait(30)
                except subprocess.TimeoutExpired:
                    pass
            stop(proc)
            try:  # whatever it started (py-spy's bot) goes with it: no bot left polling
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        stop(fake)
    text = (tmp / "bot.log").read_text(errors="replace")
    run.error_log_lines = sum(1 for ln in text.splitlines() if " ERROR " in ln or "Traceback" in ln)
    if proc is not None and proc.returncode not in (0, -signal.SIGTERM) and not run.error:
        run.error = f"bot exit code {proc.returncode}"
    if run.error or run.error_log_lines:
        print(f"    log kept in {tmp}; last lines:\n" + "\n".join(text.splitlines()[-8:]))
    elif not keep:
        for p in tmp.iterdir():
            p.unlink()
        tmp.rmdir()
    return run


def median(values: list[float | None]) -> float | None:
    vals = [v for v in values if v is not None]
    return statistics.median(vals) if vals else None


def fmt(v: float | None, spec: str) -> str:
    return "—" if v is None else format(v, spec)


Config = tuple[str, str, float, int]  # stream, bot, latency ms, N


def summarise(runs: list[Run], configs: list[Config]) -> str:
    rows = []
    medians: dict[tuple[str, str, float], dict[str, Any]] = {}
    for stream, bot, lat, _n in configs:
        rs = [
            r for r in runs if r.stream == stream and r.bot == bot and r.latency_ms == lat and r.ok
        ]
        medians[(stream, bot, lat)] = {
            "ups": median([r.updates_per_s for r in rs]),
            "cpu": median([r.cpu_ms_per_update for r in rs]),
            "sends": median([r.sends / r.n for r in rs]),
            "fake": median([r.fake_cpu_share for r in rs]),
            "rss": median([r.peak_rss_mib for r in rs]),
            "startup": median([r.startup_s for r in rs]),
            "all": [r.updates_per_s for r in rs],
        }
    head = (
        "| stream | bot | added latency | N | updates/s (median) | runs, updates/s "
        "| CPU ms/update | vs PTB echo | vs aiogram echo | replies/update | fake API CPU "
        "| peak RSS MiB | start-up s |\n"
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
    )
    for stream, bot, lat, n in configs:
        m = medians[(stream, bot, lat)]
        ref = medians.get((stream, "echo", lat), {}).get("ups")
        refa = medians.get((stream, "aiogram", lat), {}).get("ups")
        ratio = f"{m['ups'] / ref:.2f}×" if m["ups"] and ref else "—"
        ratioa = f"{m['ups'] / refa:.2f}×" if m["ups"] and refa else "—"
        runs_s = ", ".join(f"{v:,.0f}" for v in m["all"])
        rows.append(
            f"| {stream} | {label(bot)} | {lat:g} ms | {n:,} | {fmt(m['ups'], ',.0f')} "
            f"| {runs_s} | {fmt(m['cpu'], '.2f')} | {ratio} | {ratioa} "
            f"| {fmt(m['sends'], '.2f')} "
            f"| {fmt(m['fake'] * 100 if m['fake'] is not None else None, '.0f')}% "
            f"| {fmt(m['rss'], '.0f')} | {fmt(m['startup'], '.2f')} |"
        )
    return head + "\n" + "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--bots", default="safermk,echo,aiogram,echo-concurrent")
    p.add_argument(
        "--streams", default="text,journey",
        help="any of text, journey, hello, unique (bench/fake_api.py: make_updates)",
    )  # fmt: skip
    p.add_argument("--latencies", default="0,30", help="added ms per Bot API answer")
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--n", type=int, default=5000, help="updates per run")
    p.add_argument("--chats", type=int, default=1000, help="distinct chats (at most N/5 used)")
    p.add_argument(
        "--n-for", action="append", default=[], metavar="BOT@MS=N",
        help="N for one configuration (defaults: echo@30=500, echo-concurrent@30=2000)",
    )  # fmt: skip
    p.add_argument("--quiet", type=float, default=1.0, help="seconds without sends = done")
    p.add_argument("--json", help="also write every run as JSON here")
    p.add_argument("--keep", action="store_true", help="keep temp dirs (logs, database)")
    p.add_argument(
        "--src", type=Path, default=ROOT,
        help="run the SaferMK bot (code and content/) from this tree, e.g. a `git archive` "
        "snapshot of one commit, while the working tree is being edited",
    )  # fmt: skip
    p.add_argument("--base-src", type=Path, help="the tree of the 'base' bot (SaferMK before)")
    p.add_argument(
        "--profile", type=Path, metavar="DIR",
        help="record each SaferMK run with py-spy (pip install py-spy) into DIR; summarise with"
        " bench/profile_summary.py (figures include py-spy's own overhead: compare, don't quote)",
    )  # fmt: skip
    p.add_argument(
        "--cprofile", type=Path, metavar="DIR",
        help="run each SaferMK bot under cProfile timed by the main thread's CPU clock (start-up"
        " included; the database thread is not seen), stats into DIR (read with pstats; the"
        " profiler slows the bot down: compare shares, don't quote times)",
    )  # fmt: skip
    args = p.parse_args(argv)
    global SRC, BASE_SRC, PROFILE_DIR, CPROFILE_DIR
    if args.profile:
        PROFILE_DIR = args.profile.resolve()
        PROFILE_DIR.mkdir(parents=True, exist_ok=True)
    if args.cprofile:
        CPROFILE_DIR = args.cprofile.resolve()
        CPROFILE_DIR.mkdir(parents=True, exist_ok=True)
    SRC = args.src.resolve()
    BASE_SRC = args.base_src.resolve() if args.base_src else None
    pin(FAKE_CPU)  # the driver shares the fake's core; the bot has CPU 0 to itself

    n_for = {k: v for k, v in DEFAULT_N.items()} if args.n == 5000 else {}
    for item in args.n_for:
        key, n = item.split("=")
        bot, ms = key.split("@")
        n_for[(bot, float(ms))] = int(n)
    configs: list[Config] = [
        (stream, bot, float(lat), n_for.get((bot, float(lat)), args.n))
        for stream in args.streams.split(",")
        for lat in args.latencies.split(",")
        for bot in args.bots.split(",")
    ]
    runs: list[Run] = []
    started = time.monotonic()
    for rep in range(1, args.runs + 1):
        for stream, bot, lat, n in configs:
            chats = min(args.chats, max(1, n // 5))
            r = one_run(bot, lat, n, chats, args.quiet, args.keep, stream)
            runs.append(r)
            print(
                f"[{time.monotonic() - started:6.0f}s] rep {rep} {stream:7} {bot:20} {lat:4g} ms "
                f"N={n:<5} "
                + (
                    f"{r.updates_per_s:8.0f} updates/s "
                    f"{fmt(r.cpu_ms_per_update, '6.2f')} ms CPU/update "
                    f"sends={r.sends} fake CPU {fmt((r.fake_cpu_share or 0) * 100, '.0f')}% "
                    f"RSS {fmt(r.peak_rss_mib, '.0f')} MiB start-up {fmt(r.startup_s, '.2f')} s"
                    + (f" ERROR LOG LINES {r.error_log_lines}" if r.error_log_lines else "")
                    if r.ok
                    else f"FAILED: {r.error}"
                ),
                flush=True,
            )
    print()
    print(summarise(runs, configs))
    print(f"\ntotal bench time {time.monotonic() - started:.0f} s")
    if args.json:
        Path(args.json).write_text(json.dumps([asdict(r) for r in runs], indent=1))
    return 0 if all(r.ok for r in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
