"""Residents' updates while the database is locked or read-only.

The "last seen" day is best effort: a refusal never adds an error message to the normal reply.
A resident's own change that cannot be saved (a survey answer) gets a clear "send it again in a
minute", not the generic error, and works when they do.
"""

from __future__ import annotations

import sqlite3

from telegram import Update

from bot.handlers.retention import flush_seen
from storage.db import DatabaseUnavailable
from tests import builders as b
from tests.conftest import Harness, close_harness, make_harness
from tests.test_surveys import CHAT, begin, data_for, last_question

NOT_SAVED = "I couldn't save that just now, please send it again in a minute."
GENERIC = "something went wrong"


async def resident(h: Harness, chat: int = CHAT) -> None:
    ts = h.clock.now().isoformat(timespec="seconds")
    await h.db.execute(
        "INSERT INTO residents (chat_id, nag_id, consent, active, created_at, updated_at)"
        " VALUES (?, 'fishermead', 1, 1, ?, ?)",
        (chat, ts, ts),
    )


async def push_allowing_errors(h: Harness, data: dict) -> list[BaseException]:
    """Process an update; return (and clear) the handler errors instead of failing on them."""
    await h.app.process_update(Update.de_json(data, h.app.bot))
    errors, h.errors[:] = list(h.errors), []
    return errors


async def test_help_while_read_only_gets_its_reply_and_no_error_message(tmp_path, content):
    h = await make_harness(tmp_path, content)
    await resident(h)
    await h.db.execute("PRAGMA query_only = 1")  # every write is refused: SQLITE_READONLY
    errors = await push_allowing_errors(h, b.text_update(CHAT, "/help"))
    texts = h.api.texts(CHAT)
    assert errors == [], "the last-seen write is best effort: no handler error"
    assert len(texts) == 1 and "How I can help" in texts[0], "just the normal reply"
    assert not any(GENERIC in t for t in texts)
    await h.db.execute("PRAGMA query_only = 0")
    await close_harness(h)


async def test_help_while_another_program_holds_the_write_lock(tmp_path, content):
    h = await make_harness(tmp_path, content)
    await resident(h)
    other = sqlite3.connect(h.db.path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # SQLITE_BUSY for our writes until it commits
    try:
        errors = await push_allowing_errors(h, b.text_update(CHAT, "/help"))
    finally:
        other.execute("COMMIT")
        other.close()
    assert errors == []
    texts = h.api.texts(CHAT)
    assert len(texts) == 1 and "How I can help" in texts[0]
    # The day is noted in memory; the minute's flush fails while the lock is held and keeps it.
    other = sqlite3.connect(h.db.path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        assert await flush_seen(h.services) == 0
    finally:
        other.execute("COMMIT")
        other.close()
    assert (await h.rows("SELECT last_seen FROM residents"))[0]["last_seen"] is None
    assert await flush_seen(h.services) == 1, "the next flush writes the day kept"
    row = await h.rows("SELECT last_seen FROM residents WHERE chat_id = ?", (CHAT,))
    assert row[0]["last_seen"] == h.clock.now().date().isoformat()
    await close_harness(h)


async def test_a_survey_answer_that_cannot_be_saved_asks_to_send_it_again(tmp_path, content):
    h = await make_harness(tmp_path, content)
    await begin(h)
    question = last_question(h)
    press = b.callback_update(CHAT, data_for(question, "4"), 1)

    await h.db.execute("PRAGMA query_only = 1")
    h.api.clear()
    errors = await push_allowing_errors(h, press)
    assert [type(e) for e in errors] == [DatabaseUnavailable]
    texts = h.api.texts(CHAT)
    assert NOT_SAVED in texts
    assert not any(GENERIC in t for t in texts)
    assert await h.rows("SELECT * FROM survey_answers") == []

    await h.db.execute("PRAGMA query_only = 0")  # the database is back: the same press works
    await h.push(press)
    assert len(await h.rows("SELECT * FROM survey_answers")) == 1
    assert "Question 2" in last_question(h).text
    await close_harness(h)
