"""Plain words: routing measured on a labelled corpus (tests/data/intents_corpus.yaml, 263
ordinary messages written before the rules were tuned) and reported on a held-out set never
tuned on (tests/data/intents_holdout.yaml, 30 messages); then, through the real Application,
what each intent does for a resident, as conversations.

Both figures are printed at the end of every test run (tests/conftest.py).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from bot.content import Content
from bot.context import intent_router, understanding_for
from tests.conftest import Harness
from tests.helpers import Conversation

DATA = Path(__file__).parent / "data"
REPORTS: list[str] = []  # printed by conftest's terminal summary
MIN_CORPUS = 0.90  # issue 12: at least 90% routed to the right intent
# The held-out set is reported, not tuned on. This floor only catches a collapse (it measured
# 66.7% when first run, before any change made after seeing it).
MIN_HOLDOUT = 0.60
RESIDENT = 555001


def test_the_examples_route_at_least_90_percent_right(content: Content):
    """Plain words on the examples the model learns from (tuned figures: see
    tests/test_safety_corpus.py for the held-out ones)."""
    u = understanding_for(content)
    per: Counter[str] = Counter()
    ok: Counter[str] = Counter()
    misses = []
    for text, label in content.examples.intent_items():
        want = None if label in ("area", "outside_mk") else label
        got = u.intent(text)
        per[label] += 1
        ok[label] += got == want
        if got != want:
            misses.append(f"  {text!r}: wanted {label}, got {got or 'none'}")
    n = sum(per.values())
    rate = sum(ok.values()) / n
    lines = [f"examples: {sum(ok.values())}/{n} routed right ({rate:.1%})"]
    lines += [f"  {k:14} {ok[k]}/{per[k]}" for k in sorted(per)]
    REPORTS.append("\n".join(lines))
    assert rate >= MIN_CORPUS, "\n".join(misses)


def test_every_intent_in_the_content_has_an_answer(harness: Harness):
    ids = {i.id for i in harness.services.content.intents.categories}
    assert ids == set(harness.services.intent_answers)


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("when is the Fishermead meeting", "next_meeting"),
        ("stop the meeting reminders", "reminders"),
        ("stop", "stop"),
        ("thanks!", "thanks"),
        ("Olney", None),
        ("MK6 3AX", None),
    ],
)
def test_place_names_and_order(content: Content, text: str, intent: str | None):
    assert intent_router(content).route(text) == intent


# ---------------------------------------------------------------- as conversations


async def _with_area(h: Harness, nag: str = "fishermead") -> Conversation:
    chat = Conversation(h, RESIDENT)
    await chat.say(f"/start nag_{nag}")
    await chat.tap("Yes please")
    return chat


async def test_next_meeting_in_plain_words_with_an_area(conversation_harness: Harness):
    chat = await _with_area(conversation_harness)
    said = await chat.say("when's the next meeting?")
    assert "Fishermead" in said[-1].text and "meets next on" in said[-1].text
    assert [label for label, _ in said[-1].buttons] == ["📅 Add to calendar", "⏰ Remind me"]
    await chat.tap("Remind me")
    rows = await conversation_harness.rows("SELECT remind_meetings FROM residents")
    assert rows == [{"remind_meetings": 1}]
    assert chat.find_button("Stop reminders")  # the same message now offers to stop them
    chat.assert_one_screen()


async def test_a_place_in_the_question_wins_over_the_area(conversation_harness: Harness):
    chat = await _with_area(conversation_harness)
    said = await chat.say("when does the Olney group meet")
    assert "Olney" in said[-1].text and "meets next on" in said[-1].text
    assert [label for label, _ in said[-1].buttons] == ["📅 Add to calendar"]  # not my group


async def test_next_meeting_without_an_area_asks_for_it(conversation_harness: Harness):
    chat = Conversation(conversation_harness, RESIDENT)
    said = await chat.say("when's the next meeting?")
    assert "need to know your area" in said[0].text
    assert "Where do you live?" in said[-1].text
    await chat.say("MK6 2LP")
    rows = await conversation_harness.rows("SELECT nag_id FROM residents")
    assert rows == [{"nag_id": "fishermead"}]


async def test_stop_typed_asks_first_then_stops(conversation_harness: Harness):
    chat = await _with_area(conversation_harness)
    said = await chat.say("stop")
    assert "Stop all messages" in said[-1].text
    rows = await conversation_harness.rows("SELECT consent FROM residents")
    assert rows == [{"consent": 1}], "nothing changes before the confirm button"
    await chat.tap("No, keep them")
    assert "nothing has changed" in chat.last()
    await chat.say("STOP")
    await chat.tap("Yes, stop them")
    rows = await conversation_harness.rows("SELECT consent, remind_meetings FROM residents")
    assert rows == [{"consent": 0, "remind_meetings": 0}]
    said = await chat.say("stop")
    assert "don't get any messages" in said[-1].text, "nothing to stop: no question"


async def test_bare_help_gets_the_danger_line_and_the_menu(conversation_harness: Harness):
    chat = await _with_area(conversation_harness)
    said = await chat.say("help")
    assert "999" in said[0].text, "safeguarding first: a bare 'help' may be someone in danger"
    assert "How I can help" in said[-1].text
    assert "📅 Next meeting" in [label for label, _ in said[-1].buttons]


async def test_not_understood_offers_the_menu_with_an_area(conversation_harness: Harness):
    chat = await _with_area(conversation_harness)
    said = await chat.say("purple elephants")
    assert "didn't understand" in said[-1].text
    assert "⚙️ Settings" in [label for label, _ in said[-1].buttons]
    assert chat.live_keyboards() == 1, "the menu before it lost its buttons"


async def test_not_understood_without_an_area_asks_for_it(conversation_harness: Harness):
    chat = Conversation(conversation_harness, RESIDENT)
    said = await chat.say("purple elephants")
    assert "didn't understand" in said[-1].text and "tell me where you live" in said[-1].text


async def test_menu_buttons_do_what_the_words_do(conversation_harness: Harness):
    chat = await _with_area(conversation_harness)
    await chat.tap("Next meeting")
    assert "meets next on" in chat.last()
    await chat.say("menu")
    await chat.tap("Safety tips")
    assert "Crime-prevention campaigns" in chat.last()
    await chat.say("menu")
    await chat.tap("My local group")
    assert "What the group is working on" in chat.last()
    await chat.say("menu")
    await chat.tap("Surveys")
    assert "survey" in chat.last().lower()
    chat.assert_one_screen()


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        ("hi", "What would you like to do?"),
        ("thanks", "You're welcome"),
        ("what's your privacy policy", "Your privacy, in short"),
        ("change my area", "Where do you live?"),
        ("remind me about meetings", "Your settings"),
        ("delete my data", "Are you sure?"),
        ("show me my data", "Everything I store about you"),
        ("any surveys?", "survey"),
        ("my group", "What the group is working on"),
        ("tips", "Crime-prevention campaigns"),
    ],
)
async def test_each_intent_answers(conversation_harness: Harness, words: str, expected: str):
    chat = await _with_area(conversation_harness)
    said = await chat.say(words)
    texts = " ".join(s.text for s in said)
    assert expected.lower() in texts.lower(), chat.transcript()


async def test_hello_from_someone_new_is_the_welcome(conversation_harness: Harness):
    chat = Conversation(conversation_harness, RESIDENT)
    said = await chat.say("hello")
    assert "Welcome to SaferMK" in said[0].text
    assert "Neighbourhood Action Group" in said[0].text and "999" in said[0].text
