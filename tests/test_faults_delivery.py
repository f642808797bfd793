"""Fault injection for broadcast delivery: the Bot API and the database misbehaving mid-send.

Every scenario sends one broadcast to 200 consenting residents in virtual time (no sleeps) and
checks the same promises:
* nobody missed, nobody who did not consent reached;
* duplicates only within the documented bound (none here without a restart, except a message
  whose answer was lost: Telegram had it, the bot could not know, so the retry repeats it);
* no busy loop: a database outage costs a few tries spaced by a growing wait (counted, not
  timed);
* recovery without a restart: the broadcast ends 'done';
* the officer's /report is true: its sent and failed counts match what the fake received.
"""

from __future__ import annotations

from collections import Counter

import pytest

from bot.domain.disclosure import rounded
from tests.conftest import close_harness
from tests.faults import (
    CONNECT_TIMEOUT,
    HANG,
    LOST_ANSWER,
    RESET,
    DbOutage,
    ScenarioResult,
    accepted,
    add_residents,
    fault_harness,
    flood_storm,
    network_faults,
    officer_broadcast,
    report_counts,
    run_scenario,
    server_outages,
)


def assert_promises(r: ScenarioResult, *, repeated: Counter[int] | None = None) -> None:
    """`repeated`: how many extra copies each chat may get (one per answer that was lost)."""
    repeated = repeated or Counter()
    assert r.missed == [], f"{r.name}: residents missed"
    assert not [c for c in r.received if c < 1000], f"{r.name}: reached someone without consent"
    extra = Counter({c: n - 1 for c, n in r.received.items() if n > 1})
    assert extra == repeated, f"{r.name}: unexpected duplicates"
    assert r.status == "done", f"{r.name}: not finished"
    assert r.progress == {"sent": len(r.chats)}, f"{r.name}: {r.progress}"
    assert r.report == {"sent": len(r.chats), "remaining": 0, "failed": 0}
    assert r.stats.max_unrecorded <= r.window


# ---------------------------------------------------------------- the Bot API


async def test_a_429_storm_with_growing_retry_after_pauses_the_lane_each_time(tmp_path, content):
    waits = [1, 2, 4, 8, 16, 32]
    r = await run_scenario(tmp_path, content, "429 storm", responder=flood_storm(40, waits))
    assert_promises(r)
    assert r.stats.flood == len(waits)
    assert r.virtual_seconds >= sum(waits), "the lane waited as long as Telegram asked, each time"


async def test_5xx_bursts_are_retried_and_nothing_is_marked_failed(tmp_path, content):
    """Two outages of 12 and 5 virtual seconds: shorter than a message's retries (1+2+4+8 s)."""
    r = await run_scenario(tmp_path, content, "5xx bursts", outages=[(1.0, 13.0), (15.0, 20.0)])
    assert r.error_answers >= 5, "the outages happened"
    assert_promises(r)
    assert r.stats.failed == 0


@pytest.mark.parametrize("kind", [RESET, CONNECT_TIMEOUT, HANG])
async def test_requests_that_never_reach_telegram_are_retried(tmp_path, content, kind):
    r = await run_scenario(tmp_path, content, kind, plan=network_faults(kind, 0.1, seed=7))
    assert r.faults[kind] >= 10, "the faults happened"
    assert_promises(r)


async def test_a_lost_answer_repeats_exactly_that_message_and_nothing_else(tmp_path, content):
    """The one at-least-once case: the request reached Telegram, the answer did not come back."""
    r = await run_scenario(
        tmp_path, content, "lost answers", plan=network_faults(LOST_ANSWER, 0.05, seed=3)
    )
    assert r.lost_answers, "the faults happened"
    assert_promises(r, repeated=Counter(r.lost_answers))


# ---------------------------------------------------------------- the database


@pytest.mark.parametrize("kind", DbOutage.KINDS)
@pytest.mark.parametrize("seconds", [5, 30, 120])
async def test_a_database_outage_mid_broadcast(tmp_path, content, kind, seconds):
    r = await run_scenario(
        tmp_path, content, f"db {kind} {seconds}s", db=(kind, 2.0, float(seconds))
    )
    outage = r.outage
    assert outage is not None and outage.state == "over", "the outage began and ended mid-send"
    assert outage.stats_on.sent < len(r.chats), "it began before the end of the broadcast"
    assert_promises(r)
    assert r.stats.failed == 0, "nothing delivered is recorded as failed"
    # No busy loop: each try waits 0.5 s, 1 s, 2 s ... up to 10 s, so a 120-second outage
    # costs about 16 tries. The bounds below are generous on purpose.
    tries = outage.during("db_waits")
    sent = outage.during("sent")
    assert 1 <= tries <= seconds / 10 + 8
    assert outage.during("db_errors") <= tries + 2, "one refused write per try"
    assert outage.during("polls") <= tries + 2
    assert outage.during("claims") <= tries + 2 + sent / r.window + 1
    if kind != "full":
        # Nothing goes out after the first refusal: only what was already on its way.
        assert sent <= 2 * r.window
    # A "full" database (max_page_count pinned) refuses only writes that need a new page, so
    # sending goes on between refusals; each refusal still costs one backoff wait.


async def test_everything_at_once_and_a_second_broadcast_is_not_starved(tmp_path, content):
    """Read-only for 30 s while Telegram answers 429s and 5xx: both due broadcasts finish."""
    h, request, vt = await fault_harness(tmp_path, content)
    chats = await add_residents(h, range(1000, 1150))
    first = await officer_broadcast(h, "First")
    second = await officer_broadcast(h, "Second")
    outage = DbOutage(h, "read-only", 3.0, 30.0)
    vt.hooks.append(outage.tick)
    storm = flood_storm(60, [3, 6])
    errors = server_outages([(0.7, 3.0), (8.0, 10.0)], vt.now)
    h.api.responder = lambda m, p: storm(m, p) or errors(m, p)
    request.plan = network_faults(RESET, 0.05, seed=11)
    await h.services.delivery.run_due()
    h.api.responder = None
    request.plan = None
    assert outage.state == "over"
    got = accepted(h.api)
    texts = [c.text for c in h.api.calls if c.method == "sendMessage" and c.chat_id >= 1000]
    assert sorted(got) == chats and set(got.values()) == {2}, "each got both, once each"
    assert texts.count("First") >= len(chats) and texts.count("Second") >= len(chats)
    for bid in (first, second):
        assert (await h.services.broadcasts.get(bid)).status == "done"
        sent = rounded(len(chats), 5)  # delivery figures are rounded to a multiple of k
        assert await report_counts(h, bid) == {"sent": sent, "remaining": 0, "failed": 0}
    await close_harness(h)
