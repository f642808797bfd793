"""SIGTERM during a broadcast (bot/telegram/stopping.py): the real `python -m bot run` against the Bot API
double over HTTP on 127.0.0.1, stopped three times (the API answering; silent on getUpdates;
silent altogether) and restarted on the same database each time until the broadcast is done.

Nobody is missed, nobody gets it twice (the double counts every send per chat), and every stop
ends with exit code 0: the watchdog, which ends a stop that is not over after 9.5 s with code 1,
never had to. bench/bench_sigterm.py is the same with 20 stops and the times."""

from __future__ import annotations

import argparse
import socket

from bench.bench_sigterm import MODES, run


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_three_sigterms_during_a_broadcast_miss_nobody_and_repeat_nothing() -> None:
    args = argparse.Namespace(subscribers=300, stops=3, seed=3, latency=0.03, port=free_port())
    r = run(args)
    stops = r["stops"]
    final = r["final"]
    assert isinstance(stops, list) and isinstance(final, dict)
    assert [s["mode"] for s in stops] == list(MODES[: len(stops)])
    assert all(s["code"] == 0 for s in stops), stops
    assert r["last_code"] == 0
    assert final["distinct"] == 300, "nobody missed"
    assert final["duplicates"] == 0, "nobody twice"
    assert r["outbox"] == {"sent": 300}
