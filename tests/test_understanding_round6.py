"""Round 6 of issue 19, through the real Application against the Bot API double.

Held-out set F is now examples (content/examples/blind19f.yaml), and two frames join "now",
"past" and "asking" (bot/domain/frames.py): an **opinion** (a view on the partnership's work, an
answer to its questions, talk of its meetings: "our main worry is burglaries") and a short
**list** that names things and tells no story ("vandalism and speeding"), as survey answers and
priorities are written. In either, a topic the rules found by one word needs the model's
backing, as in a request for tips; a topic found by a phrase ("he beats me") does not, so a
disclosure inside survey talk keeps its help, and so does a short cry. Sentences here are new
wording, not copied from the examples.
"""

from __future__ import annotations

import pytest

from bot.content import Content
from tests.conftest import Harness
from tests.test_understanding_frames import CHAT, _settled, block


@pytest.mark.parametrize(
    "text",
    [
        "vandalism and speeding",
        "knife crime among teenagers",
        "our main worry is burglaries on the estate",
        "my answer to question 2 is knife crime",
        "the NAG should spend more time on car theft imo",
    ],
)
async def test_survey_answers_and_priorities_get_no_helpline(
    harness: Harness, content: Content, text: str
):
    # The rules do find a topic in each (so the frame is what the test exercises).
    assert harness.services.understanding.rules_topics(text)
    await _settled(harness)
    said = " ".join(c.text or "" for c in await harness.send(CHAT, text))
    assert content.safety.footer not in said, f"help sent for {text!r}"
    assert await harness.rows("SELECT * FROM safety_counts") == []


@pytest.mark.parametrize(
    ("text", "topic"),
    [
        ("for the survey, my biggest worry is my husband, he hits me when he drinks",
         "domestic_abuse"),
        ("my priority is getting away from my boyfriend, he beats me", "domestic_abuse"),
        ("my main worry is that i want to end my life", "suicide_self_harm"),
        ("house on fire", "fire"),
        ("stabbing outside tesco", "emergency"),
    ],
)  # fmt: skip
async def test_danger_in_survey_talk_and_short_cries_keep_their_help(
    harness: Harness, content: Content, text: str, topic: str
):
    u = harness.services.understanding
    assert {"frame opinion", "frame list"} & set(u.frames(text))  # the frames are there
    await _settled(harness)
    sent = (await harness.send(CHAT, text))[0].text or ""
    assert block(content, topic) in sent, f"{topic} help missing for {text!r}"
    rows = await harness.rows("SELECT category FROM safety_counts")
    assert topic in {r["category"] for r in rows}


def test_a_list_needs_the_languages_story_words(content: Content):
    """No story words, no list frame (a language whose file lists none reads no message as a
    list); English's and Polish's each make a short message of names a list."""
    from bot.domain.frames import FrameWords, frames_of
    from bot.domain.words import words_of

    words = words_of("vandalism and speeding", content.safety.aliases)
    assert frames_of(words, FrameWords()) == ()
    assert frames_of(words, content.frames) == ("list",)
    pl = content.view("pl")
    assert frames_of(words_of("wandalizm oraz narkotyki", pl.safety.aliases), pl.frames) == (
        "list",
    )
    assert frames_of(words_of("nie dam rady dalej", pl.safety.aliases), pl.frames) == ()
