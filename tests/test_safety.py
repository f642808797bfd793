"""Safeguarding through the real Application: every category's help, wherever the text arrives
(outside any flow, while the bot asks for an area, inside a survey, in a caption, after a
command), nothing stored or logged but weekly counts, the officers' /safety view, and the
editors' `safermk-bot signpost` and `check-content` on the lexicon."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import pytest

from bot import callback_officers as ob
from bot.cli import main
from bot.content import Content
from tests import builders as b
from tests.conftest import ADMIN_ID, OFFICER_ID, ROOT, Harness, close_harness, make_harness
from tests.test_surveys import answers, begin, tap

CHAT = 737373
NOT_UNDERSTOOD = "didn't understand"

# One message per category, each in a resident's words.
BY_CATEGORY = {
    "emergency": "theres a man outside with a machete",
    "fire": "smoke pouring out the flat above mine",
    "suicide_self_harm": "i dont want to be alive anymore",
    "domestic_abuse": "my husband wont let me leave the house",
    "sexual_violence": "i think i was spiked at the weekend",
    "child_at_risk": "a man online keeps asking my daughter for photos",
    "missing_person": "my son hasnt come home since yesterday",
    "collision": "a van knocked a cyclist off on the grid road",
    "modern_slavery": "the lads at the car wash never leave and their boss took their passports",
    "hate_crime": "someone sprayed racist graffiti on our door",
    "loan_shark": "the man who lent me money says it has doubled and he's kept my bank card",
    "fraud_scam": "a caller pretending to be from the bank emptied my account",
    "crime_asb": "my shed was broken into last night",
}


def reply_of(content: Content, category: str) -> str:
    return next(c.reply for c in content.safety.categories if c.id == category)


@pytest.mark.parametrize("category", list(BY_CATEGORY))
async def test_each_category_gets_its_help_and_the_no_reports_footer(
    harness: Harness, content: Content, category: str
):
    calls = await harness.send(CHAT, BY_CATEGORY[category])
    sends = [c for c in calls if c.method == "sendMessage"]
    assert len(sends) == 1, "one short message, nothing after it"
    text = sends[0].text
    assert reply_of(content, category) in text
    assert text.endswith(content.safety.footer)
    assert "can't take reports" in text and "999" in text
    assert len(text) <= 1200
    assert NOT_UNDERSTOOD not in text


async def test_most_urgent_help_comes_first(harness: Harness, content: Content):
    calls = await harness.send(CHAT, "my ex has a knife and says he will kill me tonight")
    text = calls[0].text
    emergency = text.index(reply_of(content, "emergency"))
    domestic = text.index(reply_of(content, "domestic_abuse"))
    assert emergency < domestic


@pytest.mark.parametrize(
    "text",
    [
        "can you help me find my area",
        "is the meeting at the fire station",
        "tell me about loan shark week",
        "Hate Crime Awareness Week",
        "Coffee Hall, Netherfield, Beanhill & Tinkers Bridge",
    ],
)
async def test_ordinary_messages_raise_no_alarm(harness: Harness, content: Content, text: str):
    calls = await harness.send(CHAT, text)
    assert all(content.safety.footer not in c.text for c in calls)


async def test_a_danger_message_that_names_a_place_is_signposted_not_taken_as_the_area(
    harness: Harness, content: Content
):
    await harness.send(CHAT, "/start")
    calls = await harness.send(CHAT, "someone was stabbed in Fishermead")
    assert reply_of(content, "emergency") in calls[0].text
    assert len(calls) == 1, "no area choice, no consent question, no 'didn't understand'"
    row = (await harness.rows("SELECT nag_id FROM residents WHERE chat_id = ?", (CHAT,)))[0]
    assert row["nag_id"] is None
    # the same resident can still set their area in the next message
    await harness.send(CHAT, "Fishermead")
    row = (await harness.rows("SELECT nag_id FROM residents WHERE chat_id = ?", (CHAT,)))[0]
    assert row["nag_id"] == "fishermead"


@pytest.mark.parametrize(
    "text",
    [
        "when's the next meeting? someone keeps following me home",  # also the next-meeting words
        "delete my data my ex is stalking me",  # also the forget words
    ],
)
async def test_a_danger_message_that_also_asks_for_something_gets_only_the_help(
    harness: Harness, content: Content, text: str
):
    await harness.send(CHAT, "/start nag_fishermead")
    calls = await harness.send(CHAT, text)
    assert content.safety.footer in calls[0].text
    assert len(calls) == 1, "no meeting card, no 'Are you sure?': the help is the answer"
    assert await harness.rows("SELECT chat_id FROM residents WHERE chat_id = ?", (CHAT,))


async def test_survey_free_text_is_signposted_first_then_saved_and_the_survey_goes_on(
    harness: Harness, content: Content
):
    await begin(harness, chat=CHAT)
    await tap(harness, "1", chat=CHAT)
    await tap(harness, "1", chat=CHAT)
    said = "Someone was stabbed near the shops"
    calls = await harness.send(CHAT, said)
    assert reply_of(content, "emergency") in calls[0].text
    assert "Question 4 of" in calls[-1].text
    assert (await answers(harness))["unsafe_why"] == [said]


async def test_danger_typed_at_a_choice_question_is_signposted_then_re_asked_in_one_line(
    harness: Harness, content: Content
):
    await begin(harness, chat=CHAT)
    calls = await harness.send(CHAT, "I am in danger")
    sent = [c.text for c in calls if c.method == "sendMessage"]
    assert reply_of(content, "emergency") in sent[0]
    # The question above keeps its buttons: one line says what it expects, no second copy.
    assert len(sent) == 2 and "Please press one of the numbers" in sent[1]


async def test_a_worrying_caption_is_signposted_without_the_media_reply(
    harness: Harness, content: Content
):
    update = b.photo_update(CHAT)
    update["message"]["caption"] = "he did this to me last night, my partner hits me"
    calls = await harness.push(update)
    assert [reply_of(content, "domestic_abuse") in c.text for c in calls] == [True]


async def test_words_after_a_command_are_checked_too(harness: Harness, content: Content):
    calls = await harness.send(CHAT, "/meetings i want to kill myself")
    assert reply_of(content, "suicide_self_harm") in calls[0].text


async def test_text_is_never_stored_or_logged_only_a_weekly_count(
    harness: Harness, caplog: pytest.LogCaptureFixture
):
    said = "my boyfriend hits me and took my phone"
    with caplog.at_level(logging.DEBUG):
        await harness.send(CHAT, said)
    assert "boyfriend" not in caplog.text
    tables = [
        r["name"] for r in await harness.rows("SELECT name FROM sqlite_master WHERE type='table'")
    ]
    for table in tables:
        for row in await harness.rows(f"SELECT * FROM {table}"):  # noqa: S608 - test
            assert said not in str(row) and "boyfriend" not in str(row)
    counts = await harness.rows("SELECT * FROM safety_counts ORDER BY category")
    assert counts == [
        # "took my phone" is part of the abuse here, not a theft to report (issue 19)
        {"week": "2026-W48", "category": "domestic_abuse", "count": 1},
    ]
    assert set(counts[0]) == {"week", "category", "count"}, "no chat id, no time of day"


async def test_every_kind_of_help_in_one_answer_is_counted_once_per_answer(harness: Harness):
    counts = harness.services.safety_counts
    await counts.add("2026-W48", ["emergency", "weapons_knife_crime"])  # one statement, both rows
    await counts.add("2026-W48", ["weapons_knife_crime"])
    await counts.add("2026-W49", ["emergency"])
    await counts.add("2026-W49", [])
    rows = await harness.rows("SELECT * FROM safety_counts ORDER BY week, category")
    assert rows == [
        {"week": "2026-W48", "category": "emergency", "count": 1},
        {"week": "2026-W48", "category": "weapons_knife_crime", "count": 2},
        {"week": "2026-W49", "category": "emergency", "count": 1},
    ]


async def test_a_count_that_cannot_be_written_never_stops_the_help(
    harness: Harness, content: Content
):
    await harness.db.execute("DROP TABLE safety_counts")
    calls = await harness.send(CHAT, BY_CATEGORY["fire"])
    assert reply_of(content, "fire") in calls[0].text  # and no handler error (the harness checks)


async def test_officers_see_weekly_counts_with_small_numbers_withheld(harness: Harness):
    for i in range(6):
        await harness.send(5000 + i, BY_CATEGORY["domestic_abuse"])
    for i in range(2):
        await harness.send(6000 + i, BY_CATEGORY["fraud_scam"])
    harness.clock.advance(days=7)
    await harness.send(7000, BY_CATEGORY["domestic_abuse"])
    calls = await harness.send(OFFICER_ID, "/safety")
    text = calls[-1].text
    assert "<b>Domestic abuse:</b> 0, 0, 0, 0, 0, 0, 6, fewer than 5" in text
    assert "<b>Fraud or a scam:</b> 0, 0, 0, 0, 0, 0, fewer than 5, 0" in text
    assert "from 1 to under 5" in text and "1 to 5" not in text, "the wording comes from k"
    assert "Fire or smoke" not in text, "categories never used are left out"
    assert "no message text" in text
    resident = await harness.send(CHAT, "/safety")
    assert "don't know that command" in resident[-1].text


async def test_safety_view_with_no_answers_says_so(harness: Harness):
    calls = await harness.send(ADMIN_ID, "/safety")
    assert "No safeguarding answers" in calls[-1].text


async def test_an_officer_writing_a_broadcast_about_knife_crime_gets_no_helplines(
    tmp_path: Path, content: Content
):
    h = await make_harness(tmp_path, content)
    try:
        await h.send(OFFICER_ID, "/broadcast")
        await h.press(OFFICER_ID, ob.WizardTypeText().pack())
        calls = await h.send(OFFICER_ID, "Knife crime: if you see someone with a knife, call 999")
        assert all(content.safety.footer not in c.text for c in calls)
        assert calls, "the wizard took the text"
    finally:
        await close_harness(h)


# ---------------------------------------------------------------- the editors' tools


def test_signpost_command_shows_category_entry_and_reply(capsys: pytest.CaptureFixture[str]):
    code = main(
        [
            "signpost",
            "--content",
            str(ROOT / "content"),
            "my ex keeps turning up at my door",
            "hello",
        ]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert "domestic_abuse (matched" in out
    assert "0808 2000 247" in out and "<b>" not in out, "the reply, as plain text"
    assert "no alarm" in out
    assert "1 of 2 message(s)" in out


def test_signpost_command_reads_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    f = tmp_path / "messages.txt"
    f.write_text("someone set fire to the bins\n\nwhen is the meeting\n", encoding="utf-8")
    assert main(["signpost", "--content", str(ROOT / "content"), "--file", str(f)]) == 0
    out = capsys.readouterr().out
    assert "fire (matched" in out and "1 of 2 message(s)" in out
    assert (
        main(["signpost", "--content", str(ROOT / "content"), "--file", str(tmp_path / "nope")])
        == 2
    )


def broken_content(tmp_path: Path, old: str, new: str) -> Path:
    folder = tmp_path / "content"
    shutil.copytree(ROOT / "content", folder)
    path = folder / "safety.yaml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return folder


@pytest.mark.parametrize(
    ("old", "new", "problem"),
    [
        ("  - id: fire\n", "  - id: fire\n    colour: red\n", "unknown key"),
        ("      - machete\n", '      - "@weapons"\n', "@weapons: no such group"),
        (
            "<b>In danger right now? Call 999.</b>",
            "<b>In danger right now? Call 999.",
            "never closed",
        ),
        ("      - arson*\n", "      - ars*\n", "* word needs at least 4 letters"),
        ("      - domestic\n", "      - the\n", "too common to mean danger on its own"),
        ("  - id: fire\n", "  - id: emergency\n", "used twice"),
        ('checked_on: "2026-11-24"', 'checked_on: "soon"', "is not a date"),
    ],
)
def test_check_content_reports_lexicon_problems_with_file_and_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], old: str, new: str, problem: str
):
    folder = broken_content(tmp_path, old, new)
    assert main(["check-content", str(folder)]) == 1
    err = capsys.readouterr().err
    line = next(x for x in err.splitlines() if problem in x)
    assert line.startswith("content/safety.yaml:") and line.split(":")[1].isdigit()


def test_an_old_checked_on_date_is_a_warning_not_a_failure(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    folder = broken_content(tmp_path, 'checked_on: "2026-11-24"', 'checked_on: "2020-01-01"')
    assert main(["check-content", str(folder)]) == 0
    captured = capsys.readouterr()
    assert "warning: content/safety.yaml:" in captured.err + captured.out
    assert "check them again" in captured.err + captured.out


def test_a_missing_lexicon_stops_the_bot_from_starting(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    folder = tmp_path / "content"
    shutil.copytree(ROOT / "content", folder)
    (folder / "safety.yaml").unlink()
    assert main(["check-content", str(folder)]) == 1
    assert "safety.yaml:1: file is missing" in capsys.readouterr().err
