"""Both models scored in one pass (bot/domain/textmodel.py: PairScores) give each model's own
scores: the bot's faster path decides exactly as the models do."""

from __future__ import annotations

import pytest

from bot.domain.textmodel import Example, LinearModel, PairScores, features
from bot.domain.words import words_of

TOPICS = [
    ("he has a knife outside my door", {"weapons"}),
    ("someone stabbed my brother", {"weapons"}),
    ("my partner hits me", {"abuse"}),
    ("she won't let me leave the house", {"abuse"}),
    ("when is the next meeting", set()),
    ("thank you very much", set()),
]
INTENTS = [
    ("when is the next meeting", "next_meeting"),
    ("what time is the meeting", "next_meeting"),
    ("hello there", "greeting"),
    ("hi", "greeting"),
    ("he has a knife", "none"),
]
MESSAGES = [
    "he has a knife",
    "hello, when is the meeting?",
    "zzzz qqqq",  # no word any model has seen
    "",  # no words at all
    "my partner hits me, hello",
]


def models() -> tuple[LinearModel, LinearModel]:
    topics = LinearModel.train(
        ["weapons", "abuse"],
        [Example(tuple(words_of(t)), frozenset(n), hints=("weapons",) * ("knife" in t))
         for t, n in TOPICS],
    )  # fmt: skip
    intents = LinearModel.train(
        ["greeting", "next_meeting", "none"],
        [Example(tuple(words_of(t)), frozenset({i})) for t, i in INTENTS],
    )
    return topics, intents


@pytest.mark.parametrize("text", MESSAGES)
@pytest.mark.parametrize("hints", [(), ("weapons",), ("greeting", "unseen hint")])
def test_each_model_scores_the_same_through_the_pair(text: str, hints: tuple[str, ...]) -> None:
    topics, intents = models()
    pair = PairScores((topics, intents))
    words = tuple(words_of(text))
    prepared = pair.prepare(words)
    for which, model in enumerate((topics, intents)):
        expected = model.scores(words, hints)
        got = pair.scores(which, prepared, hints)
        assert list(got) == list(expected)
        for label in expected:  # equal up to the order of a float32 sum
            assert got[label] == pytest.approx(expected[label], rel=1e-6, abs=1e-9)
    # the number of features counted is the model's own (each counts once)
    assert prepared[1] == len(features(words))


def test_a_model_missing_from_the_pair_has_no_columns() -> None:
    topics, _ = models()
    pair = PairScores((topics, None))
    words = tuple(words_of("he has a knife"))
    assert pair.scores(0, pair.prepare(words)) == pytest.approx(topics.scores(words))
