"""Places only when a place is meant (issue 19), as conversations: sentences are not area answers,
a misspelling offers every close match, "I don't live in X any more" asks for the new area, a
location outside Milton Keynes is outside, and area buttons and the share-location keyboard
belong to the question they were drawn for."""

from __future__ import annotations

import pytest

from tests.conftest import Harness
from tests.helpers import Conversation

RESIDENT = 556019
BEDFORD = (52.136, -0.467)
OLNEY = (52.153, -0.701)
SHERINGTON = (52.10, -0.71)


async def _with_area(h: Harness, nag: str = "olney") -> Conversation:
    chat = Conversation(h, RESIDENT)
    await chat.say(f"/start nag_{nag}")
    await chat.tap("Yes please")
    return chat


async def _nag_id(h: Harness) -> str | None:
    rows = await h.rows("SELECT nag_id FROM residents WHERE chat_id = ?", (RESIDENT,))
    return rows[0]["nag_id"] if rows else None


def _area_buttons(said: list) -> list[str]:
    return [label for s in said for label, data in s.buttons if data and data.startswith("a:")]


@pytest.mark.parametrize(
    "text",
    [
        "what's the weather like tomorrow",
        "is the swimming pool open on sunday",
        "kids on motorbikes keep racing past my house",
        "when does the bus to Bletchley leave",
        "book me a taxi to the station",
    ],
)
async def test_a_sentence_is_not_an_area_answer(conversation_harness: Harness, text: str):
    h = conversation_harness
    chat = await _with_area(h)
    said = await chat.say(text)
    assert not _area_buttons(said), chat.transcript()
    assert not any("Did you mean" in s.text or "Is this right" in s.text for s in said)
    assert await _nag_id(h) == "olney"


async def test_asked_for_an_area_an_ordinary_word_is_not_a_typo(conversation_harness: Harness):
    h = conversation_harness
    chat = await _with_area(h)
    await chat.say("/settings")
    await chat.tap("Change area")
    said = await chat.say("what's the weather like tomorrow")
    assert not _area_buttons(said) and "Did you mean" not in chat.transcript()
    assert await _nag_id(h) == "olney"


async def test_asked_for_an_area_a_place_in_a_sentence_answers(conversation_harness: Harness):
    h = conversation_harness
    chat = Conversation(h, RESIDENT)
    await chat.say("/start")
    await chat.say("I think we are in Fishermed really")
    await chat.tap("Yes, that's right")
    assert await _nag_id(h) == "fishermead"


async def test_moving_away_asks_for_the_new_area(conversation_harness: Harness):
    h = conversation_harness
    chat = await _with_area(h, "fishermead")
    said = await chat.say("I don't live in Fishermead any more")
    text = "\n".join(s.text for s in said)
    assert "already your area" not in text
    assert "Where do you live?" in text and "taken Fishermead" in text
    assert not _area_buttons(said) and chat.reply_keyboard_up()
    assert await _nag_id(h) is None
    said = await chat.say("Olney")
    assert "Your area is now Olney" in said[0].text
    assert await _nag_id(h) == "olney"


async def test_a_location_outside_milton_keynes_is_outside(conversation_harness: Harness):
    h = conversation_harness
    chat = Conversation(h, RESIDENT)
    await chat.say("/start")
    said = await chat.share_location(*BEDFORD)
    assert "outside Milton Keynes" in said[-1].text
    assert "Would you like occasional messages" not in chat.transcript()
    assert await _nag_id(h) is None
    await chat.share_location(*SHERINGTON)
    assert await _nag_id(h) == "sherington"
    chat2 = Conversation(h, RESIDENT + 1)
    await chat2.say("/start")
    await chat2.share_location(*OLNEY)
    rows = await h.rows("SELECT nag_id FROM residents WHERE chat_id = ?", (RESIDENT + 1,))
    assert rows[0]["nag_id"] == "olney"


async def test_a_location_outside_keeps_a_residents_area(conversation_harness: Harness):
    h = conversation_harness
    chat = await _with_area(h)
    said = await chat.share_location(*BEDFORD)
    assert "outside Milton Keynes" in said[-1].text and not _area_buttons(said)
    assert await _nag_id(h) == "olney"


async def test_a_misspelling_offers_every_close_match(conversation_harness: Harness):
    h = conversation_harness
    chat = Conversation(h, RESIDENT)
    await chat.say("/start")
    said = await chat.say("Bletchly")
    assert _area_buttons(said) == ["Central Bletchley", "West Bletchley"]
    assert await _nag_id(h) is None, "a guess is never set silently"
    await chat.tap("West Bletchley")
    assert await _nag_id(h) == "west-bletchley"


async def test_an_old_yes_button_has_moved_on(conversation_harness: Harness):
    h = conversation_harness
    chat = await _with_area(h)
    await chat.say("Fishermed")
    message_id, data, label = chat.find_button("Yes, that's right")
    for text in ("/help", "tips", "thanks", "/privacy", "/settings"):
        await chat.say(text)
    await chat.tap_data(message_id, data, label)
    assert chat.toasts()[-1] == "That question has moved on. Nothing was changed."
    assert await _nag_id(h) == "olney"
    assert "Yes, that's right" not in chat.buttons(), "the old question lost its buttons"


async def test_an_older_choice_is_replaced_by_a_newer_one(conversation_harness: Harness):
    h = conversation_harness
    chat = Conversation(h, RESIDENT)
    await chat.say("/start")
    await chat.say("Fishermed")
    old = chat.find_button("Yes, that's right")
    await chat.say("Bletchley")
    await chat.tap_data(*old)
    assert chat.toasts()[-1].startswith("That question has moved on")
    assert await _nag_id(h) is None
    await chat.tap("Central Bletchley")
    assert await _nag_id(h) == "central-bletchley"


@pytest.mark.parametrize("something_else", ["when's the next meeting?", "/privacy"])
async def test_the_location_keyboard_goes_when_the_question_is_left(
    conversation_harness: Harness, something_else: str
):
    h = conversation_harness
    chat = await _with_area(h)
    await chat.say("/settings")
    await chat.tap("Change area")
    assert chat.reply_keyboard_up()
    said = await chat.say(something_else)
    assert not chat.reply_keyboard_up(), chat.transcript()
    assert said[0].text.startswith("📍 Your area stays Olney")
    assert await _nag_id(h) == "olney"


async def test_the_location_keyboard_goes_when_the_question_is_answered(
    conversation_harness: Harness,
):
    h = conversation_harness
    chat = await _with_area(h)
    await chat.say("/settings")
    await chat.tap("Change area")
    await chat.say("Fishermead")
    await chat.tap("Make it my area")
    assert not chat.reply_keyboard_up() and await _nag_id(h) == "fishermead"
