"""Erasure is real (issue 20): after /forget, a finished anonymous survey response and a
retention delete, no copy of the erased rows survives in the -wal file or in free space of the
database file. Each test copies the files while the bot still runs and rebuilds the database as
of every commit the -wal holds (tests/walscan.py), then searches every rebuild and the raw bytes.

The `_without_scrub` tests are the control: with Database.scrub turned off the same search finds
the erased chat id, pseudonym and answer, so the passing tests above them can fail.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bot import callback_data as cd
from bot.content import Content
from bot.domain.surveys import pseudonym
from bot.handlers.retention import purge_expired
from storage.db import Database
from tests.conftest import TEST_SECRET, Harness, close_harness, make_harness
from tests.test_delivery import officer_broadcast
from tests.test_survey_anonymity import answer_with_text
from tests.test_surveys import begin, tap
from tests.walscan import Snapshot, find_erased, find_stale, frames

# Above 2**32, so SQLite stores it in 6 bytes (and a 5-byte varint as a rowid): its encodings
# cannot turn up by chance.
CHAT = 5_012_345_678
SECRET_TEXT = "the man at flat 17b on zebra-lane-4417 followed me"
KEY = pseudonym(TEST_SECRET, CHAT)
ERASED: list[str | int] = [CHAT, KEY, SECRET_TEXT]

# The anonymous answer joined to the pseudonym: what must not exist in any commit after the
# response was finished.
JOINED = """
SELECT r.id, a.question_id FROM survey_responses r
JOIN survey_answers a ON a.response_id = r.id
WHERE r.respondent = ? AND a.value LIKE '%' || ? || '%'
"""


@pytest.fixture
def no_scrub(monkeypatch: pytest.MonkeyPatch) -> None:
    async def skipped(self: Database) -> bool:
        return True

    monkeypatch.setattr(Database, "scrub", skipped)


async def resident_with_answers_and_a_broadcast(h: Harness) -> None:
    """A resident half-way through the survey (a free-text answer given, so linked to their
    pseudonym) who got a broadcast and rated it (their chat id in outbox and ratings)."""
    await h.send(CHAT, "/start nag_fishermead")
    await h.press(CHAT, cd.Consent(True).pack())
    await begin(h, chat=CHAT)
    await tap(h, "4", chat=CHAT)  # safe_day
    await tap(h, "1", chat=CHAT)  # safe_dark: 1 -> the free-text question
    await h.send(CHAT, SECRET_TEXT)
    h.services.delivery.use_virtual_time()
    bid = await officer_broadcast(h, "Road closed")
    await h.services.delivery.run_due()
    await h.press(CHAT, cd.Rate(bid, True).pack())
    # The scanner sees them before the erasure (it can fail).
    found = find_erased(Snapshot.take(h.db.path), ERASED)
    for value in ERASED:
        assert any(repr(value) in f for f in found), (value, found)


async def forget(h: Harness) -> None:
    await h.send(CHAT, "/forget")
    await h.press_newest(CHAT, cd.Forget(True).pack())
    assert await h.rows("SELECT * FROM residents WHERE chat_id = ?", (CHAT,)) == []


async def test_forget_leaves_no_copy_in_the_wal_or_free_pages(harness: Harness):
    await resident_with_answers_and_a_broadcast(harness)
    await forget(harness)
    snap = Snapshot.take(harness.db.path)
    assert find_erased(snap, ERASED) == []
    assert frames(snap.wal)[1] == [], "the -wal was truncated"


async def test_without_scrub_forget_leaves_copies_in_the_wal(harness: Harness, no_scrub: None):
    await resident_with_answers_and_a_broadcast(harness)
    await forget(harness)
    found = find_erased(Snapshot.take(harness.db.path), ERASED)
    assert any("WAL generation" in f and "residents" in f for f in found), found
    assert any("-wal bytes hold" in f and repr(SECRET_TEXT) in f for f in found), found


async def test_a_retention_delete_leaves_no_copy(harness: Harness):
    await resident_with_answers_and_a_broadcast(harness)
    harness.clock.advance(days=366)
    assert await purge_expired(harness.services) == 1
    assert find_erased(Snapshot.take(harness.db.path), ERASED) == []


async def test_without_scrub_a_retention_delete_leaves_copies(harness: Harness, no_scrub: None):
    await resident_with_answers_and_a_broadcast(harness)
    harness.clock.advance(days=366)
    assert await purge_expired(harness.services) == 1
    assert find_erased(Snapshot.take(harness.db.path), ERASED) != []


async def finish_anonymously(h: Harness) -> Snapshot:
    await h.settle_in(CHAT, "fishermead")
    await answer_with_text(h, CHAT, SECRET_TEXT)
    kept = await h.rows("SELECT * FROM survey_answers WHERE value LIKE ?", (f"%{SECRET_TEXT}%",))
    assert len(kept) == 1, "the answer stays, for the results"
    assert await h.rows("SELECT * FROM survey_completions WHERE respondent = ?", (KEY,))
    return Snapshot.take(h.db.path)


async def test_a_finished_anonymous_answer_is_in_no_snapshot_joined_to_its_pseudonym(
    harness: Harness,
):
    snap = await finish_anonymously(harness)
    assert find_stale(snap, [KEY, SECRET_TEXT], JOINED, (KEY, SECRET_TEXT)) == []


async def test_without_scrub_the_wal_still_joins_the_answer_to_the_pseudonym(
    harness: Harness, no_scrub: None
):
    snap = await finish_anonymously(harness)
    found = find_stale(snap, [KEY, SECRET_TEXT], JOINED, (KEY, SECRET_TEXT))
    assert any("WAL generation" in f for f in found), found


async def test_secure_delete_is_on_and_scrub_waits_out_a_reader(tmp_path: Path, content: Content):
    """A reader holding an old snapshot blocks the TRUNCATE checkpoint: scrub tries again after
    a pause (here the pause ends the reader), without the bot's lock held meanwhile."""
    pauses: list[float] = []
    reader = sqlite3.connect(tmp_path / "bot.sqlite3")

    async def pause(seconds: float) -> None:
        assert not h.db._lock.locked(), "the bot's statements go on during the pause"
        pauses.append(seconds)
        reader.rollback()  # the reader finishes during the pause

    h = await make_harness(tmp_path, content)
    try:
        db = h.db
        db._sleep = pause
        assert (await db.fetchone("PRAGMA secure_delete"))[0] == 1
        await h.settle_in(CHAT)
        reader.execute("BEGIN")
        reader.execute("SELECT count(*) FROM residents").fetchall()
        await h.services.residents.touch(CHAT + 1, h.clock.now())  # a frame after its snapshot
        assert await db.scrub() is True
        assert pauses == [0.2]
        assert Path(f"{db.path}-wal").stat().st_size == 0
    finally:
        reader.close()
        await close_harness(h)


async def test_scrub_gives_up_after_its_tries_and_says_so(
    tmp_path: Path, content: Content, caplog: pytest.LogCaptureFixture
):
    pauses: list[float] = []

    async def pause(seconds: float) -> None:
        pauses.append(seconds)

    h = await make_harness(tmp_path, content)
    reader = sqlite3.connect(tmp_path / "bot.sqlite3")
    try:
        h.db._sleep = pause
        await h.settle_in(CHAT)
        reader.execute("BEGIN")
        reader.execute("SELECT count(*) FROM residents").fetchall()
        await h.services.residents.touch(CHAT + 1, h.clock.now())
        assert await h.db.scrub() is False
        assert pauses == [0.2, 0.8, 3.2]
        assert "readers kept the checkpoint from finishing" in caplog.text
    finally:
        reader.close()
        await close_harness(h)


async def test_a_cancelled_response_leaves_no_copy_of_its_answers(harness: Harness):
    h = harness
    await h.settle_in(CHAT, "fishermead")
    await begin(h, chat=CHAT)
    await tap(h, "4", chat=CHAT)
    await tap(h, "1", chat=CHAT)
    await h.send(CHAT, SECRET_TEXT)
    (row,) = await h.rows("SELECT id FROM survey_responses WHERE respondent = ?", (KEY,))
    await h.services.surveys.cancel(row["id"], h.clock.now())
    assert find_erased(Snapshot.take(h.db.path), [SECRET_TEXT]) == []
