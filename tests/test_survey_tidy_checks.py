"""Tidy surveys (issue 12): the progress line, one screen per message, and what is stored
while a response is open (tests/survey_tidy.py has the self-checking chat).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.content import Content, Question
from bot.domain import surveys as dom
from bot.render.text import answered_text, question_text, survey_intro
from tests.conftest import ROOT, TEST_SECRET, close_harness
from tests.helpers import SCREEN
from tests.olddb import database_before
from tests.survey_tidy import (  # noqa: F401 (_print_figures, small, shipped: fixtures)
    CS,
    FIGURES,
    MECHANICS,
    NP,
    RESIDENT,
    Tidy,
    _print_figures,
    _tidy,
    open_row,
    shipped,
    small,
)

# ---------------------------------------------------------------- progress


def test_progress_is_a_bound_while_the_route_can_branch_and_exact_after(content: Content) -> None:
    survey = content.survey_by_id[CS]
    assert dom.progress(survey, "safe_day", {}) == dom.Progress(1, 10, False)
    said = {"safe_day": ("4",), "safe_dark": ("4",)}  # no follow-up question: one fewer
    assert dom.progress(survey, "worries", said) == dom.Progress(3, 9, False)
    said |= {"worries": ("asb",), "contact": ("no",)}  # jumps over two questions: fixed now
    assert dom.progress(survey, "know_nag", said) == dom.Progress(5, 8, True)
    assert dom.progress(content.survey_by_id[NP], "top3", {}) == dom.Progress(1, 2, True)


def _any_answer(q: Question, data: st.DataObject) -> dom.Answer:
    if not q.required and data.draw(st.booleans()):
        return None
    if q.type in ("single", "yesno", "rating"):
        return (data.draw(st.sampled_from([o.id for o in q.choices()])),)
    if q.type in ("multi", "top"):
        ids = [o.id for o in q.options]
        if q.type == "top":
            n = min(q.pick, len(ids))
        else:
            n = data.draw(st.integers(max(q.min or 1, 1), q.max or len(ids)))
        return tuple(data.draw(st.permutations(ids))[:n])
    if q.type == "number":
        lo = q.min if q.min is not None else -5
        hi = q.max if q.max is not None else 200
        return (str(data.draw(st.integers(lo, hi))),)
    return (data.draw(st.sampled_from(["a", "lighting", "x" * 40])),)


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(data=st.data())
def test_progress_never_goes_backwards_or_grows_going_forward(
    content: Content, small_content: Content, data: st.DataObject
) -> None:
    """Forward through any answers: n goes up by one, the total never grows, an exact total stays
    exact, and the route really taken is within what was shown at every step."""
    surveys = [*content.surveys, small_content.survey_by_id[MECHANICS]]
    survey = data.draw(st.sampled_from(surveys))
    answers: dict[str, dom.Answer] = {}
    shown: list[dom.Progress] = []
    q = dom.first_question(survey)
    while q is not None:
        p = dom.progress(survey, q.id, answers)
        if shown:
            last = shown[-1]
            assert p.n == last.n + 1 and p.total <= last.total
            assert not last.fixed or (p.fixed and p.total == last.total)
        shown.append(p)
        answers[q.id] = _any_answer(q, data)
        q = dom.next_question(survey, q, answers)
    length = len(shown)
    assert all(p.n <= length <= p.total for p in shown)
    assert all(length == p.total for p in shown if p.fixed)


# ---------------------------------------------------------------- one screen


def _sentences(html: str) -> list[str]:
    text = re.sub(r"<[^>]+>", "", html)
    return [s for s in re.split(r"(?<=[.!?])\s+|\n+", text) if s.strip()]


def test_every_shipped_survey_message_fits_one_screen_with_short_sentences(
    content: Content,
) -> None:
    """Every question of every shipped survey in its longest form (intro above the first, the
    longest earlier answer shown, every header), and answered; and every survey sentence a
    resident reads is at most 20 words."""
    from bot.preview.double import visible_text

    t = content.texts["en"]
    longest = 0
    headers = [t.get("survey.resume"), t.get("survey.changing")]
    for survey in content.surveys:
        for i, q in enumerate(survey.questions):
            by_length = sorted(q.choices(), key=lambda o: -len(o.label))
            most = {"top": q.pick, "multi": q.max or len(q.options)}.get(q.type, 1)
            big: dom.Answer = (
                ("x" * q.max_length,)
                if q.type == "text"
                else tuple(o.id for o in by_length[:most])
                if by_length
                else ("-" + "1" * 9,)
            )
            # Under the intro (its first showing: nothing answered yet), then answered.
            if i == 0:
                intro = survey_intro(t, survey)
                shown = [question_text(t, survey, q, {}, intro, titled=False)]
                shown.append(answered_text(t, q, big, intro))
            else:
                shown = []
            # Later showings: resumed or changing, with the longest earlier answer.
            for header in headers:
                shown.append(question_text(t, survey, q, {q.id: big}, header))
                shown.append(answered_text(t, q, big))
            for text in shown:
                longest = max(longest, len(visible_text(text, "HTML")))
    assert longest <= SCREEN, longest
    FIGURES.longest_possible = max(FIGURES.longest_possible, longest)
    words = {}
    texts = yaml.safe_load((ROOT / "content" / "texts.en.surveys.yaml").read_text())
    for key, value in texts.items():
        if key.startswith(("survey.", "button.survey")):
            words[key] = max((len(s.split()) for s in _sentences(str(value))), default=0)
    for survey in content.surveys:
        for part in ("intro", "privacy", "thanks"):
            sentences = _sentences(getattr(survey, part))
            words[f"{survey.id}.{part}"] = max(len(s.split()) for s in sentences)
    assert {k: n for k, n in words.items() if n > 20} == {}


# ---------------------------------------------------------------- storage


async def test_the_message_number_is_kept_only_while_a_response_is_open(
    tmp_path: Path, shipped: Tidy
) -> None:
    chat = shipped.chat()
    await chat.say(f"/start survey_{NP}")
    row = await open_row(shipped.h, NP, chat.chat_id)
    assert row is not None and row["message_id"] == chat.live_question()["message_id"]
    # /mydata says what it is (its own messages are not survey messages: sent outside `chat`).
    await shipped.h.send(chat.chat_id, "/mydata")
    document = shipped.h.api.sent("sendDocument", chat_id=chat.chat_id)[-1]
    data = json.loads(document.files["document"][1])
    (entry,) = [s for s in data["surveys"] if s["survey"] == NP]
    assert entry["question_message"] == row["message_id"]
    assert entry["current_question"].startswith("Pick the three issues")
    await chat.tap("Speeding")
    await chat.tap("Drugs")
    await chat.tap("Burglary")
    await chat.tap("Done")
    await chat.tap("Skip")
    rows = await shipped.h.rows("SELECT * FROM survey_responses")
    assert [(r["status"], r["message_id"]) for r in rows] == [("complete", None)]


def _database_before_007(path: Path, chat_id: int) -> None:
    """A database as migrations 001-006 left it, with a survey in progress: its question was
    posted by the version before, so no message is recorded for it."""
    conn = database_before(path, 7)
    conn.execute(
        "INSERT INTO survey_responses (id, survey_id, respondent, current, step, started_on,"
        " updated_at) VALUES (1, ?, ?, 'many', 2, '2026-11-20', '2026-11-20T10:00:00+00:00')",
        (MECHANICS, dom.pseudonym(TEST_SECRET, chat_id)),
    )
    conn.execute(
        "INSERT INTO survey_answers (response_id, question_id, rank, value) VALUES (1, 'pick', 0,"
        " 'a')"
    )
    conn.commit()
    conn.close()


async def test_a_survey_started_before_migration_007_carries_on(
    tmp_path: Path, small_content: Content
) -> None:
    """The new column is added to an existing database; a response in progress has no message
    recorded, so the first thing the resident sends posts its question once, and from then on
    the usual rules hold."""
    _database_before_007(tmp_path / "bot.sqlite3", RESIDENT)  # where make_harness stores it
    tidy = await _tidy(tmp_path, small_content)
    try:
        (row,) = await tidy.h.rows("SELECT * FROM survey_responses")
        assert row["message_id"] is None
        versions = await tidy.h.rows("SELECT version, name FROM schema_migrations")
        assert {"version": 7, "name": "survey_message"} in versions
        chat = tidy.chat(RESIDENT)
        said = await chat.say("Xray")  # multi-choice: the buttons are needed
        assert chat.sent_in(said)[0] == (
            "Please use the buttons under the question, then press Done."
        )
        assert "Pick some." in chat.sent_in(said)[1]
        await chat.say("still here")
        await chat.tap("Xray")
        await chat.tap("Done")
        assert chat.screen()[1] == "Pick some.\n✔ Your answer: Xray"
        (row,) = await tidy.h.rows("SELECT * FROM survey_responses")
        assert row["current"] == "rate" and row["message_id"] == chat.live_question()["message_id"]
    finally:
        await close_harness(tidy.h)
