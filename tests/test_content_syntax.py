"""A YAML slip is one problem, first, at the line of the slip, in words an editor knows; what
follows only because the file cannot be read (every text "missing") is not reported."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.cli import main
from bot.content.yamlines import YamlProblem, load_yaml
from tests.conftest import ROOT

NEVER_CLOSED = 'a quote " opened here is never closed'


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    dest = tmp_path / "content"
    shutil.copytree(ROOT / "content", dest)
    return dest


def _break(path: Path, old: str, new: str) -> int:
    """Replace the first `old` with `new`; the 1-based line of the slip (where they differ)."""
    text = path.read_text("utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), "utf-8")
    differ = next((i for i, (a, b) in enumerate(zip(old, new, strict=False)) if a != b), None)
    at = text.index(old) + (min(len(old), len(new)) if differ is None else differ)
    return text[:at].count("\n") + 1


def _check(directory: Path, capsys: pytest.CaptureFixture[str]) -> list[str]:
    """check-content's problems, in order; it must have failed with exit code 1."""
    assert main(["check-content", str(directory)]) == 1
    lines = capsys.readouterr().err.splitlines()
    assert lines[-1] == f"{len(lines) - 1} problem(s) found; nothing was changed.", lines
    return lines[:-1]


@pytest.mark.parametrize(
    ("name", "old", "new", "message"),
    [
        # Swallows the next line up to its opening quote.
        ("texts.en.yaml", 'nag.card_areas: "Covers {areas}"', 'nag.card_areas: "Covers {areas}', NEVER_CLOSED),
        ("texts.en.yaml", "nag.no_area: You haven't", "nag.no_area: 'You haven't", "a ' in this line ends the text too early"),
        ("texts.en.yaml", "\nnag.card_title:", "\n\tnag.card_title:", "a tab character: indent with spaces"),
        ("texts.en.yaml", "\nnag.card_title:", "\n nag.card_title:", "this line is read as more of the text on line"),
        ("texts.en.yaml", "\n\n# ---- NAG card and meetings ----\nnag.no_area:", "\n\n# ---- NAG card and meetings ----\n nag.no_area:", "this line is not indented like the lines around it"),
        ("texts.en.yaml", "start.welcome_qr: |-\n  ", "start.welcome_qr: |-\n   ", "the first line of this text is indented more than line"),
        ("texts.en.yaml", "\nnag.card_areas:", "\nnag.card_title:", "nag.card_title is written twice (first on line"),
        ("texts.en.broadcast.yaml", 'send or schedule a campaign message"', "send or schedule a campaign message", NEVER_CLOSED),
        ("nags.yaml", 'time: "18:30"', 'time: "18:30', NEVER_CLOSED),
        # The last quote of the file: YAML reads on to the end.
        ("surveys/community-safety.yaml", '- if: "no"', '- if: "no', NEVER_CLOSED),
        # Swallows two hundred lines, up to a quote before an @.
        ("safety.yaml", 'checked_on: "2026-11-24"', 'checked_on: "2026-11-24', NEVER_CLOSED),
        ("intents.yaml", '- "@erase @data"', '- "@erase @data', NEVER_CLOSED),
        ("campaigns.yaml", 'starts: "2026-10-12"', 'starts: "2026-10-12', NEVER_CLOSED),
    ],
)  # fmt: skip
def test_a_slip_is_one_problem_at_its_line(
    copy: Path, capsys: pytest.CaptureFixture[str], name: str, old: str, new: str, message: str
):
    line = _break(copy / name, old, new)
    problems = _check(copy, capsys)
    assert len(problems) == 1, problems
    assert problems[0].startswith(f"content/{name}:{line}: {message}"), problems


def test_real_problems_in_other_files_are_still_listed_after_the_slip(
    copy: Path, capsys: pytest.CaptureFixture[str]
):
    line = _break(
        copy / "texts.en.yaml", 'nag.card_areas: "Covers {areas}"', 'nag.card_areas: "Covers'
    )
    far = _break(copy / "nags.yaml", "centre: {lat: 52.0410", "centre: {lat: 62.0410")
    bad_date = _break(copy / "campaigns.yaml", 'starts: "2026-10-12"', 'starts: "2026-13-12"')
    problems = _check(copy, capsys)
    assert problems == [
        f"content/texts.en.yaml:{line}: {NEVER_CLOSED} (YAML reads on to line {line + 1}): "
        'end the text with "',
        f"content/campaigns.yaml:{bad_date}: '2026-13-12' is not a date like 2026-10-23",
        f"content/nags.yaml:{far}: centre is not in Milton Keynes",
    ], problems


def test_nags_that_cannot_be_read_do_not_make_every_nag_named_elsewhere_unknown(
    copy: Path, capsys: pytest.CaptureFixture[str]
):
    _break(copy / "campaigns.yaml", "    repeat: yearly\n", "    repeat: yearly\n    nags: [cmk]\n")
    line = _break(copy / "nags.yaml", 'time: "18:30"', 'time: "18:30')
    assert _check(copy, capsys) == [
        f"content/nags.yaml:{line}: {NEVER_CLOSED} (YAML reads on to line {line + 9}): "
        'end the text with "'
    ]
    # Readable again, a NAG that does not exist is still named.
    _break(copy / "nags.yaml", 'time: "18:30', 'time: "18:30"')
    _break(copy / "campaigns.yaml", "nags: [cmk]", "nags: [nowhere]")
    assert any("nags: no NAG has the id 'nowhere'" in p for p in _check(copy, capsys))


def test_another_language_is_not_missing_every_text_when_a_file_cannot_be_read(
    copy: Path, capsys: pytest.CaptureFixture[str]
):
    (copy / "texts.cy.yaml").write_text("nag.no_area: 'Dych chi ddim wedi dewis ardal\n", "utf-8")
    assert _check(copy, capsys) == [
        f"content/texts.cy.yaml:1: {NEVER_CLOSED.replace(chr(34), chr(39))} (YAML reads on to "
        "the end of the file): end the text with '"
    ]
    # Readable, the other texts fall back to English, but the file must say what it is.
    (copy / "texts.cy.yaml").write_text("nag.no_area: Dych chi ddim wedi dewis ardal\n", "utf-8")
    assert [p for p in _check(copy, capsys) if "texts.cy" in p] == [
        "content/texts.cy.yaml:1: language: {code: ..., name: ..., english_name: ...,"
        " status: draft|reviewed} is missing"
    ]
    # English unreadable: Welsh is not missing the texts English would have had.
    line = _break(copy / "texts.en.yaml", "\nnag.card_title:", "\n\tnag.card_title:")
    assert _check(copy, capsys) == [
        f"content/texts.en.yaml:{line}: a tab character: indent with spaces, not tabs"
    ]


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("a: one\nb: Note: two\n", 2, "a colon and a space ': ' in the middle of a text"),
        ("a: one\nb two\nc: three\n", 2, "this line needs a colon after its name"),
        ("a: [one, two\nb: three\nc: four\n", 1, "a [ or { opened here is never closed"),
        ("a: one\nb: @two\n", 2, "a text cannot start with @: put the whole text in quotes"),
        ('a: one\nb: "C:\\path"\n', 2, "a backslash \\ in text between double quotes"),
        ('a: one\nb: "<a href="{url}">site</a>"\n', 2, 'a " in this line ends the text too early'),
        ("a: one\nb: two\na: three\n", 3, "a is written twice (first on line 1)"),
    ],
)
def test_slips_are_named_in_an_editors_words(tmp_path: Path, text: str, line: int, message: str):
    path = tmp_path / "file.yaml"
    path.write_text(text, "utf-8")
    with pytest.raises(YamlProblem) as info:
        load_yaml(path)
    assert (info.value.line, info.value.message[: len(message)]) == (line, message)
