"""The safeguarding matcher's rules, each on a tiny lexicon of its own (not the shipped one)."""

from __future__ import annotations

import pytest

from bot.domain.safety import Category, Detector, Lexicon, words_of


def detector(*categories: Category, safe: tuple[str, ...] = (), names: tuple[str, ...] = (),
             aliases: dict[str, str] | None = None, groups: dict[str, tuple[str, ...]] | None = None,
             ) -> Detector:  # fmt: skip
    lex = Lexicon(
        categories=categories,
        safe_phrases=safe,
        aliases=aliases or {},
        groups=groups or {},
        footer="FOOTER",
        max_blocks=2,
    )
    return Detector(lex, names)


def cat(cid: str, **kw: tuple[str, ...]) -> Category:
    return Category(id=cid, title=cid.title(), reply=f"HELP-{cid}", **kw)


def found(d: Detector, text: str) -> tuple[str, ...]:
    return d.find(text).categories


def test_normalisation_case_apostrophes_punctuation_repeats_and_aliases():
    assert words_of("He WON'T let me…LEAVE!!!") == ["he", "wont", "let", "me", "leave"]
    assert words_of("pleeeeease  hellllp") == ["pleease", "hellp"]
    assert words_of("u ok?", {"u": "you"}) == ["you", "ok"]
    assert words_of("he’s") == words_of("he's") == ["hes"]


def test_words_match_every_inflection_by_stem():
    d = detector(cat("x", words=("threaten",)))
    for text in ("he threatened me", "THREATENING texts", "she threatens us"):
        assert found(d, text) == ("x",), text
    assert found(d, "a threat") == ()  # a different stem: needs threat* or its own word


def test_prefix_exact_and_doubled_letters():
    d = detector(
        cat("p", words=("threat*",)), cat("m", words=("=missing",)), cat("s", words=("stabbed",))
    )
    assert found(d, "threats and threatening") == ("p",)
    assert found(d, "my son is missing") == ("m",)
    assert found(d, "I missed the bus") == ()  # =missing does not stem to miss
    assert found(d, "he was stabed") == ("s",)


def test_one_typo_in_longer_words_but_never_a_common_word():
    d = detector(cat("k", words=("knife", "attacked")), cat("g", words=("gun",)))
    assert found(d, "guy with a nife") == ("k",)  # missing letter
    assert found(d, "a kinfe") == ("k",)  # swapped letters
    assert found(d, "he atacked me") == ("k",)
    assert found(d, "I've attached a photo") == ()  # 'attached' is ordinary English
    assert found(d, "a gum wrapper") == ()  # three letters: exact only


def test_phrases_in_order_with_up_to_two_words_between():
    d = detector(cat("d", phrases=("wont let me leave|go",)))
    assert found(d, "he won't ever let me go out") == ("d",)
    assert found(d, "wont let me just quietly leave") == ("d",)  # two words between
    assert found(d, "wont let me go and buy some milk to leave") == ("d",)
    assert found(d, "wont let me buy some of the milk to leave") == ()  # too far apart
    assert found(d, "let me leave, he wont") == ()  # out of order


def test_together_groups_any_order_within_the_window():
    d = detector(
        cat("c", together=("@child + bruise|belt",)), groups={"child": ("boy", "year old")}
    )
    assert found(d, "bruises all over the little boy next door") == ("c",)
    assert found(d, "my 7 year old came home with belt marks") == ("c",)
    far = "the boy " + "and then we went on " * 5 + "a bruise"
    assert found(d, far) == ()


def test_safe_phrases_and_names_mask_only_their_own_words():
    d = detector(cat("f", words=("fire",)), safe=("fire station|brigade",), names=("Fire Lane",))
    assert found(d, "is the meeting at the fire station") == ()
    assert found(d, "I live on Fire Lane") == ()
    assert found(d, "there's a fire next to the fire station") == ("f",)


def test_urgency_cue_counts_only_with_another_category():
    d = detector(
        cat("urgent", phrases=("help me",), cues=("right now", "outside")),
        cat("crime", words=("burgled",)),
    )
    assert found(d, "I'd like the meeting times right now") == ()
    assert found(d, "we were burgled") == ("crime",)
    assert found(d, "we are being burgled right now") == ("urgent", "crime")


def test_exactly_matches_whole_messages_only_and_reply_is_ordered_and_capped():
    d = detector(cat("a", exactly=("help",)), cat("b", words=("fraud",)), cat("c", words=("scam",)))
    assert found(d, "Help!") == ("a",)
    assert found(d, "help with the survey") == ()
    finding = d.find("help")
    assert d.reply(finding) == "HELP-a\n\nFOOTER"
    both = d.find("a fraud and a scam")
    assert both.categories == ("b", "c")
    assert d.reply(d.find("fraud scam")).count("HELP-") == 2  # max_blocks
    assert d.reply(d.find("nothing here")) == ""


@pytest.mark.parametrize("text", ["", "   ", "!!!", "🙂🙂", "\x00\u202e"])
def test_empty_and_odd_input_find_nothing(text: str):
    d = detector(cat("a", words=("knife",)))
    assert not d.find(text)


def test_explain_names_the_entry_that_matched():
    d = detector(cat("a", phrases=("kill myself",)), cat("b", words=("scam",)))
    assert d.explain("I want to kill myself") == [("a", "kill myself")]
    assert d.explain("hello") == []


def test_very_long_tokens_and_messages_stay_cheap():
    d = detector(cat("k", words=("knife",)))
    assert not d.find("zq" * 2500)  # one 5,000-letter "word": no typo search
    assert d.find("blah " * 800 + "he has a knife") == ("k",) or d.find("x " * 3000 + "knife")


def test_self_censored_words_still_match():
    d = detector(cat("h", words=("paki", "nonce")))
    assert found(d, "they shouted p*ki at my dad") == ("h",)
    assert found(d, "called him a n**ce") == ("h",)
    assert found(d, "*** hello ***") == ()
    assert found(d, "5*3 is fifteen") == ()
