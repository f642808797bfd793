"""Frames per language (issue 23, Polish round 3): the words of "now", "the past", "asking for
tips or information" and ages are content (content/frames.yaml, content/pl/frames.yaml added to
it in the Polish view), so a Polish request for tips is read as one, through the real
Application with the shipped content; a broken frames file is one clear line of check-content.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.cli import main
from bot.content import Content, ContentError, load_content
from bot.domain.frames import frames_of
from bot.domain.words import words_of
from tests.conftest import LONDON, ROOT, close_harness
from tests.test_delivery import add_residents, harness
from tests.test_languages import DRAFTS

CHAT = 6262


def frames(content: Content, text: str) -> tuple[str, ...]:
    return frames_of(words_of(text, content.safety.aliases), content.frames)


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("Jak najlepiej zabezpieczyć skuter, żeby go nie ukradli?", ("asking",)),
        ("co robic zeby nie wlamali sie do piwnicy", ("asking",)),
        ("macie jakieś porady o oszustwach?", ("asking",)),
        ("moim zdaniem za mało się mówi o kradzieżach", ("asking",)),
        ("on teraz stoi pod drzwiami", ("now",)),
        ("wczoraj w nocy ukradli mi rower", ("past",)),
        ("dwa lata temu było włamanie", ("past",)),
        ("mam 15 lat i boję się wracać do domu", ("minor",)),
        ("córka ma 24 lata", ("adult",)),
        ("mam 3 dzieci, kiedy jest spotkanie?", ()),  # a count after "mam", not an age
        ("co mam robić, nie oddycha", ()),  # a cry for help, not a request for tips
        ("nie dam rady dalej", ()),
        ("hes outside my door rn", ("now",)),  # the English frames are read too
    ],
)
def test_polish_frames_of_a_message(content: Content, text: str, found: tuple[str, ...]):
    assert frames(content.view("pl"), text) == found


def test_english_reads_only_the_english_frames(content: Content):
    assert frames(content, "Jak najlepiej zabezpieczyć rower, żeby go nie ukradli?") == ()
    assert frames(content, "any tips on keeping my van safe") == ("asking",)
    assert content.view("pl").frames.merged(content.frames) == content.view("pl").frames


@pytest.mark.slow
async def test_a_polish_request_for_tips_gets_no_helpline_and_danger_still_gets_help(
    tmp_path: Path, content: Content
):
    pl = content.view("pl")
    h = await harness(tmp_path, content, DRAFTS)
    await add_residents(h, [CHAT], nag=content.nags[0].id)
    await h.send(CHAT, "po polsku")
    for text in (
        "Jak najlepiej zabezpieczyć hulajnogę, żeby jej nie ukradli spod szkoły?",
        "co robić żeby nie okradli mi garażu, jakieś porady?",
    ):
        for c in await h.send(CHAT, text):
            assert pl.safety.footer not in (c.text or ""), f"help sent for {text!r}"
    assert await h.rows("SELECT * FROM safety_counts") == []
    sent = (await h.send(CHAT, "mąż mnie bije i grozi nożem, boję się wrócić do domu"))[0].text
    assert pl.safety.footer in (sent or "")
    assert "0808 2000 247" in (sent or "")  # the domestic abuse helpline, in Polish
    await close_harness(h)


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    target = tmp_path / "content"
    shutil.copytree(ROOT / "content", target)
    return target


@pytest.mark.parametrize(
    ("bad", "line", "says"),
    [
        ("now:\n  - teraz\n  - co-robić zeby\n", 3, "'co-robić' is not one word"),
        ("now:\n  - teraz\npast: wczoraj\n", 3, "past: a list of phrases"),
        ("now:\n  - teraz\nsoon:\n  - zaraz\n", 3, "soon: unknown"),
        ('ages:\n  after: [lat, lata]\n  before: ["mam 15"]\n', 3, "'mam 15': one word"),
        ("now:\n  - teraz\n  - teraz\n", 3, "listed twice"),
        ("now:\n  - teraz\n  - no\n", 3, "in quotes"),  # YAML reads a bare no as false
        ("now:\n  - teraz\n  - [w, tej]\n", 3, "not a list"),
        ("now:\n  - teraz\n  nie: tak\n", 3, ""),  # not YAML: the slip, at its line
        ("now:\n  - teraz\nstory: [ja, \"on ma\"]\n", 3, "'on ma': one word"),
        ("now:\n  - teraz\nstory: [ja, on]\n", 3, "in quotes"),  # "on" is YAML's true
    ],
)
def test_a_broken_frames_file_is_one_line_with_its_file_and_line(
    copy: Path, capsys: pytest.CaptureFixture[str], bad: str, line: int, says: str
):
    (copy / "pl" / "frames.yaml").write_text(bad, encoding="utf-8")
    with pytest.raises(ContentError) as err:
        load_content(copy, LONDON)
    problems = [p for p in err.value.problems if p.file.endswith("frames.yaml")]
    assert problems and problems[0].file == "content/pl/frames.yaml", err.value.problems
    assert problems[0].line == line and says in problems[0].message, problems
    assert main(["check-content", str(copy)]) == 1
    printed = capsys.readouterr().err
    assert f"content/pl/frames.yaml:{line}:" in printed and "Traceback" not in printed


def test_the_english_frames_file_is_checked_too(copy: Path):
    text = (copy / "frames.yaml").read_text(encoding="utf-8")
    (copy / "frames.yaml").write_text(text.replace("  - tips\n", "  - tips!?|\n"), "utf-8")
    with pytest.raises(ContentError) as err:
        load_content(copy, LONDON)
    assert [p.file for p in err.value.problems] == ["content/frames.yaml"]


def test_content_without_a_frames_file_has_no_frames(copy: Path):
    (copy / "frames.yaml").unlink()
    (copy / "pl" / "frames.yaml").unlink()
    loaded = load_content(copy, LONDON)
    assert frames(loaded, "any tips on keeping my van safe right now") == ()
