"""Broadcast delivery while the database refuses writes (locked, read-only), in virtual time.

What must hold: every consenting resident gets the message once; a delivered message is never
recorded as failed because the database was unavailable; the sender waits with a backoff (no
busy loop) and resumes by itself when the database is back; other due broadcasts still go out;
a stop during an outage repeats, after the restart, at most the messages it could not record.
"""

from __future__ import annotations

import asyncio

from tests.conftest import ADMIN_ID, close_harness
from tests.faults import (
    TEXT,
    DbOutage,
    accepted,
    add_residents,
    fault_harness,
    officer_broadcast,
    report_counts,
)

RESIDENTS = range(1000, 1200)


async def run(h, guard: float = 20.0) -> None:  # noqa: ANN001
    # A hang detector only (real seconds): the old sender spun forever after an outage.
    async with asyncio.timeout(guard):
        await h.services.delivery.run_due()


async def test_read_only_for_30_s_mid_broadcast_loses_nothing_and_resumes_by_itself(
    tmp_path, content
):
    h, _, vt = await fault_harness(tmp_path, content)
    chats = await add_residents(h, RESIDENTS)
    bid = await officer_broadcast(h)
    outage = DbOutage(h, "read-only", start=2.0, duration=30.0)  # about 50 messages in
    vt.hooks.append(outage.tick)
    await run(h)
    delivery = h.services.delivery

    assert outage.state == "over", "the outage happened and ended while sending"
    got = accepted(h.api)
    assert sorted(got) == chats and set(got.values()) == {1}, "everyone once, nobody twice"
    progress = await h.services.broadcasts.progress(bid)
    assert progress == {"sent": len(chats)}, "delivered messages are recorded as sent"
    assert (await h.services.broadcasts.get(bid)).status == "done", "finished without restart"
    assert await report_counts(h, bid) == {"sent": len(chats), "remaining": 0, "failed": 0}
    # The admin heard once that the database could not be written, and once that it is over.
    alerts = h.api.texts(ADMIN_ID)
    assert len(alerts) == 2, alerts
    assert "database cannot be written" in alerts[0] and "read-only" in alerts[0]
    assert alerts[1].startswith("✅") and "recovered" in alerts[1]
    assert not h.services.status.open_problems()

    # No busy loop: a 30-second outage costs a handful of tries, each after a longer wait.
    stats = delivery.stats
    assert 1 <= stats.db_waits <= 12  # 0.5 + 1 + 2 + 4 + 8 + 10 + 10 ... seconds
    assert stats.polls <= stats.db_waits + 3
    assert stats.max_unrecorded <= delivery.window
    await close_harness(h)


async def test_a_15_s_lock_mid_broadcast_records_deliveries_as_sent_not_failed(tmp_path, content):
    h, _, vt = await fault_harness(tmp_path, content)
    chats = await add_residents(h, RESIDENTS)
    bid = await officer_broadcast(h)
    outage = DbOutage(h, "locked", start=2.0, duration=15.0)
    vt.hooks.append(outage.tick)
    await run(h)

    assert outage.state == "over"
    assert sorted(accepted(h.api)) == chats
    assert await h.services.broadcasts.progress(bid) == {"sent": len(chats)}
    assert h.services.delivery.stats.failed == 0
    await close_harness(h)


async def test_a_broadcast_with_rows_left_sending_does_not_starve_the_next_one(tmp_path, content):
    """Rows left 'sending' with no request behind them (an earlier outage, a failed release)
    used to make the sender spin on that broadcast until it expired, hours later."""
    h, _, _ = await fault_harness(tmp_path, content)
    chats = await add_residents(h, range(1000, 1020))
    first = await officer_broadcast(h, "First")
    second = await officer_broadcast(h, "Second")
    store = h.services.broadcasts
    await store.materialise(await store.get(first), h.clock.now())
    await h.db.execute(
        "UPDATE outbox SET status = 'sending' WHERE broadcast_id = ? AND chat_id < 1003", (first,)
    )
    await run(h)
    texts = [c.text for c in h.api.sent("sendMessage")]
    assert texts.count("First") == len(chats) and texts.count("Second") == len(chats)
    assert (await store.get(first)).status == "done"
    assert (await store.get(second)).status == "done"
    assert h.services.delivery.stats.polls <= 4
    await close_harness(h)


async def test_a_stop_during_an_outage_repeats_at_most_the_unrecorded_window(tmp_path, content):
    """The documented bound: after a restart, only sends confirmed but not yet written (at most
    `window`, held in memory while the database was unavailable) can be sent again."""
    h, _, vt = await fault_harness(tmp_path, content)
    chats = await add_residents(h, RESIDENTS)
    bid = await officer_broadcast(h)
    delivery = h.services.delivery
    outage = DbOutage(h, "read-only", start=2.0, duration=3600.0)

    async def stop_in_the_outage(now: float) -> None:
        if outage.state == "on" and delivery.stats.db_waits >= 2:
            delivery._stop = True  # what SIGTERM does through Application.stop()

    vt.hooks += [outage.tick, stop_in_the_outage]
    await run(h)
    unrecorded = delivery.unrecorded
    assert 0 < unrecorded <= delivery.window, "results were held in memory, within the window"
    await close_harness(h)  # the database is still refusing writes: they are lost

    h2, _, _ = await fault_harness(tmp_path, content, api=h.api)
    await run(h2)
    got = accepted(h2.api)
    assert sorted(got) == chats, "nobody missed"
    doubled = [c for c, n in got.items() if n > 1]
    assert len(doubled) == unrecorded <= h2.services.delivery.window
    assert set(got.values()) <= {1, 2}
    assert await h2.services.broadcasts.progress(bid) == {"sent": len(chats)}
    texts = [c for c in h2.api.calls if c.method == "sendMessage" and c.text == TEXT]
    assert len(texts) == len(chats) + unrecorded
    await close_harness(h2)
