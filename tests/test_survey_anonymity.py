"""Anonymous survey responses can't be linked back to a resident, even by someone holding the
whole database and the survey key: what remains on them (the NAG and the week) is shared by
everyone of that NAG who answered that week, their ids are random, and migration 006 coarsens rows
stored before. The start-date filter still works, a week at a time."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from bot.content import Content
from storage.db import Database
from tests.conftest import LONDON, OFFICER_ID, Harness
from tests.olddb import database_before
from tests.test_surveys import CS, begin, tap

MONDAY = datetime(2026, 11, 23, 9, 0, tzinfo=LONDON)
FISHERMEAD = (700001, 700002, 700003)


async def join_nag(h: Harness, chat: int, nag: str) -> None:
    await h.settle_in(chat, nag)


async def answer_with_text(h: Harness, chat: int, text: str) -> None:
    """The community safety survey with a free-text answer that identifies who wrote it."""
    await begin(h, CS, chat)
    await tap(h, "4", chat)  # safe_day
    await tap(h, "1", chat)  # safe_dark: 1 -> unsafe_why is asked
    await h.send(chat, text)
    await tap(h, "Burglary", chat)
    await tap(h, "Done", chat)
    await tap(h, "No", chat)  # contact
    await tap(h, "No", chat)  # know_nag
    await tap(h, "Email newsletter", chat)
    await tap(h, "Done", chat)
    await h.send(chat, "3")  # years
    await tap(h, "Skip", chat)  # anything_else
    assert "Thank you" in h.last_text(chat)


async def three_fishermead_residents_answer(h: Harness) -> None:
    """Monday, Wednesday and Friday of one week, at different times of day; one in Woughton."""
    for i, chat in enumerate(FISHERMEAD):
        h.clock.set(MONDAY + timedelta(days=2 * i, hours=i))
        await join_nag(h, chat, "fishermead")
        await answer_with_text(h, chat, f"note from {chat}")
    h.clock.set(MONDAY + timedelta(days=3))
    await join_nag(h, 700009, "woughton")
    await answer_with_text(h, 700009, "note from 700009")


# What an attacker holding the database and the bot's key (the respondent_key() SQL function) can
# join on: the resident's NAG, the days they used the bot, and who finished which survey.
ATTACK = """
SELECT res.chat_id, a.value AS said, r.id AS response_id
FROM residents res
JOIN survey_completions c ON c.respondent = respondent_key(res.chat_id)
JOIN survey_responses r ON r.survey_id = c.survey_id AND r.nag_id = res.nag_id
     AND r.status = 'complete'
JOIN survey_answers a ON a.response_id = r.id AND a.question_id = 'unsafe_why'
WHERE {match}
"""
MATCHES = {
    "completion day is the day last seen": "r.completed_on = res.last_seen",
    "start day is the day last seen": "r.started_on = res.last_seen",
    "last change is the day last seen": "substr(r.updated_at, 1, 10) = res.last_seen",
    "started when the resident last pressed /start": (
        "substr(r.started_on, 1, 10) = substr(res.updated_at, 1, 10)"
    ),
}


async def test_the_whole_database_cannot_single_out_anonymous_answers(harness: Harness):
    await three_fishermead_residents_answer(harness)
    for name, match in MATCHES.items():
        rows = await harness.rows(ATTACK.format(match=match))
        by_chat: dict[int, set[str]] = {}
        for r in rows:
            by_chat.setdefault(r["chat_id"], set()).add(r["said"])
        for chat in FISHERMEAD:
            found = by_chat.get(chat, set())
            assert len(found) != 1, f"{name}: resident {chat} linked to {found}"
    # Nothing else tells the three Fishermead rows apart: every column but the random id and
    # random respondent token is the same, so no join on them can pick one out.
    rows = await harness.rows(
        "SELECT * FROM survey_responses WHERE nag_id = 'fishermead' AND status = 'complete'"
    )
    assert len(rows) == 3
    for column in ("survey_id", "status", "started_on", "updated_at", "completed_on", "step"):
        assert len({r[column] for r in rows}) == 1, column
    assert {r["completed_on"] for r in rows} == {"2026-11-23"}, "the Monday of the week"
    # Row ids are not handed out in the order people answered (which residents' created_at and
    # updated_at would match up): each finished anonymous response gets a random id.
    assert all(r["id"] < 0 for r in rows)
    assert len({r["respondent"] for r in rows}) == 3
    assert all(r["respondent"].startswith("anon:") for r in rows)
    # Answers still belong to their response (the results and exports need them).
    said = await harness.rows(
        "SELECT a.value FROM survey_answers a JOIN survey_responses r ON r.id = a.response_id"
        " WHERE r.nag_id = 'fishermead' AND a.question_id = 'unsafe_why' ORDER BY a.value"
    )
    assert [r["value"] for r in said] == [f"note from {c}" for c in FISHERMEAD]
    # A survey started now gets the next ordinary id, not one next to a random one.
    await join_nag(harness, 700010, "fishermead")
    await begin(harness, CS, 700010)
    (started,) = await harness.rows("SELECT id FROM survey_responses WHERE status = 'open'")
    assert 0 < started["id"] <= 5


async def test_stopped_anonymous_survey_keeps_only_the_week(harness: Harness):
    harness.clock.set(MONDAY + timedelta(days=2, hours=5))
    await join_nag(harness, 700001, "fishermead")
    await begin(harness, CS, 700001)
    await tap(harness, "4", 700001)
    calls = await harness.send(700001, "/cancel")
    leave = calls[-1].buttons[0][1]  # "Leave and delete my answers": an answer is saved
    assert leave is not None
    await harness.press_newest(700001, leave)
    (row,) = await harness.rows("SELECT * FROM survey_responses")
    assert row["status"] == "cancelled"
    assert row["started_on"] == row["updated_at"] == "2026-11-23"


async def test_start_date_filter_works_a_week_at_a_time(harness: Harness):
    # Six responses in the week of 16 November, five in the week of 23 November.
    rows = [("fishermead", "2026-11-18", {"contact": ("no",)})] * 6
    rows += [("fishermead", "2026-11-27", {"contact": ("yes",)})] * 5
    await harness.services.surveys.insert_completed(CS, rows)
    stored = await harness.rows("SELECT DISTINCT completed_on FROM survey_responses ORDER BY 1")
    assert [r["completed_on"] for r in stored] == ["2026-11-16", "2026-11-23"]
    store = harness.services.surveys
    # Any day of a week selects that whole week: 2026-11-25 is a Wednesday.
    assert (await store.counts(CS, since="2026-11-25")).completed == 5
    assert (await store.counts(CS, since="2026-11-23")).completed == 5
    assert (await store.counts(CS, since="2026-11-22")).completed == 11
    calls = await harness.send(OFFICER_ID, f"/results {CS} 2026-11-25")
    assert "From the week of 23 November 2026. 5 completed" in calls[0].text


def _old_database(path: Path) -> None:
    """A database as migrations 001-005 left it, with rows stored the old way."""
    conn = database_before(path, 6)
    old = [
        # id, survey, respondent, nag, status, started_on, updated_at, completed_on
        (1, CS, "anon:aaaa", "fishermead", "complete", "2026-11-25", "2026-11-25", "2026-11-25"),
        (2, CS, "anon:bbbb", "fishermead", "complete", "2026-11-27", "2026-11-27", "2026-11-27"),
        (3, CS, "anon:cccc", "woughton", "cancelled", "2026-11-26", "2026-11-26", None),
        (
            4,
            "partnership-review",
            "f" * 64,
            None,
            "complete",
            "2026-11-24",
            "2026-11-24T10:11:12+00:00",
            "2026-11-24",
        ),
    ]
    conn.executemany(
        "INSERT INTO survey_responses (id, survey_id, respondent, nag_id, status, step,"
        " started_on, updated_at, completed_on) VALUES (?, ?, ?, ?, ?, 7, ?, ?, ?)",
        old,
    )
    conn.executemany(
        "INSERT INTO survey_answers (response_id, question_id, rank, value) VALUES (?, ?, 0, ?)",
        [(1, "unsafe_why", "first"), (2, "unsafe_why", "second"), (4, "organisation", "Org")],
    )
    conn.commit()
    conn.close()


async def test_migration_006_coarsens_and_rekeys_existing_anonymous_rows(
    tmp_path: Path, content: Content
):
    path = tmp_path / "old.sqlite3"
    _old_database(path)
    db = await Database(path).open()
    try:
        rows = [dict(r) for r in await db.fetchall("SELECT * FROM survey_responses")]
        answers = [
            dict(r)
            for r in await db.fetchall(
                "SELECT r.id, r.survey_id, r.status, a.value FROM survey_answers a"
                " JOIN survey_responses r ON r.id = a.response_id ORDER BY a.value"
            )
        ]
    finally:
        await db.close()
    anon = [r for r in rows if r["survey_id"] == CS and r["status"] == "complete"]
    assert len(anon) == 2
    for r in anon:
        assert r["id"] < 0, "re-keyed: the old id told the order people started in"
        assert r["started_on"] == r["updated_at"] == r["completed_on"] == "2026-11-23"
        assert r["step"] == 0
    (cancelled,) = [r for r in rows if r["status"] == "cancelled"]
    assert cancelled["started_on"] == cancelled["updated_at"] == "2026-11-23"
    (linked,) = [r for r in rows if r["survey_id"] == "partnership-review"]
    assert linked["id"] == 4 and linked["completed_on"] == "2026-11-24", "not anonymous: unchanged"
    assert linked["updated_at"] == "2026-11-24T10:11:12+00:00"
    # Every answer still belongs to its response.
    assert [(a["value"], a["id"] < 0) for a in answers] == [
        ("Org", False),
        ("first", True),
        ("second", True),
    ]
