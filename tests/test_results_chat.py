"""Survey results in an officer's chat (issue 12): with too little data one line says so; the
summary names questions by short titles (no instructions to residents), lists what can't be
shown in one line, and is split between questions when long; the charts of the questions with
a figure to show go as one album with a caption; dates are in words.

Small-number suppression itself is tested in tests/test_disclosure.py and tests/test_results.py.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.cli import main
from bot.content.surveys import strip_instructions
from bot.render.results import SUMMARY_LIMIT
from bot.render.text import plain
from tests.conftest import OFFICER_ID, ROOT, Harness
from tests.fakes.botapi import Call
from tests.helpers import Conversation
from tests.test_results import safety_answers
from tests.test_surveys import CS

INSTRUCTIONS = ("press Done", "Pick up to three", "press Skip", "Type a number", "(Optional.)")


async def seed(h: Harness, n: int, *, contact: str = "no", week: str = "2026-11-13") -> None:
    """`n` identical responses from Fishermead: safe 4 by day, 2 after dark, worried about
    anti-social behaviour and drugs."""
    rows = [("fishermead", week, safety_answers(4, 2, ("asb", "drugs"), contact))] * n
    await h.services.surveys.insert_completed(CS, rows)


async def results(h: Harness, *args: str) -> tuple[Conversation, list[Call]]:
    officer = Conversation(h, OFFICER_ID, "officer")
    before = len(h.api.calls)
    await officer.say(" ".join(["/results", CS, *args]))
    calls = [c for c in h.api.calls[before:] if c.chat_id == OFFICER_ID]
    return officer, calls


def methods(calls: list[Call]) -> list[str]:
    return [c.method for c in calls]


@pytest.mark.parametrize(
    ("responses", "words"), [(0, "no completed responses yet"), (3, "fewer than 5")]
)
async def test_too_little_data_is_one_line(
    conversation_harness: Harness, responses: int, words: str
):
    await seed(conversation_harness, responses)
    officer, calls = await results(conversation_harness)
    assert methods(calls) == ["sendMessage"], officer.transcript()
    text = officer.last()
    assert words in text and "\n" not in text, "one line: no figures, charts or CSV"
    assert "Community safety survey 2026/27" in text
    assert str(responses) not in text.replace("2026/27", ""), "a count under 5 is never shown"


def varied(n: int) -> list[tuple[str, str, dict]]:
    """`n` responses with answers spread over the options."""
    rows = []
    for i in range(n):
        worries = (("asb", "burglary", "vehicle", "speeding", "drugs", "flytipping")[i % 6],)
        answers = safety_answers(1 + i % 5, 1 + (i // 5) % 5, worries, "yes" if i % 2 else "no")
        rows.append(("fishermead", "2026-11-13", answers))
    return rows


def charted_in(summary: str) -> set[int]:
    """The questions whose summary shows at least one count ("  Label: 12 (20%)")."""
    shown, n = set(), None
    for line in summary.split("\n"):
        if m := re.match(r"(\d+)\. .* \(\d+ answered\)$", line):
            n = int(m.group(1))
        elif n is not None and re.match(r"  .+: \d+ \(\d+%\)$", line):
            shown.add(n)
    return shown


async def test_six_identical_responses_show_their_figures_and_charts(
    conversation_harness: Harness,
):
    """Issue 22: 6 responses that all chose the same answers used to read "No figures to show"
    everywhere (each 0 was taken for a small number). A 0 is a count: every figure shows."""
    h = conversation_harness
    rows = [("fishermead", "2026-11-13", safety_answers(4, 2, ("asb",), "no"))] * 6
    await h.services.surveys.insert_completed(CS, rows)
    officer, calls = await results(h)
    summary = "\n".join(s.text for s in officer.said if s.kind == "message")
    assert "No figures to show" not in summary and "Fewer than" not in summary, summary
    assert "  4: 6 (100%)" in summary and "  5: 0 (0%)" in summary
    assert "  Anti-social behaviour: 6 (100%)" in summary and "  Burglary: 0 (0%)" in summary
    assert charted_in(summary) == {1, 2, 4, 5, 8, 9}, summary
    album = next(c for c in calls if c.method == "sendMediaGroup")
    assert len(album.files) == 6, "a chart for each choice question"
    assert methods(calls)[-1] == "sendDocument"
    officer.assert_one_screen(limit=SUMMARY_LIMIT)


async def test_the_album_has_only_the_questions_with_figures(conversation_harness: Harness):
    h = conversation_harness
    await h.services.surveys.insert_completed(CS, varied(60))
    officer, calls = await results(h)
    assert methods(calls).count("sendMediaGroup") == 1 and "sendPhoto" not in methods(calls)
    album = next(c for c in calls if c.method == "sendMediaGroup")
    summary = "\n".join(s.text for s in officer.said if s.kind == "message")
    survey = h.services.content.survey_by_id[CS]
    expected = {f"{CS}-{survey.questions[n - 1].id}.png" for n in charted_in(summary)}
    assert {name for name, _ in album.files.values()} == expected
    assert len(expected) >= 2, summary
    media = album.params["media"]
    assert "a chart for each question with figures to show" in media[0]["caption"]
    assert all(m.get("caption") is None for m in media[1:]), "one caption for the album"


async def test_no_chart_when_every_figure_shown_is_zero(conversation_harness: Harness):
    h = conversation_harness
    rows = []
    for i in range(6):  # every option picked is picked by 3: hidden; the rest show 0
        a = safety_answers(
            1 + i % 2, 1 + i % 2, (("asb", "burglary")[i % 2],), ("no", "yes")[i % 2]
        )
        a["hear"] = (("telegram", "email")[i % 2],)
        rows.append(("fishermead", "2026-11-13", a))
    await h.services.surveys.insert_completed(CS, rows)
    officer, calls = await results(h)
    assert "sendPhoto" not in methods(calls) and "sendMediaGroup" not in methods(calls)
    assert methods(calls)[-1] == "sendDocument", officer.transcript()
    summary = "\n".join(s.text for s in officer.said if s.kind == "message")
    assert "Fewer than 5: 1; 2" in summary and "  5: 0 (0%)" in summary


async def test_the_summary_uses_short_titles_without_instructions(conversation_harness: Harness):
    h = conversation_harness
    await seed(h, 20)
    officer, calls = await results(h)
    summary = "\n".join(s.text for s in officer.said if s.kind == "message")
    assert "4. Biggest worries in their area (20 answered)" in summary
    assert "10. Years lived in their area" in summary
    assert not [i for i in INSTRUCTIONS if i in summary], summary


async def test_a_long_summary_is_split_between_questions(conversation_harness: Harness):
    h = conversation_harness
    rows = varied(300)
    for i, (_, _, answers) in enumerate(rows):  # every question answered, with figures to show
        answers["unsafe_why"] = ("too dark",)
        answers["know_nag"] = ("yes" if i % 3 else "no",)
        answers["hear"] = (("telegram", "email", "social", "meetings", "leaflets")[i % 5],)
        answers["anything_else"] = ("no",)
    await h.services.surveys.insert_completed(CS, rows)
    officer, calls = await results(h)
    parts = [s.text for s in officer.said if s.kind == "message"]
    assert len(parts) >= 2, officer.transcript()
    for part in parts:
        assert len(part) <= SUMMARY_LIMIT, len(part)
    for part in parts[1:]:
        assert re.match(r"\d+\. ", part), f"a part starts with a question:\n{part}"
    sizes = [len(p) for p in parts]
    assert min(sizes) >= max(sizes) / 3, f"parts of about the same size: {sizes}"


async def test_dates_in_results_are_in_words(conversation_harness: Harness):
    h = conversation_harness
    await seed(h, 6, week="2026-11-18")
    officer = Conversation(h, OFFICER_ID, "officer")
    await officer.say("/results")
    assert "open until 31 March 2027" in officer.last()
    listed = len(officer.said)
    await officer.say(f"/results {CS} 2026-11-18")
    said = officer.said[listed:]
    assert "From the week of 16 November 2026" in said[0].text
    shown = [plain(s.text) for s in said if s.kind in ("message", "photo")]
    iso = [t for t in shown if re.search(r"\d{4}-\d{2}-\d{2}", t)]
    assert not iso, iso


# ---------------------------------------------------------------- titles in the survey files


def test_instructions_are_stripped_when_a_question_has_no_title():
    assert (
        strip_instructions("Which of these worry you most? Pick up to three, then press Done.")
        == "Which of these worry you most?"
    )
    assert (
        strip_instructions("How many years? (Type a number, or press Skip.)") == "How many years?"
    )
    assert strip_instructions("Anything else? (Optional.)") == "Anything else?"
    # Nothing but an instruction: the text is kept as it is.
    assert strip_instructions("Pick the three issues, most important first.") == (
        "Pick the three issues, most important first."
    )


def test_every_shipped_question_has_a_short_title(content):  # noqa: ANN001
    for survey in content.surveys:
        for q in survey.questions:
            assert q.title and len(q.title) <= 60, (survey.id, q.id)


def test_a_too_long_title_is_a_file_line_problem(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    import shutil

    copy = tmp_path / "content"
    shutil.copytree(ROOT / "content", copy)
    path = copy / "surveys" / "community-safety.yaml"
    text = path.read_text(encoding="utf-8")
    old = "    title: Feeling safe after dark\n"
    line = text.split("\n").index(old.rstrip("\n")) + 1
    path.write_text(text.replace(old, "    title: " + "Feeling safe " * 6 + "\n"), "utf-8")
    assert main(["check-content", str(copy)]) == 1
    err = capsys.readouterr().err
    assert f"content/surveys/community-safety.yaml:{line}: title: one short line" in err, err
