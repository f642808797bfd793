"""Round 8 of issue 19, through the real Application against the Bot API double.

Held-out set H is now examples (content/examples/blind19h.yaml). A short message starting "I"
that holds a 999 phrase is a cry ("I am in danger"): its 999 line stays whatever the model says,
as a whole-message cry's does, unless it jokes ("lol", "haha", 😂: the joke frame). Otherwise a
999 phrase that is the only help and that the model does not back gives way to a topic the
model finds likelier. Sentences here are new wording, not copied from the examples.
"""

from __future__ import annotations

import pytest

from bot.content import Content
from bot.domain.words import words_of
from tests.conftest import Harness
from tests.test_understanding_frames import CHAT, _settled, block


async def _said(h: Harness, text: str) -> str:
    await _settled(h)
    return " ".join(c.text or "" for c in await h.send(CHAT, text))


@pytest.mark.parametrize("text", ["I'm honestly scared for my life", "i am in danger here"])
async def test_a_short_cry_starting_i_gets_the_999_line(harness: Harness, content: Content, text):
    u = harness.services.understanding
    assert "emergency" in u.safety.find(text).strong, "a 999 phrase (what the test exercises)"
    assert not u.frames(text), "not 'now', not a whole-message cry: the cry is what keeps it"
    assert block(content, "emergency") in await _said(harness, text)
    rows = await harness.rows("SELECT category FROM safety_counts")
    assert [r["category"] for r in rows] == ["emergency"]


async def test_a_joke_is_not_a_cry(harness: Harness, content: Content):
    text = "im in danger of failing maths lol"
    u = harness.services.understanding
    assert "emergency" in u.safety.find(text).strong
    assert "frame joke" in u.frames(text)
    assert block(content, "emergency") not in await _said(harness, text)


def test_laughing_faces_are_read_as_laughter():
    assert words_of("that quiz killed me 😂🤣") == ["that", "quiz", "killed", "me", "lol", "lol"]


async def test_a_lone_999_phrase_the_model_does_not_back_gives_way(
    harness: Harness, content: Content
):
    """The rules find only the 999 line ("hits her"); the model gives it little and finds
    modern slavery likelier: the resident gets the modern slavery help, not "call 999 now"."""
    text = "a woman from my church says her employer hits her and won't give her documents back"
    assert harness.services.understanding.safety.find(text).categories == ("emergency",)
    said = await _said(harness, text)
    assert block(content, "modern_slavery") in said
    assert block(content, "emergency") not in said
    rows = await harness.rows("SELECT category FROM safety_counts")
    assert [r["category"] for r in rows] == ["modern_slavery"]


async def test_there_is_fire_is_not_the_slang(harness: Harness, content: Content):
    """"that burger place is fire" is slang and masked; "there is fire in the bin store" is a
    fire (the mask read "is fire" anywhere, and this got no help at all)."""
    said = await _said(harness, "there is fire in the bin store downstairs please what number")
    rows = await harness.rows("SELECT category FROM safety_counts")
    assert rows and {r["category"] for r in rows} <= {"emergency", "fire"}
    assert any(block(content, t) in said for t in ("emergency", "fire"))
    calls = await harness.send(CHAT, "that new burger place is fire 🔥")
    assert all(content.safety.footer not in (c.text or "") for c in calls)
