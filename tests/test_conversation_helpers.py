"""The transcript helpers themselves: a tap presses the real message's button, edits are read
back, live keyboards are counted from the chat as the person sees it."""

from __future__ import annotations

import pytest

from tests.conftest import Harness
from tests.helpers import Conversation

RESIDENT = 777001


async def test_a_conversation_reads_like_the_chat(small_harness: Harness) -> None:
    chat = Conversation(small_harness, RESIDENT)
    await chat.say("/start")
    await chat.say("Delta Village")
    assert chat.live_keyboards() == 1  # the consent question
    said = await chat.tap("Yes please")
    assert any(s.kind == "edit" for s in said)  # the question is edited in place
    assert "✅ Yes please" not in chat.buttons()  # answered: its buttons are gone
    assert chat.live_keyboards() == 1  # only the menu that follows
    transcript = chat.transcript()
    assert "resident: Delta Village" in transcript
    assert "resident taps [✅ Yes please]" in transcript
    rows = await small_harness.rows("SELECT nag_id, consent FROM residents")
    assert rows == [{"nag_id": "delta", "consent": 1}]


async def test_a_missing_button_fails_with_the_transcript(small_harness: Harness) -> None:
    chat = Conversation(small_harness, RESIDENT)
    await chat.say("/start")
    with pytest.raises(AssertionError, match="resident: /start"):
        chat.find_button("No such button")


async def test_one_screen_catches_a_long_message(small_harness: Harness) -> None:
    chat = Conversation(small_harness, RESIDENT)
    await chat.say("/privacy")
    with pytest.raises(AssertionError, match="over 10 characters"):
        chat.assert_one_screen(limit=10)
