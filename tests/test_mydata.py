"""The right of access and erasure: /mydata sends everything stored about the person, readable
and as a JSON file; /forget leaves nothing; and every table is claimed by a feature's privacy
part (or declared to hold no personal data), so a new feature cannot forget either."""

from __future__ import annotations

import json
from pathlib import Path

from bot import callback_data as cd
from bot.app import FEATURES
from bot.domain.surveys import pseudonym
from storage.model import BroadcastKind
from tests.conftest import OFFICER_ID, TEST_SECRET, Harness
from tests.test_delivery import officer_broadcast
from tests.test_surveys import begin, tap

CHAT = 616161


async def json_of(h: Harness, chat: int) -> dict:
    doc = [c for c in h.api.sent("sendDocument", chat_id=chat)][-1]
    name, data = doc.files["document"]
    assert name == "my-data.json"
    return json.loads(data)


async def test_mydata_shows_answers_messages_ratings_and_a_complete_json_file(harness: Harness):
    h = harness
    await h.send(CHAT, "/start nag_fishermead")
    await h.press(CHAT, cd.Consent(True).pack())
    await h.press(CHAT, cd.Remind("fishermead").pack())
    # a survey in progress with two answers and a free-text one
    await begin(h, chat=CHAT)
    await tap(h, "4", chat=CHAT)
    await tap(h, "2", chat=CHAT)
    await h.send(CHAT, "Poor lighting on the redway near the school")
    # a broadcast received and rated, and a personal message waiting
    h.services.delivery.use_virtual_time()
    bid = await officer_broadcast(h, "Neighbourhood Watch meeting tonight")
    await h.services.delivery.run_due()
    await h.press(CHAT, cd.Rate(bid, True).pack())
    await h.services.broadcasts.enqueue_personal(
        kind=BroadcastKind.SURVEY_RESULTS, ref="x", messages=[(CHAT, "You said: lighting. We did: new lamps")],
        send_at=h.clock.now(), now=h.clock.now(),
    )  # fmt: skip

    calls = await h.send(CHAT, "/mydata")
    text = "\n".join(c.text for c in calls if c.method == "sendMessage")
    assert "Fishermead" in text and "Chat number: 616161" in text
    assert "Monday 23 November 2026, 12:00" in text, "times in words, London time"
    assert "2026-11-23T" not in text, "no raw timestamps"
    assert "Poor lighting on the redway near the school" in text, "the answers themselves"
    assert "Neighbourhood Watch meeting tonight" in text
    assert "waiting" in text and "You said: lighting" in text, "queued personal messages"
    assert "👍" in text, "the broadcasts they rated"

    data = await json_of(h, CHAT)
    assert data["you"]["area"]["id"] == "fishermead" and data["you"]["meeting_reminders"] is True
    survey = data["surveys"][0]
    assert survey["status"] == "open"
    assert {a["answer"] for a in survey["answers"]} >= {
        "Poor lighting on the redway near the school"
    }
    kinds = {m["kind"]: m for m in data["messages"]["messages"]}
    assert kinds["officer"]["status"] == "sent"
    assert kinds["survey_results"]["status"] == "pending"
    assert kinds["survey_results"]["text"] == "You said: lighting. We did: new lamps"
    assert data["messages"]["ratings"][0]["useful"] is True


async def test_mydata_of_someone_unknown_says_so(harness: Harness):
    calls = await harness.send(CHAT, "/mydata")
    assert "don't have any data" in calls[-1].text
    assert not harness.api.sent("sendDocument")


async def test_an_officer_sees_their_own_audited_actions(harness: Harness):
    await harness.send(OFFICER_ID, "/start nag_cmk")
    await officer_broadcast(harness, "Road closed")
    calls = await harness.send(OFFICER_ID, "/mydata")
    assert any("audited action" in c.text for c in calls)
    data = await json_of(harness, OFFICER_ID)
    assert data["officer_actions"][0]["action"] == "schedule"


async def test_forget_leaves_no_row_about_the_person(harness: Harness):
    h = harness
    await h.send(CHAT, "/start nag_fishermead")
    await h.press(CHAT, cd.Consent(True).pack())
    await begin(h, chat=CHAT)
    await tap(h, "4", chat=CHAT)
    h.services.delivery.use_virtual_time()
    bid = await officer_broadcast(h, "Road closed")
    await h.services.delivery.run_due()
    await h.press(CHAT, cd.Rate(bid, True).pack())
    await h.send(CHAT, "/forget")
    await h.press_newest(CHAT, cd.Forget(True).pack())
    key = pseudonym(TEST_SECRET, CHAT)
    tables = [
        r["name"] for r in await h.rows("SELECT name FROM sqlite_master WHERE type = 'table'")
    ]
    for table in tables:
        for row in await h.rows(f"SELECT * FROM {table}"):  # noqa: S608 - test
            values = {str(v) for v in row.values()}
            assert str(CHAT) not in values and key not in values, (table, row)


def test_every_table_is_claimed_by_a_feature(tmp_path: Path):
    """A table holding personal data must be in a feature's privacy part; any other table must
    be declared with the reason it holds none. The schema is the migrations, applied for real."""
    import asyncio

    from storage.db import Database

    async def schema() -> set[str]:
        db = await Database(tmp_path / "s.sqlite3").open()
        try:
            rows = await db.fetchall("SELECT name FROM sqlite_master WHERE type = 'table'")
        finally:
            await db.close()
        return {r[0] for r in rows if not r[0].startswith("sqlite_")} - {"schema_migrations"}

    tables = asyncio.run(schema())
    personal = {t for f in FEATURES if f.privacy for t in f.privacy.tables}
    declared = {t for f in FEATURES for t in f.tables_without_personal_data}
    assert not personal & declared, "a table cannot be both"
    assert tables - personal - declared == set(), "tables no feature has claimed"
    assert (personal | declared) - tables == set(), "claims of tables that do not exist"
