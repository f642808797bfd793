"""Round 5 of issue 19, through the real Application against the Bot API double.

The held-out sets A-E are now examples (content/examples/blind19.yaml), with plain cries for help
and everyday idioms (content/examples/cries.yaml), so the model can weigh the rules' 999 phrases
both ways: an idiom the model thinks calm loses the 999 line ("the wait at the GP is killing
me"), while anything the model thinks may be danger keeps it. And a message whose likeliest
label is "no feature" (the intent model learns it from danger messages) goes to the next likeliest
feature, never to one that deletes or stops something on a guess. Sentences here are new wording,
not copied from the examples.
"""

from __future__ import annotations

import pytest

from bot.content import Content
from bot.domain.understanding import NOT_ON_A_GUESS
from tests.conftest import Harness
from tests.test_understanding_frames import CHAT, _settled, block


@pytest.mark.parametrize(
    "text",
    [
        "the wait at the GP is killing me",
        "my toothache is killing me",
        "my brother will murder me for taking his charger",
    ],
)
async def test_calm_idioms_lose_the_999_line(harness: Harness, content: Content, text: str):
    # The rules do find the 999 line in each (so the model's veto is what is tested).
    assert "emergency" in harness.services.understanding.rules_topics(text)
    await _settled(harness)
    said = " ".join(c.text or "" for c in await harness.send(CHAT, text))
    assert content.safety.footer not in said, f"help sent for {text!r}"
    assert await harness.rows("SELECT * FROM safety_counts") == []


@pytest.mark.parametrize(
    "text",
    [
        "someone was stabbed in Fishermead",
        "im really scared someone is trying to get in",
        "please help im scared",
        "there is a man hitting a woman outside",
    ],
)
async def test_what_may_be_danger_keeps_the_999_line(harness: Harness, content: Content, text: str):
    await _settled(harness)
    sent = (await harness.send(CHAT, text))[0].text or ""
    assert block(content, "emergency") in sent, f"999 missing for {text!r}"
    rows = await harness.rows("SELECT category FROM safety_counts")
    assert "emergency" in {r["category"] for r in rows}


async def test_being_followed_again_and_again_gets_the_police(harness: Harness, content: Content):
    """Stalking that keeps happening: the crime line (101, and 999 in an emergency, which its
    footer says) or the 999 line; never a sensitive topic's helpline (round 8: it got Rape
    Crisis). Since round 9's examples (sets I and J label stalking that is not happening now as
    crime), the crime line."""
    await _settled(harness)
    said = " ".join(
        c.text or "" for c in await harness.send(CHAT, "someone keeps following me home")
    )
    rows = await harness.rows("SELECT category FROM safety_counts")
    assert {r["category"] for r in rows} & {"emergency", "crime_asb"}
    assert {r["category"] for r in rows} <= {"emergency", "crime_asb"}
    assert "999" in said


async def test_no_feature_first_then_the_next_likeliest(harness: Harness, content: Content):
    """Fly-tipping the model reads as "no feature" first (its danger-like words) and the
    council's route second: the resident gets the council's route, as for plain words."""
    # (round 6's examples taught the model round 5's sentence, "someone has dumped a pile of
    # builders rubble on the path by the canal, who sorts that out": a new one)
    text = "someone left a pile of builders rubble on the towpath, who sorts that out"
    u = harness.services.understanding
    scores = u._scores(1, text, u._intent_hints(text))
    assert max(scores, key=scores.__getitem__) == "none"  # the case this test is about
    await _settled(harness)
    got = [c.text for c in await harness.send(CHAT, text)]
    plain = [c.text for c in await harness.send(CHAT, "who do I call about fly tipping")]
    assert got == plain, got
    assert content.safety.footer not in " ".join(t or "" for t in got)


def test_the_next_likeliest_feature_is_never_one_that_deletes_or_stops():
    assert {"stop", "forget", "change_area", "subscribe"} <= NOT_ON_A_GUESS
