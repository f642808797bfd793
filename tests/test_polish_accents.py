"""Polish typed without its accents (issue 23): "noz" is "nóż", "maz" is "mąż". The bot reads
Polish letters without their accents (bot/domain/words.py), so the lexicon, the examples and the
model see one word for both spellings; English (which has none of these letters) is unchanged."""

from __future__ import annotations

import pytest

from bot.content import Content, load_content
from bot.domain.safety import Category, Detector, Lexicon, words_of
from tests.conftest import LONDON, close_harness
from tests.test_delivery import add_residents, harness
from tests.test_languages import DRAFTS, polish_content_dir

CHAT = 5151


def test_polish_letters_are_read_without_accents():
    assert words_of("NÓŻ, żółć i gęś!") == ["noz", "zolc", "i", "ges"]
    assert words_of("Mąż mnie bije") == words_of("maz mnie bije") == ["maz", "mnie", "bije"]


def test_other_accents_and_english_are_unchanged():
    assert words_of("I met José at the café") == ["i", "met", "josé", "at", "the", "café"]
    assert words_of("he's got a knife") == ["hes", "got", "a", "knife"]


def test_an_alias_written_with_accents_reads_as_the_message_does():
    assert words_of("jakis facet", {"jakis": "jakiś"}) == ["jakis", "facet"]
    assert words_of("nwm", {"nwm": "nie wiem"}) == ["nie", "wiem"]


def test_a_lexicon_entry_with_accents_matches_a_message_without_and_the_reverse():
    d = Detector(
        Lexicon(
            (
                Category("emergency", "Emergency", words=("=nożem",), phrases=("mąż grozi",)),
                Category("fire", "Fire", words=("pozar*",)),
            )
        )
    )
    assert d.find("facet z nozem").categories == ("emergency",)
    assert d.find("MAZ GROZI mi").categories == ("emergency",)
    assert d.find("pożar w bloku").categories == ("fire",)
    assert not d.find("noże w kuchni")


@pytest.fixture(scope="module")
def polish(tmp_path_factory: pytest.TempPathFactory) -> Content:
    return load_content(polish_content_dir(tmp_path_factory.mktemp("pla") / "c"), LONDON)


async def test_polish_danger_typed_without_accents_gets_help_in_polish(tmp_path, polish):
    # tests/content_pl lists "sąsiad|mąż|partner grozi mi" with its accents only.
    h = await harness(tmp_path, polish, DRAFTS)
    await add_residents(h, [CHAT], nag="alpha")
    await h.send(CHAT, "po polsku")
    calls = await h.send(CHAT, "maz grozi mi")
    assert "Jeśli grozi ci niebezpieczeństwo teraz, dzwoń pod 999" in calls[0].text
    assert len(calls) == 1
    await close_harness(h)
