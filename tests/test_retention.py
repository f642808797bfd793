"""Retention and inactive residents: last use recorded daily, a year's silence deletes the data."""

from __future__ import annotations

from bot.handlers.retention import flush_seen, purge_expired
from tests import builders as b
from tests.conftest import Harness
from tests.fakes.botapi import Failure

CHAT = 777001


async def test_last_seen_recorded_and_year_old_residents_deleted(harness: Harness):
    await harness.send(CHAT, "/start nag_olney")
    await harness.send(CHAT, "/nag")
    row = (await harness.rows("SELECT last_seen FROM residents WHERE chat_id = ?", (CHAT,)))[0]
    assert row["last_seen"] == "2026-11-23"
    harness.clock.advance(days=364)
    assert await purge_expired(harness.services) == 0
    harness.clock.advance(days=2)
    assert await purge_expired(harness.services) == 1
    assert await harness.rows("SELECT * FROM residents WHERE chat_id = ?", (CHAT,)) == []


async def test_use_within_the_year_keeps_the_resident(harness: Harness):
    await harness.send(CHAT, "/start nag_olney")
    harness.clock.advance(days=300)
    await harness.send(CHAT, "/nag")
    harness.clock.advance(days=300)
    assert await purge_expired(harness.services) == 0


async def test_forbidden_on_reply_marks_resident_inactive(harness: Harness):
    await harness.send(CHAT, "/start nag_olney")
    harness.api.fail_next("sendMessage", Failure(403, "Forbidden: bot was blocked by the user"))
    await harness.app.process_update(b.to_update(b.text_update(CHAT, "/help"), harness.app.bot))
    harness.errors.clear()  # the Forbidden reached the error handler, as intended
    rows = await harness.rows("SELECT active FROM residents WHERE chat_id = ?", (CHAT,))
    assert rows[0]["active"] == 0


async def test_writing_before_signing_up_still_records_the_day_of_sign_up(harness: Harness):
    await harness.send(CHAT, "thanks")  # not a resident yet: noted for the day, nothing written
    assert await harness.rows("SELECT * FROM residents WHERE chat_id = ?", (CHAT,)) == []
    await harness.send(CHAT, "/start nag_olney")
    await harness.send(CHAT, "/nag")
    seen = "SELECT last_seen FROM residents WHERE chat_id = ?"
    assert (await harness.rows(seen, (CHAT,)))[0]["last_seen"] == "2026-11-23", "signing up"
    harness.clock.advance(days=1)
    await harness.send(CHAT, "/nag")
    assert (await harness.rows(seen, (CHAT,)))[0]["last_seen"] == "2026-11-23", "not yet written"
    assert await flush_seen(harness.services) == 1  # the minute's job
    assert (await harness.rows(seen, (CHAT,)))[0]["last_seen"] == "2026-11-24", "the next day"
    harness.clock.advance(days=365)
    assert await purge_expired(harness.services) == 0, "a year from the last use, not sign-up"
    harness.clock.advance(days=1)
    assert await purge_expired(harness.services) == 1
