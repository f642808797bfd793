"""Issue 19's examples, as a resident would send them, through the real Application.

Each danger message must get the help of every topic it needs and none of the topics listed as
wrong (the ones the issue found it getting); each ordinary message with a crime word gets no
helpline; each plain question gets its feature's answer. Assertions are on what the bot sent.
"""

from __future__ import annotations

import pytest

from bot.content import Content
from tests.conftest import Harness

CHAT = 919191
ALL = (
    "emergency", "fire", "suicide_self_harm", "domestic_abuse", "sexual_violence",
    "child_at_risk", "missing_person", "collision", "modern_slavery", "hate_crime", "loan_shark",
    "fraud_scam", "crime_asb",
)  # fmt: skip


def block(content: Content, topic: str) -> str:
    return next(c.reply for c in content.safety.categories if c.id == topic)


async def _settled(h: Harness) -> None:
    await h.send(CHAT, "/start nag_fishermead")


@pytest.mark.parametrize(
    ("text", "need", "never"),
    [
        ("people dealing drugs in the underpass again", {"crime_asb"}, {"sexual_violence"}),
        ("my bike was stolen last week", {"crime_asb"}, {"emergency"}),
        ("someone broke into my shed last night", {"crime_asb"}, {"emergency"}),
        (
            "my nan got a message on WhatsApp from someone pretending to be my brother, he lost "
            "his phone and needs money for rent",
            {"fraud_scam"},
            {"emergency", "child_at_risk"},
        ),
        ("kids keep throwing stones at the buses on our road", {"crime_asb"}, {"fire"}),
        ("he forced me to do it when I said no", {"sexual_violence"}, set()),
        ("my neighbour is being beaten by her husband", {"domestic_abuse"}, set()),
        ("my friend's dad hits her", {"domestic_abuse"}, set()),
        (
            "a man on the estate lent me 200 and now wants five times as much and he's got my "
            "bank card",
            {"loan_shark"},
            {"child_at_risk"},
        ),
        ("I've just seen a car accident on the roundabout, a man is hurt", {"collision"}, set()),
        ("they set fire to our mosque because of our religion", {"fire", "hate_crime"}, set()),
    ],
)
async def test_danger_gets_every_topic_it_needs_and_not_the_wrong_ones(
    harness: Harness, content: Content, text: str, need: set[str], never: set[str]
):
    await _settled(harness)
    calls = await harness.send(CHAT, text)
    sent = calls[0].text
    for topic in need:
        assert block(content, topic) in sent, f"{topic} missing for {text!r}"
    for topic in never:
        assert block(content, topic) not in sent, f"{topic} wrongly given for {text!r}"


async def test_danger_with_a_place_gets_help_not_an_area_choice(harness: Harness, content: Content):
    calls = await harness.send(CHAT, "im getting jumped by six guys at the skatepark in bletchley rn")
    assert block(content, "emergency") in calls[0].text
    assert not any("Which one is your area" in (c.text or "") for c in calls)


@pytest.mark.parametrize(
    "text",
    [
        "Drugs",
        "How do I get in touch with my local group?",
        "i dont want any more messages",
        "that film killed me 😂",
        "fraud tips",
        "how do i spot a scam",
        "tips about loan sharks",
    ],
)
async def test_ordinary_words_that_resemble_danger_get_no_helpline(
    harness: Harness, content: Content, text: str
):
    await _settled(harness)
    calls = await harness.send(CHAT, text)
    for c in calls:
        assert content.safety.footer not in (c.text or ""), f"help sent for {text!r}"
    rows = await harness.rows("SELECT * FROM safety_counts")
    assert rows == [], "nothing counted for /safety"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("fraud tips", "Take Five"),
        ("how do i spot a scam", "Take Five"),
        ("tips about loan sharks", "campaigns"),  # Loan Shark Week is not listed in November
        ("add to calendar", None),  # the .ics file
        ("send me an ics file", None),
        ("Hello, how are you?", "Hello"),
        ("cancel my subscription", "messages"),
        ("do you have any polls", "survey"),
        ("who is my PCSO", "neighbourhood team"),
        ("how do I join the group", "Anyone can come"),
        ("what's a NAG?", "Neighbourhood Action Group"),
        ("can I see the minutes of the last meeting", "minutes aren't published here"),
        ("who do I call about fly tipping", "City Council"),
        ("my neighbour's dog barks all night", "City Council"),
        ("what's the weather like tomorrow", "not something I can help with"),
    ],
)
async def test_plain_questions_get_their_answer(harness: Harness, text: str, expected: str | None):
    await _settled(harness)
    calls = await harness.send(CHAT, text)
    if expected is None:
        assert any(c.method == "sendDocument" for c in calls), "the calendar file"
        return
    said = " ".join(c.text or "" for c in calls)
    assert expected.lower() in said.lower(), said
