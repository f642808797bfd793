"""The /broadcast wizard mended (issue 22): a button left on an earlier screen answers that it
has moved on and changes nothing; Back and Cancel on every step; the group picker with short
names, protected counts, pages and search; times picked by buttons; officers' own formatting
kept; ratings a choice per broadcast. Each test reads as the officer's conversation.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path

import pytest

from bot.content import Content
from tests.conftest import LONDON, OFFICER_ID, Harness, close_harness
from tests.helpers import Conversation
from tests.test_officer_confirm import start

RETIME_TO = datetime(2026, 11, 26, 19, 0, tzinfo=LONDON)


@pytest.fixture
async def h(tmp_path: Path, content: Content) -> AsyncIterator[Harness]:
    harness = await start(tmp_path, content)
    yield harness
    await close_harness(harness)


async def typed_broadcast(officer: Conversation, text: str, when: str = "Tomorrow 10:00") -> None:
    await officer.say("/broadcast")
    await officer.tap("Type a new message")
    await officer.say(text)
    await officer.tap("No picture")
    await officer.tap("Everyone subscribed")
    await officer.tap(when)


async def test_a_time_button_on_a_confirmed_broadcast_has_moved_on(h: Harness):
    officer = Conversation(h, OFFICER_ID, "officer")
    await typed_broadcast(officer, "Bins are collected late this week")
    old_time_screen = officer.find_button("Tomorrow 18:00")
    await officer.tap("Confirm")
    bid = (await h.rows("SELECT id FROM broadcasts WHERE kind = 'officer'"))[0]["id"]

    await officer.say("/scheduled")
    await officer.tap(f"Manage #{bid}")
    await officer.tap("Change time")
    assert f"When should broadcast #{bid} go out instead?" in officer.last()
    before = len(officer.said)
    await officer.tap_data(*old_time_screen)
    toasts = [s.text for s in officer.said[before:] if s.kind == "toast"]
    assert toasts and "moved on" in toasts[0], officer.transcript()
    assert not [s for s in officer.said[before:] if s.kind == "message"], "nothing new is sent"

    await officer.say("26/11/2026 19:00")
    assert f"Move broadcast #{bid}?" in officer.last(), "the change of time was kept"
    await officer.tap("Yes, move it")
    assert (await h.services.broadcasts.get(bid)).due_at == RETIME_TO
    assert len(await h.rows("SELECT id FROM broadcasts WHERE kind = 'officer'")) == 1
