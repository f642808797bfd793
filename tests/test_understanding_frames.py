"""Round 4 of issue 19: how a message frames what it mentions (bot/domain/frames.py) and what the
understanding layer does with it, through the real Application against the Bot API double.

The failure patterns are those the held-out sets A-D showed (bench/README.md §7), written here
in new words: the 999 line added to past events and to messages whose help is another topic's;
victims' help sent to people asking for tips or history; "yo" read as "year old". (Round 5's
idioms, which the model may now overrule, are in tests/test_understanding_round5.py.)
"""

from __future__ import annotations

import pytest

from bot.content import Content
from bot.domain.frames import frames_of
from bot.domain.words import words_of
from tests.conftest import Harness

CHAT = 929292


def block(content: Content, topic: str) -> str:
    return next(c.reply for c in content.safety.categories if c.id == topic)


async def _settled(h: Harness) -> None:
    await h.send(CHAT, "/start nag_fishermead")


@pytest.mark.parametrize(
    ("text", "frames"),
    [
        ("hes outside my door rn", ("now",)),
        ("someone broke into the garage last weekend", ("past",)),
        ("was there a riot here back in the 80s", ("past", "asking")),
        ("any tips on keeping my van safe", ("asking",)),
        ("im 15 and scared", ("minor",)),
        ("my son (he's 34) shouts at me", ("adult",)),
        ("my 9yo came home crying", ("minor",)),
        ("when is the next meeting", ("opinion",)),  # talk of the partnership's meetings
        ("my answer to question 3 is vandalism", ("opinion",)),
        ("our main worry is speeding", ("opinion",)),
        ("vandalism and fly tipping", ("list",)),
        ("drug dealing near schools", ("list",)),
        ("he hit me", ()),
        ("help me", ()),
        ("whats the best way to end it all", ()),  # not a request for tips
        ("how many of my pills would it take", ()),
    ],
)
def test_frames_of_a_message(content: Content, text: str, frames: tuple[str, ...]):
    assert frames_of(words_of(text, content.safety.aliases), content.frames) == frames


@pytest.mark.parametrize(
    "text",
    [
        "I'll murder my brother if he finishes the milk again",
        "the traffic on the grid roads will be the death of me",
        "any tips to stop my car getting broken into on the drive",
        "how do I stop my shed being robbed again",
        "was there ever a murder in Olney, doing a history project",
        "yo",
        "yo whats good",
    ],
)
async def test_idioms_tips_and_history_get_no_helpline(
    harness: Harness, content: Content, text: str
):
    await _settled(harness)
    calls = await harness.send(CHAT, text)
    for c in calls:
        assert content.safety.footer not in (c.text or ""), f"help sent for {text!r}"
    assert await harness.rows("SELECT * FROM safety_counts") == []


@pytest.mark.parametrize(
    ("text", "need", "never"),
    [
        # Happening now: the 999 line stays, however it is worded.
        ("someone is stabbing people outside the shops right now", {"emergency"}, set()),
        ("help", {"emergency"}, set()),
        ("theres a man in my garden with a knife rn", {"emergency"}, set()),
        ("how many paracetamol would it take to not wake up", {"suicide_self_harm"}, set()),
        # A plain cry for help (examples of them since round 5: content/examples/cries.yaml).
        ("I am in danger", {"emergency"}, set()),
        # In the past or not urgent: the topic's help, not the in-danger-now line.
        (
            "someone torched the car park bins last night, all burnt out now",
            {"fire"},
            {"emergency"},
        ),
        ("my bike got nicked from outside college yesterday", {"crime_asb"}, {"emergency"}),
        (
            "someone got stabbed near the station last year, did they catch him?",
            {"crime_asb"},
            {"emergency"},
        ),
        # Other help given: the 999 line found by a phrase the model does not back is dropped.
        ("my wife slaps me but nobody would believe a bloke", {"domestic_abuse"}, {"emergency"}),
    ],
)
async def test_now_keeps_the_999_line_and_the_past_gets_its_topic(
    harness: Harness, content: Content, text: str, need: set[str], never: set[str]
):
    await _settled(harness)
    sent = (await harness.send(CHAT, text))[0].text or ""
    for topic in need:
        assert block(content, topic) in sent, f"{topic} missing for {text!r}"
    for topic in never:
        assert block(content, topic) not in sent, f"{topic} wrongly given for {text!r}"


async def test_a_greeting_yo_is_a_greeting(harness: Harness):
    await _settled(harness)
    said = " ".join(c.text or "" for c in await harness.send(CHAT, "yo"))
    assert "Hello! What would you like to do?" in said, said
