"""A typed greeting from someone without an area is one statement (Residents.ask_area_again)
where it was three (the open area question left, `touch`, then `touch_and_open` when the
welcome asks for the area): the same replies, and the same row as those three statements
leave, for someone new, someone asked before, someone offered a choice, someone inactive and
someone whose area has left the content. Someone with an area is answered as before. The write
comes before any reply, as the first of the three did: a greeting the database refuses is not
welcomed, and the next one is."""

from __future__ import annotations

import html
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import Update

from bot.services import residents as service
from storage.model import AreaQuestion
from storage.residents import Residents
from tests import builders as b
from tests.conftest import Harness, close_harness, make_harness

CHAT = 616161  # greets through the Application
TWIN = 626262  # the same start, then the three statements the greeting made before


async def row_of(h: Harness, chat: int) -> dict[str, Any]:
    rows = await h.rows("SELECT * FROM residents WHERE chat_id = ?", (chat,))
    assert len(rows) == 1
    row = rows[0]
    del row["chat_id"]
    return row


async def greeting_before(h: Harness, chat: int) -> None:
    """What a typed greeting wrote before this change, statement by statement: the open area
    question left (bot/handlers/fallback.py), `touch` (hello), and for someone without an area
    `touch_and_open` (the welcome's area question)."""
    r, nags, now = h.services.residents, h.services.content.nag_by_id, h.clock.now()
    await service.leave_area_question(r, nags, chat, now)
    resident = await r.touch(chat, now)
    if resident.nag_id is None or resident.nag_id not in nags:
        await r.touch_and_open(chat, AreaQuestion.ASKED, now)


def welcomed(h: Harness, calls: list) -> None:
    """The welcome, then "Where do you live?" with the share-location keyboard."""
    t = h.services.content.texts["en"]
    sent = [c for c in calls if c.method == "sendMessage"]
    assert [c.text for c in sent] == [t.get("start.welcome"), t.get("area.ask")]
    keyboard = sent[1].params["reply_markup"]
    assert keyboard["keyboard"][0][0]["request_location"] is True


Setup = Callable[[Residents, int, Harness], Awaitable[None]]


async def nobody(r: Residents, chat: int, h: Harness) -> None:
    return None


async def asked_before(r: Residents, chat: int, h: Harness) -> None:
    await r.touch_and_open(chat, AreaQuestion.ASKED, h.clock.now())


async def offered_a_choice(r: Residents, chat: int, h: Harness) -> None:
    await r.touch(chat, h.clock.now())
    await r.open_area_question(chat, AreaQuestion.OFFERED, h.clock.now())
    await r.open_area_question(chat, AreaQuestion.OFFERED, h.clock.now())


async def inactive_no_question(r: Residents, chat: int, h: Harness) -> None:
    await r.touch(chat, h.clock.now())
    await r.set_active(chat, False, h.clock.now())


async def area_gone_from_content(r: Residents, chat: int, h: Harness) -> None:
    await asked_before(r, chat, h)
    await r.set_nag(chat, "no_such_area", h.clock.now())
    await r.open_area_question(chat, AreaQuestion.ASKED, h.clock.now())


async def same_as_before(h: Harness, setup: Setup, greetings: int = 1) -> None:
    r = h.services.residents
    for chat in (CHAT, TWIN):
        await setup(r, chat, h)
    for n in range(greetings):
        h.clock.advance(minutes=7)
        calls = await h.send(CHAT, f"hello {4001 + n}")  # a new word each time
        welcomed(h, calls)
        await greeting_before(h, TWIN)
        assert await row_of(h, CHAT) == await row_of(h, TWIN), setup.__name__
    kept = await r.get(CHAT)
    assert kept is not None
    stored = await row_of(h, CHAT)
    assert kept.area_step == stored["area_step"] and kept.area_question == stored["area_question"]
    assert kept.active and stored["active"] == 1


async def test_someone_new_is_welcomed_and_stored_as_before(harness: Harness):
    await same_as_before(harness, nobody, greetings=3)
    row = await row_of(harness, CHAT)
    assert row["area_question"] == AreaQuestion.ASKED and row["area_step"] == 5


async def test_someone_asked_before_is_asked_again_with_the_step_moved_on_twice(harness: Harness):
    await same_as_before(harness, asked_before, greetings=2)


async def test_someone_offered_a_choice_leaves_it_and_is_asked(harness: Harness):
    await same_as_before(harness, offered_a_choice)
    assert (await row_of(harness, CHAT))["area_question"] == AreaQuestion.ASKED


async def test_someone_inactive_is_active_again(harness: Harness):
    await same_as_before(harness, inactive_no_question)


async def test_someone_whose_area_left_the_content_is_welcomed_as_before(harness: Harness):
    await same_as_before(harness, area_gone_from_content)


async def test_someone_with_an_area_and_the_keyboard_up_is_answered_as_before(harness: Harness):
    h = harness
    t = h.services.content.texts["en"]
    nag = h.services.content.nags[0]
    for chat in (CHAT, TWIN):
        await h.settle_in(chat)
        await h.services.residents.open_area_question(chat, AreaQuestion.ASKED, h.clock.now())
    h.clock.advance(minutes=3)
    calls = await h.send(CHAT, "hi there")
    sent = [c.text for c in calls if c.method == "sendMessage"]
    assert sent[0] == t.get("area.kept", name=html.escape(nag.name))
    assert sent[-1].startswith(t.get("menu.hello"))
    await greeting_before(h, TWIN)
    assert await row_of(h, CHAT) == await row_of(h, TWIN)
    assert (await row_of(h, CHAT))["area_question"] == AreaQuestion.NONE


async def test_a_greeting_the_database_refuses_is_not_welcomed(tmp_path, content):
    h = await make_harness(tmp_path, content)
    t = h.services.content.texts["en"]
    await h.db.execute("PRAGMA query_only = 1")  # every write refused: SQLITE_READONLY
    await h.app.process_update(Update.de_json(b.text_update(CHAT, "hello"), h.app.bot))
    h.errors.clear()
    assert t.get("start.welcome") not in h.api.texts(CHAT), "nothing stored, nothing welcomed"
    assert await h.rows("SELECT * FROM residents WHERE chat_id = ?", (CHAT,)) == []
    await h.db.execute("PRAGMA query_only = 0")
    welcomed(h, await h.send(CHAT, "hello again"))
    assert (await row_of(h, CHAT))["area_step"] == 1
    await close_harness(h)
