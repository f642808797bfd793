"""A number in a message ("hello 4001": a new word in every message of issue 19's benchmark) is
searched for typos only at a length where some form of the lexicon could be one (a form that is
mostly digits): every number's terms are those the full typo search finds, for both of the
bot's lexicons and for one whose forms are numbers; and the bot answers a numbered greeting and
a numbered danger message as it answers them without the number."""

from __future__ import annotations

import random

from bot.domain.safety import Category, Detector, Lexicon
from bot.domain.words import FUZZY_LONGEST
from tests.conftest import Harness

CHAT = 636363


def numbers() -> list[str]:
    rng = random.Random(19)
    out = [str(rng.randrange(10 ** (n - 1), 10**n)) for n in range(1, 23) for _ in range(30)]
    return [*out, "0000", "99999", "100000", "123456789", "١٢٣٤٥", "²³⁴⁵"]


def typo_terms_in_full(d: Detector, token: str) -> frozenset[int]:
    """What `_terms_of` found before numbers were skipped: the rest, and the full typo search."""
    d._cache.pop(token, None)
    skipped, d._number_typos = d._number_typos, frozenset(range(FUZZY_LONGEST + 1))
    try:
        return d._terms_of(token)
    finally:
        d._number_typos = skipped
        d._cache.pop(token, None)


def same_terms_for_every_number(d: Detector) -> None:
    for token in numbers():
        d._cache.pop(token, None)
        assert d._terms_of(token) == typo_terms_in_full(d, token), token


def test_the_bots_lexicons_find_the_same_terms_for_every_number(harness: Harness):
    u = harness.services.understanding
    for d in (u.safety, u.router._detector):
        same_terms_for_every_number(d)


def test_a_lexicon_of_numbers_still_finds_a_mistyped_number():
    cat = Category(id="codes", title="Codes", words=("123456789", "55555", "1000ed", "999"))
    d = Detector(Lexicon(categories=(cat,)))
    assert d._number_typos, "a form that is all digits can have a number as a typo"
    same_terms_for_every_number(d)
    assert d.find("call 123456788 now").categories == ("codes",)  # one typo, a long number
    assert d.find("call 123456 now").categories == ()


async def test_numbered_messages_are_answered_as_without_the_number(harness: Harness):
    h = harness
    for text in ("hello", "someone has a knife outside my house"):
        plain = [c.text for c in await h.send(CHAT, text)]
        numbered = [c.text for c in await h.send(CHAT + 1, f"{text} 4001")]
        assert numbered == [t.replace(text, f"{text} 4001") for t in plain] and plain, text
