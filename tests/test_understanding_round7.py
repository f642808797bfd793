"""Round 7 of issue 19, through the real Application against the Bot API double.

Held-out set G is now examples (content/examples/blind19g.yaml). The model also reads pairs of
words one apart ("hits … with"), a short list that only names topics gets no helpline even
when the rules found a topic by a phrase ("domestic abuse and loan sharks"; short cries keep
their help: tests/test_understanding_round6.py), a second topic beside a likelier one needs the
model's backing unless a phrase found it, and a threat "for tonight" is as urgent as one for
now. A message that reads as ordinary as a whole but holds a sentence or clause with a danger
phrase gets its help. Sentences here are new wording, not copied from the examples.
"""

from __future__ import annotations

import pytest

from bot.content import Content
from bot.domain.textmodel import features
from tests.conftest import Harness
from tests.test_understanding_frames import CHAT, _settled, block


async def _said(h: Harness, text: str) -> str:
    await _settled(h)
    return " ".join(c.text or "" for c in await h.send(CHAT, text))


@pytest.mark.parametrize(
    "text",
    ["hate crime and antisocial behaviour", "domestic abuse and loan sharks"],
)
async def test_a_list_that_names_topics_gets_no_helpline(
    harness: Harness, content: Content, text: str
):
    u = harness.services.understanding
    assert u.safety.find(text).strong, "a phrase found a topic (what the test exercises)"
    assert "frame list" in u.frames(text)
    assert content.safety.footer not in await _said(harness, text)
    assert await harness.rows("SELECT * FROM safety_counts") == []


async def test_a_threat_for_tonight_gets_the_999_line_beside_the_topics_help(
    harness: Harness, content: Content
):
    text = "my ex has a knife and says he will cut me tonight"
    assert "frame now" in harness.services.understanding.frames(text)
    said = await _said(harness, text)
    assert block(content, "emergency") in said
    assert block(content, "domestic_abuse") in said


async def test_a_sentence_with_a_danger_phrase_is_read_on_its_own(
    harness: Harness, content: Content
):
    """Meeting talk first, then the danger: the whole reads as ordinary to the model, the
    sentence with the phrase does not."""
    said = await _said(harness, "is the litter pick still on? a man keeps following me home")
    assert block(content, "emergency") in said
    rows = await harness.rows("SELECT category FROM safety_counts")
    assert [r["category"] for r in rows] == ["emergency"]


async def test_a_clause_with_a_danger_phrase_is_read_on_its_own_too(
    harness: Harness, content: Content
):
    """A request for the bot first ("remove my details"), then the danger, after a comma: the
    help, and not the "Are you sure?" of deleting the data."""
    await _settled(harness)
    calls = await harness.send(CHAT, "can you remove my details, my ex keeps stalking me")
    assert block(content, "domestic_abuse") in (calls[0].text or "")
    assert len(calls) == 1, "the help is the answer: no 'Are you sure?' of deleting the data"


def test_the_model_reads_pairs_of_words_one_apart():
    found = features(("my", "dad", "hits", "me"))
    assert {"k dad me", "k my hit", "b hit me"} <= found
    assert "k my me" not in found  # two words apart: not read
