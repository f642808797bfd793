"""State that lingers (issue 19): leaving a survey asks before deleting answers; whatever door a
resident comes in by, the bot asks for the area and consent once and then carries on where they
were going, even after a restart; and a button whose question has moved on changes nothing."""

from __future__ import annotations

from pathlib import Path

from bot import callback_data as cd
from bot.content import Content
from tests.conftest import Harness, close_harness, make_harness
from tests.fakes.botapi import FakeBotApi
from tests.helpers import Conversation

RESIDENT = 619001
CS = "community-safety"
MOVED_ON = "That question has moved on, so nothing has changed."


async def _resident(h: Harness, chat_id: int = RESIDENT) -> dict:
    (row,) = await h.rows("SELECT * FROM residents WHERE chat_id = ?", (chat_id,))
    return row


async def _responses(h: Harness) -> list[dict]:
    return await h.rows("SELECT * FROM survey_responses ORDER BY id")


async def _answered(h: Harness) -> set[str]:
    return {r["question_id"] for r in await h.rows("SELECT question_id FROM survey_answers")}


def _button(chat: Conversation, label: str) -> tuple[int, str]:
    """The message and data of the newest button labelled `label` (to press it again later)."""
    message_id, data, _ = chat.find_button(label)
    return message_id, data


# ---------------------------------------------------------------- leaving a survey


async def test_leaving_a_survey_with_answers_asks_first_and_a_late_confirm_changes_nothing(
    conversation_harness: Harness,
):
    h = conversation_harness
    await h.settle_in(RESIDENT)
    chat = Conversation(h, RESIDENT)
    # No answer saved yet: leaving needs no confirm.
    await chat.say(f"/start survey_{CS}")
    said = await chat.say("/cancel")
    assert [s.text for s in said if s.kind == "message"][0].startswith("🛑 You've stopped")
    assert not [s for s in said if s.buttons]
    # One answer saved: "stop" asks first and deletes nothing yet.
    await chat.say(f"/start survey_{CS}")
    await chat.tap("4", exact=True)
    said = await chat.say("stop")
    assert said[-1].text.startswith("🛑 Leave “Community safety survey")
    assert [label for label, _ in said[-1].buttons] == [
        "🗑 Leave and delete my answers",
        "Carry on",
    ]
    assert (await _responses(h))[-1]["status"] == "open" and await _answered(h) == {"safe_day"}
    late_leave = _button(chat, "Leave and delete my answers")
    # The resident answers the question instead: the confirm has moved on.
    await chat.tap("2", exact=True)
    await chat.tap_data(*late_leave)
    assert chat.toasts()[-1] == MOVED_ON
    assert (await _responses(h))[-1]["status"] == "open"
    assert await _answered(h) == {"safe_day", "safe_dark"}
    # "Carry on" keeps everything; /cancel asks the same question.
    await chat.say("/cancel")
    await chat.tap("Carry on", exact=True)
    assert (await _responses(h))[-1]["status"] == "open"
    assert await _answered(h) == {"safe_day", "safe_dark"}
    # Leaving for real deletes the answers; the same button pressed twice does nothing more.
    await chat.say("stop")
    leave = _button(chat, "Leave and delete my answers")
    await chat.tap_data(*leave)
    assert chat.last().startswith("🛑 You've stopped")
    assert (await _responses(h))[-1]["status"] == "cancelled" and await _answered(h) == set()
    await chat.say(f"/start survey_{CS}")  # a new response, at the same step number
    await chat.tap_data(*leave)
    assert chat.toasts()[-1] == MOVED_ON
    assert (await _responses(h))[-1]["status"] == "open"


# ---------------------------------------------------------------- doors


async def test_a_survey_link_opened_by_someone_new_asks_area_and_consent_then_starts(
    tmp_path: Path, content: Content
):
    h = await make_harness(tmp_path, content, api=FakeBotApi(history=True))
    try:
        chat = Conversation(h, RESIDENT)
        said = await chat.say(f"/start survey_{CS}")
        assert "Where do you live?" in said[-1].text
        assert await _responses(h) == [], "no response without an area"
        assert (await _resident(h))["pending"] == f"survey:{CS}"
    finally:
        await close_harness(h)
    # A restart: where they were going is in the database, not in memory.
    h = await make_harness(tmp_path, content, api=FakeBotApi(history=True))
    try:
        chat = Conversation(h, RESIDENT)
        said = await chat.say("MK6 2LP")
        assert "Would you like occasional messages" in said[-1].text
        assert await _responses(h) == []
        said = await chat.tap("Yes please")
        assert "Question 1 of" in said[-1].text and "during the day" in said[-1].text
        (resp,) = await _responses(h)
        assert resp["survey_id"] == CS and resp["nag_id"] == "fishermead"
        row = await _resident(h)
        assert row["consent"] == 1 and row["pending"] is None
        # Carried on once: the destination is gone, so the menu is the menu again.
        said = await chat.say("/menu")
        assert "Question" not in said[-1].text
        # A link-only survey (partner organisations) needs no area: it starts at once.
        partner = Conversation(h, RESIDENT + 1)
        said = await partner.say("/start survey_partnership-review")
        assert "Question 1 of" in said[-1].text
        assert (await _responses(h))[-1]["nag_id"] is None
    finally:
        await close_harness(h)


async def test_a_nag_link_after_a_survey_link_carries_on_to_the_survey(
    conversation_harness: Harness,
):
    h = conversation_harness
    chat = Conversation(h, RESIDENT)
    await chat.say(f"/start survey_{CS}")
    said = await chat.say("/start nag_fishermead")  # the leaflet's QR code: the area is set
    assert "Would you like occasional messages" in said[-1].text
    said = await chat.tap("No thanks")
    assert "Question 1 of" in said[-1].text
    (resp,) = await _responses(h)
    assert resp["nag_id"] == "fishermead"
    row = await _resident(h)
    assert row["consent"] == 0 and row["consent_at"] is not None and row["pending"] is None


async def test_area_priorities_are_not_offered_without_an_area_and_by_link_the_area_comes_first(
    conversation_harness: Harness,
):
    h = conversation_harness
    chat = Conversation(h, RESIDENT)
    await chat.say("/start")
    said = await chat.say("/survey")
    assert not [s for s in said if any("top three" in label for label, _ in s.buttons)]
    assert "first tell me your area" in said[0].text
    await chat.say("MK6 2LP")
    said = await chat.tap("Yes please")  # then the list it was going to show
    assert "Your area's top three priorities" in [label for label, _ in said[-1].buttons]
    # By its link, someone new is asked for the area first, then it starts.
    other = Conversation(h, RESIDENT + 1)
    said = await other.say("/start survey_nag-priorities")
    assert "Where do you live?" in said[-1].text and await _responses(h) == []
    await other.say("MK6 2LP")
    said = await other.tap("Yes please")
    assert "Question 1 of" in said[-1].text and "most important first" in said[-1].text
    (resp,) = await _responses(h)
    assert resp["survey_id"] == "nag-priorities" and resp["nag_id"] == "fishermead"


# ---------------------------------------------------------------- buttons that move on


async def _with_area(h: Harness) -> Conversation:
    chat = Conversation(h, RESIDENT)
    await chat.say("/start nag_fishermead")
    await chat.tap("Yes please")
    return chat


async def test_forget_confirm_pressed_late_or_twice_deletes_nothing(conversation_harness: Harness):
    h = conversation_harness
    chat = await _with_area(h)
    await chat.say("/forget")
    first_yes = _button(chat, "Yes, delete everything")
    await chat.say("/forget")  # asked again: the first question has moved on
    await chat.tap_data(*first_yes)
    assert chat.toasts()[-1] == MOVED_ON
    assert await _resident(h)
    second_no = _button(chat, "No, keep it")
    await chat.tap_data(*second_no)
    assert "nothing was deleted" in chat.last()
    await chat.tap_data(second_no[0], cd.Forget(True).pack())  # the same question, again
    assert chat.toasts()[-1] == MOVED_ON
    assert await _resident(h)


async def test_stop_confirm_consent_and_settings_pressed_late_or_twice_change_nothing(
    conversation_harness: Harness,
):
    h = conversation_harness
    chat = Conversation(h, RESIDENT)
    await chat.say("/start nag_fishermead")
    consent_yes = _button(chat, "Yes please")
    await chat.tap_data(*consent_yes)
    answered_at = (await _resident(h))["consent_at"]
    h.clock.advance(minutes=5)
    await chat.tap_data(*consent_yes)  # twice
    assert chat.toasts()[-1] == MOVED_ON
    assert (await _resident(h))["consent_at"] == answered_at
    # Typed "stop", confirmed; messages turned on again in /settings; the old Yes pressed late.
    await chat.say("stop")
    stop_yes = _button(chat, "Yes, stop them")
    await chat.tap_data(*stop_yes)
    assert (await _resident(h))["consent"] == 0
    await chat.say("/settings")
    turn_on = _button(chat, "Turn campaign messages on")
    await chat.tap_data(*turn_on)
    assert (await _resident(h))["consent"] == 1
    await chat.tap_data(*stop_yes)
    assert chat.toasts()[-1] == MOVED_ON
    assert (await _resident(h))["consent"] == 1
    # The settings button pressed twice sets what it said, and redraws: it never flips back.
    await chat.tap_data(*turn_on)
    assert (await _resident(h))["consent"] == 1
    assert "Campaign messages: on" in chat.last()
    # The first consent question, pressed late with "No thanks": nothing changes.
    await chat.tap_data(consent_yes[0], cd.Consent(False).pack())
    assert chat.toasts()[-1] == MOVED_ON
    assert (await _resident(h))["consent"] == 1
