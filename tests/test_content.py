"""Content validation: the shipped content is valid; every problem is reported as file:line."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import get_args

import pytest

from bot.cli import main
from bot.content import ContentError, load_content
from bot.content.keys import TextKey
from tests.conftest import LONDON, ROOT


def test_shipped_content_is_valid(content):
    assert len(content.nags) == 28
    assert len({n.id for n in content.nags}) == 28
    ids = {c.id for c in content.campaigns}
    for needed in (
        "loan-shark-week",
        "hate-crime-week",
        "prevent-schools-week",
        "winter-burglary",
        "take-five",
        "diwali-burglary",
    ):
        assert needed in ids
    for nag in content.nags:
        assert 1 <= len(nag.priorities) <= 3
        assert nag.meetings.nth is not None or nag.meetings.extra


def test_every_text_key_the_code_uses_exists(content):
    assert set(get_args(TextKey)) <= set(content.t().keys())


def test_files_say_sample_data_is_illustrative():
    head = (ROOT / "content" / "nags.yaml").read_text()[:2000].lower()
    assert "illustrative" in head


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    dest = tmp_path / "content"
    shutil.copytree(ROOT / "content", dest)
    return dest


def _line_of(path: Path, needle: str, nth: int = 1) -> int:
    seen = 0
    for i, line in enumerate(path.read_text().splitlines(), 1):
        if needle in line:
            seen += 1
            if seen == nth:
                return i
    raise AssertionError(f"{needle!r} not in {path}")


def _problems(directory: Path) -> list[str]:
    with pytest.raises(ContentError) as info:
        load_content(directory, LONDON)
    return [str(p) for p in info.value.problems]


def _replace(path: Path, old: str, new: str, count: int = 1) -> None:
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, count))


def test_many_problems_reported_at_once_with_lines(copy: Path):
    nags = copy / "nags.yaml"
    _replace(nags, "id: fishermead", "id: cmk")  # duplicate id
    _replace(nags, 'phone: "101"', 'phone: "call us"')
    _replace(nags, "every: first", "every: firstish")
    probs = _problems(copy)
    first, dup = _line_of(nags, "id: cmk"), _line_of(nags, "id: cmk", 2)
    assert f"content/nags.yaml:{dup}: id 'cmk' is used twice (first on line {first})" in probs
    phone_line = _line_of(nags, 'phone: "call us"')
    assert (
        f"content/nags.yaml:{phone_line}: contact.phone: 'call us' is not a valid UK phone number"
        in probs
    )
    every_line = _line_of(nags, "every: firstish")
    assert any(p.startswith(f"content/nags.yaml:{every_line}: meetings.every") for p in probs)


def test_date_that_does_not_exist_in_london(copy: Path):
    nags = copy / "nags.yaml"
    text = nags.read_text()
    text = text.replace("      time:", '      extra: ["2027-03-28 01:30"]\n      time:', 1)
    nags.write_text(text)
    line = _line_of(nags, "2027-03-28 01:30")
    assert (
        f"content/nags.yaml:{line}: 2027-03-28 01:30 does not exist in Europe/London (the clocks go forward then)"
        in _problems(copy)
    )


def test_yaml_syntax_error_has_line(copy: Path):
    camp = copy / "campaigns.yaml"
    lines = camp.read_text().splitlines()
    idx = next(i for i, ln in enumerate(lines) if ln.strip().startswith("title:"))
    lines[idx] = lines[idx] + ": : ["
    camp.write_text("\n".join(lines))
    assert _problems(copy) == [
        f"content/campaigns.yaml:{idx + 1}: a colon and a space ': ' in the middle of a text: "
        "put the whole text in quotes, or check this line's indentation"
    ]


def test_text_too_long_and_button_label_too_long(copy: Path):
    texts = copy / "texts.en.yaml"
    _replace(texts, "button.calendar: 📅 Add to calendar", "button.calendar: " + "x" * 70)
    _replace(texts, "campaigns.none: ", "campaigns.none: " + "y" * 4100 + " ")
    probs = _problems(copy)
    assert (
        f"content/texts.en.yaml:{_line_of(texts, 'button.calendar:')}: button.calendar: 70 characters, over Telegram's 64"
        in probs
    )
    assert any(
        f"texts.en.yaml:{_line_of(texts, 'campaigns.none:')}: campaigns.none:" in p for p in probs
    )


def test_missing_text_and_broken_placeholder(copy: Path):
    texts = copy / "texts.en.yaml"
    lines = [ln for ln in texts.read_text().splitlines() if not ln.startswith("stop.done:")]
    texts.write_text("\n".join(lines))
    _replace(texts, "area.set: ✅ Your area is now <b>{name}</b>.", "area.set: Your area is {name")
    probs = _problems(copy)
    assert "content/texts.en.yaml:1: stop.done: the bot needs this text but it is missing" in probs
    assert any("area.set: broken {placeholder}" in p for p in probs)


def test_bad_url_email_postcode_coordinates_and_no_meetings(copy: Path):
    nags = copy / "nags.yaml"
    _replace(nags, "url: https://", "url: htps://")
    _replace(nags, "@milton-keynes.gov.uk", "milton-keynes.gov.uk")
    _replace(nags, 'postcodes: ["', 'postcodes: ["NN1", "')
    text = nags.read_text()
    at = text.rindex("lat: 52.")
    nags.write_text(text[:at] + "lat: 53." + text[at + len("lat: 52.") :])
    probs = "\n".join(_problems(copy))
    assert "is not a valid web address" in probs
    assert "is not a valid email address" in probs
    assert "'NN1': give a district like 'MK6'" in probs
    assert "centre is not in Milton Keynes" in probs


def test_nag_without_meetings(copy: Path):
    nags = copy / "nags.yaml"
    text = nags.read_text()
    start = text.index("      every:")
    end = text.index("\n", start)
    nags.write_text(text[:start] + "      # no pattern" + text[end:])
    probs = "\n".join(_problems(copy))
    line = _line_of(nags, "# no pattern") - 1
    assert f"content/nags.yaml:{line}: this NAG has no meetings" in probs


def test_check_content_cli(copy: Path, capsys):
    assert main(["check-content", str(copy)]) == 0
    assert "OK (28 NAGs" in capsys.readouterr().out
    _replace(copy / "nags.yaml", 'phone: "101"', 'phone: "nope"')
    assert main(["check-content", str(copy)]) == 1
    err = capsys.readouterr().err
    assert "content/nags.yaml:" in err and "Traceback" not in err


def test_bot_refuses_to_start_on_invalid_content(copy: Path, tmp_path: Path, capsys, monkeypatch):
    _replace(copy / "nags.yaml", 'phone: "101"', 'phone: "nope"')
    cfg = tmp_path / "c.yaml"
    cfg.write_text(f'content:\n  dir: "{copy}"\nstorage:\n  path: "{tmp_path}/db.sqlite3"\n')
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "12345:" + "A" * 35)
    assert main(["run", "--config", str(cfg)]) == 1
    err = capsys.readouterr().err
    assert "did not start" in err and "nags.yaml:" in err


def test_yearly_campaigns_keep_their_weekday(content):
    from datetime import date

    loan = content.campaign_by_id["loan-shark-week"]
    assert loan.starts.weekday() == 0
    start, end = loan.occurrence(date(2027, 6, 1))
    assert start == date(2027, 10, 18) and start.weekday() == 0  # Monday, as in 2026
    assert (end - start) == (loan.ends - loan.starts)
    assert loan.occurrence(date(2026, 10, 20)) == (loan.starts, loan.ends)  # this year's run


def test_an_example_two_labels_claim_is_a_file_line_problem(tmp_path: Path):
    """content/examples/: one message, one answer (issue 19)."""
    import shutil

    from bot.content import ContentError, load_content

    folder = tmp_path / "content"
    shutil.copytree(ROOT / "content", folder)
    extra = folder / "examples" / "zz.yaml"
    extra.write_text(
        'messages:\n  - {intent: help, text: "Add to calendar!"}\n'
        '  - {intent: nonsense, text: "something new"}\n',
        encoding="utf-8",
    )
    with pytest.raises(ContentError) as err:
        load_content(folder)
    problems = [str(p) for p in err.value.problems]
    assert any(
        p.startswith("content/examples/zz.yaml:2: 'Add to calendar!' is also labelled 'intent")
        for p in problems
    ), problems
    assert "content/examples/zz.yaml:3: unknown intent 'nonsense'" in problems
