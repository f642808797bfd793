"""Tidy surveys (issue 12): one question on screen at a time.

Transcript-style journeys through the real Application. The Bot API double keeps the chat as
the resident sees it (edits applied) and answers edits as Telegram does: "message to edit not
found" for a message the resident deleted, "message is not modified" for an identical edit.
After EVERY step of every journey here, and of a randomised walk over every shipped survey and
the small mechanics survey (tests/content_small), the chat holds at most one message with live
question buttons and every message fits one phone screen (`TidyChat`). A failing check prints
the conversation.

The figures (steps, journeys, most live question keyboards seen, longest survey message) are
printed at the end of the module's run:
    .venv/bin/python -m pytest -q -p no:cacheprovider tests/test_survey_tidy.py
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from bot import callback_data as cd
from bot.content import Content, Question, Survey
from bot.domain import surveys as dom
from bot.preview.double import EDITS, Rules
from bot.render.text import answered_text, question_text, survey_intro
from tests import builders as b
from tests.conftest import ROOT, TEST_SECRET, Harness, close_harness, make_harness
from tests.fakes.botapi import Call, FakeBotApi
from tests.helpers import SCREEN, Conversation
from tests.olddb import database_before

RESIDENT = 733001
MECHANICS = "mechanics"
CS = "community-safety"
NP = "nag-priorities"
PR = "partnership-review"


# ---------------------------------------------------------------- the figures


@dataclass
class Figures:
    journeys: int = 0
    steps: int = 0
    most_live: int = 0
    longest: int = 0  # seen in a chat
    longest_text: str = ""
    longest_possible: int = 0  # every shipped question in its longest form

    def report(self) -> str:
        return (
            f"survey tidy: {self.journeys} journeys and walks, {self.steps} steps; at most "
            f"{self.most_live} live question keyboard(s) in a chat after any step; longest survey "
            f"message seen {self.longest} characters, longest possible {self.longest_possible} "
            f"(limit {SCREEN})"
        )


FIGURES = Figures()


@pytest.fixture(scope="module", autouse=True)
def _print_figures(request: pytest.FixtureRequest) -> Any:
    yield
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if reporter is not None and capture is not None and FIGURES.steps:
        with capture.global_and_fixture_disabled():  # shown even when the tests pass
            reporter.write_line("")
            reporter.write_line(FIGURES.report())


# ---------------------------------------------------------------- the chat, checked at every step


def refused_edits(api: FakeBotApi) -> dict[int, str]:
    """The edits the double refused as Telegram does (its `messages` rule: "message to edit not
    found", "message is not modified"), by request, so the transcript leaves them out: nothing
    changed on screen."""
    refused: dict[int, str] = {}

    def observe(method: str, params: dict[str, Any], status: int, _: float) -> None:
        if status != 200 and method in EDITS:
            note = api.log(int(params["chat_id"])).refused[-1]
            refused[id(params)] = note["description"].removeprefix("Bad Request: ")

    api.observe(observe)
    return refused


class TidyChat(Conversation):
    """A resident's chat that checks itself after every step: at most one message with live
    question buttons, and every message and edit on one phone screen."""

    def __init__(self, harness: Harness, chat_id: int, refused: dict[int, str]) -> None:
        super().__init__(harness, chat_id)
        self.refused = refused
        self.refused_here: list[str] = []
        self.settled = False
        FIGURES.journeys += 1

    async def _push(self, update: dict[str, Any]) -> list[Any]:
        if not self.settled:
            # A resident with an area who answered the consent question: what surveys open to
            # everyone ask for first (tests/test_surveys.py tests that door).
            self.settled = True
            await self.h.settle_in(self.chat_id)
        before = len(self.h.api.calls)
        said = await super()._push(update)
        for call in self.h.api.calls[before:]:
            if id(call.params) in self.refused:
                self.refused_here.append(self.refused[id(call.params)])
        # An edit Telegram refuses as "not modified" is a wasted request, and shows as a warning
        # in the preview: none is ever made.
        assert not [r for r in self.refused_here if "not modified" in r], self.transcript()
        live = self.live_question_keyboards()
        FIGURES.steps += 1
        FIGURES.most_live = max(FIGURES.most_live, live)
        for s in said:
            if s.kind in ("message", "edit") and len(s.text) > FIGURES.longest:
                FIGURES.longest, FIGURES.longest_text = len(s.text), s.text
        assert live <= 1, f"{live} live question keyboards\n{self.transcript()}"
        self.assert_one_screen()
        return said

    def refusals(self) -> list[str]:
        """Requests of this chat that Telegram refused, in order."""
        return [r.split(":")[0] for r in self.refused_here]

    def _said(self, call: Call) -> Any:
        return None if id(call.params) in self.refused else super()._said(call)

    # ---- reading the chat

    def screen(self) -> list[str]:
        """The bot's messages as the resident sees them now, oldest first."""
        return [self.visible(m) for m in self.messages()]

    @staticmethod
    def visible(message: dict[str, Any]) -> str:
        from bot.preview.double import visible_text

        return visible_text(str(message.get("text") or ""), message.get("_parse_mode"))

    def message(self, message_id: int) -> dict[str, Any]:
        found = self.h.api.log(self.chat_id).messages.get(message_id)
        assert found is not None, f"message {message_id} is not in the chat\n{self.transcript()}"
        return found

    def live_question(self) -> dict[str, Any]:
        """The one message with live question buttons."""
        live = [
            m
            for m in self.messages()
            if any((d or "").split(":")[0] in QUESTION_PREFIXES for _, d in self._buttons(m))
        ]
        assert len(live) == 1, f"{len(live)} live questions\n{self.transcript()}"
        return live[0]

    def sent_in(self, said: list[Any]) -> list[str]:
        """New messages among what one step did."""
        return [s.text for s in said if s.kind == "message"]


QUESTION_PREFIXES = {
    k.prefix
    for k in (cd.SurveyAnswer, cd.SurveyToggle, cd.SurveyDone, cd.SurveyBack, cd.SurveySkip)
}


@dataclass
class Tidy:
    h: Harness
    refused: dict[int, str]
    _chats: itertools.count[int] = field(default_factory=lambda: itertools.count(RESIDENT))

    def chat(self, chat_id: int | None = None) -> TidyChat:
        return TidyChat(self.h, chat_id if chat_id is not None else next(self._chats), self.refused)


async def _tidy(tmp_path: Path, content: Content) -> Tidy:
    api = FakeBotApi(Rules(messages=True))
    refused = refused_edits(api)
    return Tidy(await make_harness(tmp_path, content, api=api), refused)


@pytest.fixture
async def small(tmp_path: Path, small_content: Content) -> AsyncIterator[Tidy]:
    """The small content (tests/content_small): the mechanics survey has every question type."""
    t = await _tidy(tmp_path, small_content)
    yield t
    await close_harness(t.h)


@pytest.fixture
async def shipped(tmp_path: Path, content: Content) -> AsyncIterator[Tidy]:
    t = await _tidy(tmp_path, content)
    yield t
    await close_harness(t.h)


async def stored_answers(h: Harness, response_id: int) -> dict[str, tuple[str, ...] | None]:
    return await h.services.surveys.answers(response_id)


async def open_row(h: Harness, survey_id: str, chat_id: int) -> dict[str, Any] | None:
    key = dom.pseudonym(TEST_SECRET, chat_id)
    rows = await h.rows(
        "SELECT * FROM survey_responses WHERE survey_id = ? AND respondent = ? AND status = 'open'",
        (survey_id, key),
    )
    return rows[0] if rows else None


# ---------------------------------------------------------------- journeys: answering


async def test_each_answered_question_shows_its_answer_and_the_next_is_a_new_message(
    small: Tidy,
) -> None:
    chat = small.chat()
    said = await chat.say("/start survey_mechanics")
    # The intro, its privacy note and the first question: one message.
    (first,) = chat.sent_in(said)
    assert first.startswith("📝 Mechanics Survey\n\nTesting every kind of question.")
    assert "🔒 Anonymous." in first and "Question 1 of up to 6" in first and "Pick one." in first

    await chat.tap("Banana", exact=True)  # single
    assert chat.screen()[-2].endswith("Pick one.\n✔ Your answer: Banana"), chat.transcript()
    assert chat.screen()[-2].startswith("📝 Mechanics Survey"), "the intro stays in the chat"
    assert "Question 2 of up to 6" in chat.screen()[-1]

    await chat.tap("Xray")  # multi: picks redraw the same message
    await chat.tap("Zulu")
    assert len(chat.screen()) == 2
    await chat.tap("Done")
    assert chat.screen()[-2] == "Pick some.\n✔ Your answer: Xray, Zulu"

    await chat.say("4")  # a rating, typed: the question above is edited too
    assert chat.screen()[-2] == "Rate it.\n✔ Your answer: 4"

    await chat.say("Because it is useful")  # free text
    assert chat.screen()[-2] == "Why?\n✔ Your answer: Because it is useful"

    await chat.tap("Yes", exact=True)  # yes/no: the number question is asked (show_if)
    assert chat.screen()[-2] == "All right?\n✔ Your answer: Yes"
    assert "Question 6 of 6" in chat.screen()[-1]

    await chat.say("7")  # a number: the last question
    assert chat.screen()[-2] == "How many?\n✔ Your answer: 7"
    assert chat.screen()[-1] == "🙏 Thanks for testing."
    assert chat.live_question_keyboards() == 0
    assert len(chat.screen()) == 7, "one message per question, then the thanks"
    rows = await small.h.rows("SELECT * FROM survey_responses")
    assert [r["status"] for r in rows] == ["complete"] and rows[0]["message_id"] is None
    assert await stored_answers(small.h, rows[0]["id"]) == {
        "pick": ("b",),
        "many": ("x", "z"),
        "rate": ("4",),
        "why": ("Because it is useful",),
        "ok": ("yes",),
        "more": ("7",),
    }


async def test_skip_shows_skipped(small: Tidy) -> None:
    chat = small.chat()
    await chat.say("/start survey_mechanics")
    await chat.tap("Cherry")  # jumps over "Pick some." to "Rate it."
    await chat.tap("2", exact=True)
    said = await chat.tap("Skip")
    assert chat.screen()[-2] == "Why?\n✔ Skipped"
    (sent,) = chat.sent_in(said)
    assert "Question 4 of up to 5" in sent and "All right?" in sent
    row = await open_row(small.h, MECHANICS, chat.chat_id)
    assert row is not None and (await stored_answers(small.h, row["id"]))["why"] is None


async def test_a_long_typed_answer_is_shortened_on_screen_not_in_the_database(
    shipped: Tidy,
) -> None:
    chat = shipped.chat()
    await chat.say(f"/start survey_{PR}")
    await chat.say("Thames Valley Police")
    long = "We meet every month and share what we know. " * 8  # 360 characters
    await chat.say(long)
    shown = chat.screen()[-2]
    assert shown.startswith(
        "How is SaferMK working generally in your view?\n✔ Your answer: We meet"
    )
    assert shown.endswith("…") and len(shown) < 200
    row = await open_row(shipped.h, PR, chat.chat_id)
    assert row is not None
    assert (await stored_answers(shipped.h, row["id"]))["working"] == (long.strip(),)


async def test_back_several_times_reuses_the_pressed_message(small: Tidy) -> None:
    chat = small.chat()
    await chat.say("/start survey_mechanics")
    await chat.tap("Apple")
    await chat.tap("Yankee")
    await chat.tap("Done")
    await chat.tap("3", exact=True)
    before = len(chat.screen())
    await chat.tap("Back")  # Why? -> Rate it., in the same message
    assert "Rate it." in chat.screen()[-1] and "Your answer so far: 3" in chat.screen()[-1]
    await chat.tap("Back")  # -> Pick some. (Yankee still ticked)
    assert "✅ Yankee" in chat.buttons()
    await chat.tap("Back")  # -> Pick one.
    assert "Question 1 of up to 6" in chat.screen()[-1]
    assert len(chat.screen()) == before, "Back never posts a message"
    assert "Back" not in " ".join(chat.buttons()), "no Back on the first question"
    # Answering again from there: the redrawn message shows the new answer; the next question
    # is a new message, and the answers given before are offered again.
    await chat.tap("Banana")
    assert chat.screen()[-2] == "Pick one.\n✔ Your answer: Banana"
    assert "✅ Yankee" in chat.buttons()


async def test_changing_picks_then_done(small: Tidy) -> None:
    chat = small.chat()
    await chat.say("/start survey_mechanics")
    await chat.tap("Apple")
    await chat.tap("Xray")
    await chat.tap("Yankee")
    said = await chat.tap("Zulu")  # a third pick: at most 2
    assert (
        chat.toasts()[-1] == "You can pick at most 2. Press one of your picks again to take it off."
    )
    assert not [s for s in said if s.kind in ("message", "edit")]
    await chat.tap("Xray")  # untick
    await chat.tap("Zulu")
    assert [label for label in chat.buttons() if label.startswith("✅ ")] == [
        "✅ Yankee",
        "✅ Zulu",
    ]
    await chat.tap("Done")
    assert chat.screen()[-2] == "Pick some.\n✔ Your answer: Yankee, Zulu"


async def test_taking_off_every_pick_of_an_earlier_answer_is_not_undone(small: Tidy) -> None:
    """Back to a multi-choice answered before, take its only pick off: it stays off (an empty
    draft was read as "no draft" and the earlier answer came back)."""
    chat = small.chat()
    await chat.say("/start survey_mechanics")
    await chat.tap("Apple")
    await chat.tap("Xray")
    await chat.tap("Done")
    await chat.tap("Back")
    assert "✅ Xray" in chat.buttons()
    await chat.tap("Xray")
    assert "✅ Xray" not in chat.buttons() and "Xray" in chat.buttons(), chat.transcript()
    await chat.tap("Done")
    assert chat.toasts()[-1] == "Please pick at least 1 before pressing Done."
    await chat.tap("Zulu")
    await chat.tap("Done")
    row = await open_row(small.h, MECHANICS, chat.chat_id)
    assert row is not None and (await stored_answers(small.h, row["id"]))["many"] == ("z",)


# ---------------------------------------------------------------- journeys: bad input, stale presses


async def test_bad_typed_input_gets_one_line_and_the_question_keeps_its_buttons(
    small: Tidy,
) -> None:
    chat = small.chat()
    await chat.say("/start survey_mechanics")
    question = chat.live_question()["message_id"]
    for text, expected in (
        ("maybe", "Please press one of the buttons under the question, or type an option exactly."),
        ("🙂", "Please press one of the buttons under the question, or type an option exactly."),
    ):
        said = await chat.say(text)
        assert chat.sent_in(said) == [expected]
        assert not [s for s in said if s.kind == "edit"], "nothing changes on screen"
        assert chat.live_question()["message_id"] == question
    said = await chat._push(b.sticker_update(chat.chat_id))
    assert chat.sent_in(said) == [
        "I can only take typed answers or button presses here, not stickers or files."
    ]
    await chat.tap("Cherry")
    await chat.tap("5", exact=True)
    said = await chat.say("x" * 51)  # "Why?" takes up to 50 characters
    assert chat.sent_in(said) == [
        "That's 51 characters. Please shorten it to 50 or fewer and send it again."
    ]
    await chat.tap("Skip")
    await chat.say("Yes")
    for text, expected in (
        ("eleven", "Please type a whole number (digits only) from 0 to 10."),
        ("11", "That number is out of range. Please type a number from 0 to 10."),
    ):
        said = await chat.say(text)
        assert chat.sent_in(said) == [expected]
    assert chat.live_question()["message_id"] == chat.messages()[-3]["message_id"]
    await chat.say("10")
    assert chat.screen()[-1] == "🙏 Thanks for testing."


async def test_stale_presses_on_older_questions_answer_with_a_pop_up_only(small: Tidy) -> None:
    chat = small.chat()
    await chat.say("/start survey_mechanics")
    first = chat.live_question()
    first_id = first["message_id"]
    apple = dict(chat._buttons(first))["Apple"]
    assert apple is not None
    await chat.tap("Apple")
    await chat.tap("Xray")
    live = chat.live_question()["message_id"]
    screen = chat.screen()
    # The first question's old button (it was answered: no buttons on screen any more, but a
    # slow double tap or an old client can still send it).
    said = await chat.tap_data(first_id, apple, "Apple")
    assert chat.toasts()[-1].startswith("That button is out of date")
    assert not [s for s in said if s.kind in ("message", "edit")]
    assert chat.screen() == screen and chat.live_question()["message_id"] == live
    # An old copy that still shows buttons (sent before this version, say) loses them.
    old = chat.h.api.log(chat.chat_id).messages[first_id]
    old["reply_markup"] = {"inline_keyboard": [[{"text": "Apple", "callback_data": apple}]]}
    assert chat.live_keyboards() == 2
    said = await chat.tap_data(first_id, apple, "Apple")
    assert [s.text for s in said if s.kind == "edit"] == ["(buttons changed)"]
    assert chat.live_question_keyboards() == 1 and chat.live_question()["message_id"] == live
    assert chat.screen()[0].endswith("✔ Your answer: Apple"), "its text is kept"
    # A press from the live message's previous state (before the toggle redrew it).
    row = await open_row(small.h, MECHANICS, chat.chat_id)
    assert row is not None
    stale = cd.SurveyToggle(row["id"], row["step"] - 1, "y").pack()
    said = await chat.tap_data(live, stale, "Yankee")
    assert not [s for s in said if s.kind in ("message", "edit")]
    assert (await open_row(small.h, MECHANICS, chat.chat_id)) == row, "nothing recorded"


async def test_a_question_the_resident_deleted_comes_back_without_errors(small: Tidy) -> None:
    """Telegram says a message was deleted only when it is edited: the answer typed to it, or
    the /survey list or link, bring the question back; no edit is refused on the way."""
    chat = small.chat()
    await chat.say("/start survey_mechanics")
    await chat.tap("Apple")
    await chat.tap("Xray")
    await chat.tap("Done")
    del chat.h.api.log(chat.chat_id).messages[chat.live_question()["message_id"]]  # deleted
    said = await chat.say("3")  # its answered state can't be shown: the next question comes
    assert "Why?" in chat.sent_in(said)[0]
    assert chat.refusals() == ["message to edit not found"]
    del chat.h.api.log(chat.chat_id).messages[chat.live_question()["message_id"]]  # again
    await chat.say("/survey")
    said = await chat.tap("Mechanics Survey")
    assert not chat.sent_in(said) and "Why?" in chat.visible(chat.live_question())
    assert chat.refusals() == ["message to edit not found"] * 2, "moving the old copy failed"
    await chat.say("/start survey_mechanics")
    assert chat.screen()[-2] == "Mechanics Survey: continued below ⬇️"
    row = await open_row(small.h, MECHANICS, chat.chat_id)
    assert row is not None and (await stored_answers(small.h, row["id"]))["rate"] == ("3",)


# ---------------------------------------------------------------- journeys: stop, resume, change


async def test_cancel_takes_the_buttons_off_the_question(small: Tidy) -> None:
    chat = small.chat()
    await chat.say("/start survey_mechanics")
    await chat.tap("Apple")
    said = await chat.say("/cancel")
    assert chat.sent_in(said) == [
        "🛑 Leave “Mechanics Survey”? The answers you've given so far will be deleted."
    ], "an answer is saved: it asks first"
    said = await chat.tap("Leave and delete my answers")
    assert chat.screen()[-2] == "Pick some.\n🛑 Not answered: you stopped the survey."
    assert chat.screen()[-1:] == [
        "🛑 You've stopped “Mechanics Survey”. The answers you gave to it have been deleted. "
        "Send /survey to start again."
    ]
    assert chat.live_keyboards() == 0
    rows = await small.h.rows("SELECT status, message_id FROM survey_responses")
    assert rows == [{"status": "cancelled", "message_id": None}]


async def test_resume_from_the_survey_list_turns_the_list_into_the_question(
    small: Tidy,
) -> None:
    chat = small.chat()
    await chat.say("/start survey_mechanics")
    await chat.tap("Cherry")
    old = chat.live_question()["message_id"]
    await chat.say("/survey")
    older_list = chat.messages()[-1]["message_id"]
    await chat.say("/survey")
    said = await chat.tap("Mechanics Survey")  # on the newest list
    assert not chat.sent_in(said), "no new message"
    live = chat.live_question()
    assert live["message_id"] > old
    assert chat.visible(live).startswith("👋 Welcome back! Carrying on where you left off.")
    assert "Rate it." in chat.visible(live)
    assert chat.visible(chat.message(old)) == "Mechanics Survey: continued below ⬇️"
    # The older list pressed now: the question moves up into it.
    await chat.tap_data(older_list, cd.SurveyOpen(MECHANICS).pack(), "Mechanics Survey")
    assert chat.live_question()["message_id"] == older_list
    assert chat.visible(chat.message(live["message_id"])) == "Mechanics Survey: continued above ⬆️"
    await chat.tap("4", exact=True)
    assert chat.visible(chat.message(older_list)) == "Rate it.\n✔ Your answer: 4"


async def test_a_link_only_survey_in_progress_resumes_from_the_survey_list(
    shipped: Tidy,
) -> None:
    chat = shipped.chat()
    await chat.say(f"/start survey_{PR}")
    await chat.say("Thames Valley Police")
    await chat.say("/survey")  # lists it while it is in progress
    said = await chat.tap("SaferMK Partnership Review")
    assert not chat.sent_in(said)
    assert chat.screen()[-1].startswith("👋 Welcome back!"), chat.transcript()
    assert "How is SaferMK working generally in your view?" in chat.screen()[-1]


async def test_resume_with_a_command_or_the_link_posts_one_copy(small: Tidy) -> None:
    chat = small.chat()
    await chat.say("/start survey_mechanics")
    await chat.tap("Apple")
    await chat.tap("Yankee")
    old = chat.live_question()["message_id"]
    said = await chat.say("/start survey_mechanics")  # the deep link again (a QR code, a reminder)
    (copy,) = chat.sent_in(said)
    assert copy.startswith("👋 Welcome back!") and "✅ Yankee" in chat.buttons()
    assert chat.visible(chat.message(old)) == "Mechanics Survey: continued below ⬇️"
    await chat.tap("Done")
    assert chat.screen()[-2] == "Pick some.\n✔ Your answer: Yankee"


async def test_a_second_survey_pauses_the_first(shipped: Tidy) -> None:
    chat = shipped.chat()
    await chat.say(f"/start survey_{CS}")
    await chat.tap("4", exact=True)
    first = chat.live_question()["message_id"]
    await chat.say(f"/start survey_{NP}")
    assert chat.visible(chat.message(first)) == (
        "⏸ Community safety survey 2026/27: paused. Send /survey to carry on."
    )
    await chat.tap("Speeding")
    await chat.tap("Drugs")
    await chat.tap("Burglary")
    await chat.tap("Done")
    await chat.say("Parking on the verges")  # typed: goes to the survey on screen
    assert chat.screen()[-1].startswith("🙏 Thank you! Your area's top three priorities")
    await chat.say("/survey")
    said = await chat.tap("Community safety survey")
    assert not chat.sent_in(said)
    assert "How safe do you feel in your area after dark?" in chat.visible(chat.live_question())
    await chat.say("2")
    row = await open_row(shipped.h, CS, chat.chat_id)
    assert row is not None
    assert await stored_answers(shipped.h, row["id"]) == {"safe_day": ("4",), "safe_dark": ("2",)}


async def test_changing_the_answers_of_a_finished_survey(shipped: Tidy) -> None:
    chat = shipped.chat()
    await chat.say(f"/start survey_{PR}")
    for text in ("Thames Valley Police", "Well"):
        await chat.say(text)
    await chat.tap("4", exact=True)
    for text in ("Joint tasking", "Share data sooner"):
        await chat.say(text)
    assert chat.screen()[-1].startswith("🙏 Thank you.")
    await chat.say(f"/start survey_{PR}")
    said = await chat.tap("Change my answers")
    assert not chat.sent_in(said), "the message with the button becomes the first question"
    live = chat.screen()[-1]  # a required text question first: no buttons at all
    assert live.startswith("✏️ Changing your answers. Each question shows your earlier answer.")
    assert "Question 1 of 5" in live and "Your answer so far: Thames Valley Police" in live
    await chat.say("MK City Council")
    assert chat.screen()[-2] == (
        "Which organisation do you represent?\n✔ Your answer: MK City Council"
    )
    await chat.say("Better")
    assert "Your answer so far: 4" in chat.visible(chat.live_question())
    await chat.tap("5", exact=True)
    for text in ("Joint tasking", "Share data sooner"):
        await chat.say(text)
    rows = await shipped.h.rows("SELECT * FROM survey_responses WHERE survey_id = ?", (PR,))
    assert [r["status"] for r in rows] == ["complete"] and rows[0]["message_id"] is None
    answers = await stored_answers(shipped.h, rows[0]["id"])
    assert answers["organisation"] == ("MK City Council",) and answers["working_rating"] == ("5",)


async def test_stopping_a_change_keeps_the_answers_as_they_are_now(shipped: Tidy) -> None:
    chat = shipped.chat()
    await chat.say(f"/start survey_{PR}")
    for text in ("Thames Valley Police", "Well"):
        await chat.say(text)
    await chat.tap("4", exact=True)
    for text in ("Joint tasking", "Share data sooner"):
        await chat.say(text)
    await chat.say(f"/start survey_{PR}")
    await chat.tap("Change my answers")
    await chat.say("MK City Council")
    said = await chat.say("stop")
    assert chat.sent_in(said) == [
        "✔ You've stopped changing your answers to “SaferMK Partnership Review”. "
        "They are kept as they are now."
    ]
    assert chat.screen()[-2] == (
        "How is SaferMK working generally in your view?\n✔ Your answer: Well"
    ), "the question on screen shows the answer kept"
    (row,) = await shipped.h.rows("SELECT * FROM survey_responses WHERE survey_id = ?", (PR,))
    assert row["status"] == "complete" and row["message_id"] is None
    answers = await stored_answers(shipped.h, row["id"])
    assert answers["organisation"] == ("MK City Council",) and answers["working"] == ("Well",)
    said = await chat.say(f"/start survey_{PR}")
    assert chat.sent_in(said)[0].startswith("You've already answered")


async def test_stopping_a_change_that_left_the_route_unfinished_starts_afresh(
    small: Tidy,
) -> None:
    """A changed answer led to a question not answered yet: the answers can't stand as they are,
    so they are deleted, as any stopped survey's, and the survey can be answered again (it was
    left "already answered" with nothing to change, for ever)."""
    chat = small.chat()
    await chat.say("/start survey_mechanics")
    await chat.tap("Cherry")  # jumps over "Pick some."
    await chat.tap("3", exact=True)
    await chat.tap("Skip")
    await chat.tap("No", exact=True)
    assert chat.screen()[-1] == "🙏 Thanks for testing."
    await chat.say("/start survey_mechanics")
    await chat.tap("Change my answers")
    await chat.tap("Apple")  # "Pick some." is now on the route, unanswered
    await chat.say("/cancel")
    await chat.tap("Leave and delete my answers")
    assert chat.screen()[-1].startswith("🛑 You've stopped “Mechanics Survey”.")
    assert await small.h.rows("SELECT * FROM survey_completions") == []
    assert await small.h.rows("SELECT * FROM survey_answers") == []
    said = await chat.say("/start survey_mechanics")
    assert chat.sent_in(said)[0].startswith("📝 Mechanics Survey"), "started afresh"


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


# ---------------------------------------------------------------- the randomised walk


@dataclass
class Walk:
    """One resident through one survey, choosing at random at every step, with a model of what
    the database must hold."""

    h: Harness
    chat: TidyChat
    survey: Survey
    data: st.DataObject
    expected: dict[str, dom.Answer] = field(default_factory=dict)
    draft: tuple[str, ...] | None = None
    seen: list[tuple[int, str]] = field(default_factory=list)  # old (message, button data)
    finished: int = 0
    reopened: bool = False  # a finished response being changed

    @property
    def key(self) -> str:
        return dom.pseudonym(TEST_SECRET, self.chat.chat_id)

    def draw(self, strategy: st.SearchStrategy[Any]) -> Any:
        return self.data.draw(strategy)

    async def start(self) -> None:
        self.reopened = False
        if self.survey.audience == "link" or self.draw(st.booleans()):
            await self.chat.say(f"/start survey_{self.survey.id}")
        else:
            await self.chat.say("/survey")
            await self.chat.tap(self.survey.title, exact=True)
        await self.check()

    async def row(self) -> dict[str, Any] | None:
        return await open_row(self.h, self.survey.id, self.chat.chat_id)

    def remember_buttons(self) -> None:
        for m in self.chat.messages():
            for _, d in self.chat._buttons(m):
                if d and d.split(":")[0] in QUESTION_PREFIXES:
                    self.seen.append((int(m["message_id"]), d))

    async def step(self) -> bool:
        """One random move; False when the walk is over."""
        self.remember_buttons()
        row = await self.row()
        if row is None:
            return await self.after_end()
        q = self.survey.question(row["current"])
        assert q is not None
        live = self.chat.message(row["message_id"])
        buttons = {d: label for label, d in self.chat._buttons(live)}
        moves = ["answer"] * 6 + ["bad", "stale", "list", "link"]
        if any(d.startswith(cd.SurveyBack.prefix + ":") for d in buttons):
            moves += ["back"] * 2
        if any(d.startswith(cd.SurveySkip.prefix + ":") for d in buttons):
            moves += ["skip"]
        moves += ["cancel"] if self.draw(st.integers(0, 3)) == 0 else []
        move = self.draw(st.sampled_from(moves))
        at = (row["id"], row["step"])
        if move == "answer":
            await self.answer(q, at, live["message_id"], buttons)
        elif move == "back":
            await self.press(live["message_id"], cd.SurveyBack(*at).pack(), buttons)
            self.draft = None
        elif move == "skip":
            await self.press(live["message_id"], cd.SurveySkip(*at).pack(), buttons)
            self.expected[q.id], self.draft = None, None
        elif move == "bad":
            await self.bad(q)
        elif move == "stale":
            await self.stale(at)
        elif move == "list":
            await self.chat.say("/survey")
            said = await self.chat.tap(self.survey.title, exact=True)
            assert not self.chat.sent_in(said)
        elif move == "link":
            said = await self.chat.say(f"/start survey_{self.survey.id}")
            assert len(self.chat.sent_in(said)) == 1
        else:
            said = await self.chat.say(self.draw(st.sampled_from(["/cancel", "stop"])))
            if any(s.text.startswith("🛑 Leave") for s in said):  # answers saved: asked first
                if not self.draw(st.booleans()):
                    await self.chat.tap("Carry on", exact=True)
                    await self.check()
                    return True
                await self.chat.tap("Leave and delete my answers")
            # Stopping a change of answers keeps them when they make a whole route.
            final = dom.final_route(self.survey, self.expected) if self.reopened else None
            self.expected = {qid: self.expected[qid] for qid in final} if final else {}
            self.draft, self.reopened = None, False
        await self.check()
        return True

    async def press(self, message_id: int, data: str, buttons: dict[str, str]) -> None:
        assert data in buttons, f"{data} is not on the live question\n{self.chat.transcript()}"
        await self.chat.tap_data(message_id, data, buttons[data])

    async def answer(
        self, q: Question, at: tuple[int, int], message_id: int, buttons: dict[str, str]
    ) -> None:
        if q.type in ("multi", "top"):
            await self.picks(q, at, message_id)
            return
        typed = q.type in ("text", "number") or self.draw(st.booleans())
        if q.type in ("single", "yesno", "rating"):
            option = self.draw(st.sampled_from(q.choices()))
            value: tuple[str, ...] = (option.id,)
            if not typed:
                await self.press(message_id, cd.SurveyAnswer(*at, option.id).pack(), buttons)
            else:
                words = {"yes": "Yes", "no": "no"}
                text = words.get(option.id, option.label) if q.type == "yesno" else option.label
                await self.chat.say(text.upper() if self.draw(st.booleans()) else text)
        elif q.type == "number":
            lo = q.min if q.min is not None else 0
            hi = q.max if q.max is not None else 1000
            n = self.draw(st.integers(lo, hi))
            value = (str(n),)
            await self.chat.say(f"{n:,}" if n >= 1000 else str(n))
        else:
            text = self.draw(
                st.sampled_from(
                    ["Street lighting", "More patrols near the shops", "n" * q.max_length]
                )
            )
            value = (text,)
            await self.chat.say(text)
        self.expected[q.id], self.draft = value, None

    async def picks(self, q: Question, at: tuple[int, int], message_id: int) -> None:
        picks = list(self.draft if self.draft is not None else (self.expected.get(q.id) or ()))
        limit = q.pick if q.type == "top" else (q.max or len(q.options))
        for option in self.draw(st.lists(st.sampled_from(q.options), min_size=0, max_size=5)):
            await self.chat.tap_data(
                message_id, cd.SurveyToggle(*at, option.id).pack(), option.label
            )
            if option.id in picks:
                picks.remove(option.id)
                self.draft = tuple(picks)
            elif len(picks) < limit:
                picks.append(option.id)
                self.draft = tuple(picks)
            # The live question shows the picks: ticked, or numbered in order for a top N.
            labels = {o.id: o.label for o in q.options}
            marked = [
                f"{i}. {labels[p]}" if q.type == "top" else f"✅ {labels[p]}"
                for i, p in enumerate(picks, 1)
            ]
            shown = [
                label
                for label, d in self.chat._buttons(self.chat.message(message_id))
                if (d or "").startswith(cd.SurveyToggle.prefix + ":")
                and label not in labels.values()
            ]
            assert sorted(shown) == sorted(marked), self.chat.transcript()
        said = await self.chat.tap_data(message_id, cd.SurveyDone(*at).pack(), "Done")
        if dom.check_picks(q, tuple(picks)) is None:
            self.expected[q.id], self.draft = (tuple(picks) or None), None
        else:
            assert not self.chat.sent_in(said)

    async def bad(self, q: Question) -> None:
        if self.draw(st.integers(0, 3)) == 0:
            said = await self.chat._push(b.sticker_update(self.chat.chat_id))
        else:
            text = {
                "number": self.draw(st.sampled_from(["lots", str((q.max or 100) + 1)])),
                "text": "x" * (q.max_length + 1),
            }.get(q.type, "perhaps later")
            said = await self.chat.say(text)
        assert len(self.chat.sent_in(said)) == 1, "one line, the question is not posted again"

    async def stale(self, at: tuple[int, int]) -> None:
        old = [(m, d) for m, d in self.seen if tuple(int(x) for x in d.split(":")[1:3]) != at]
        if not old:
            return
        message_id, data = self.draw(st.sampled_from(old))
        said = await self.chat.tap_data(message_id, data)
        assert not self.chat.sent_in(said), "the live question is there: nothing new posted"

    async def after_end(self) -> bool:
        completed = await self.h.rows(
            "SELECT COUNT(*) AS n FROM survey_completions WHERE survey_id = ? AND respondent = ?",
            (self.survey.id, self.key),
        )
        if not completed[0]["n"]:  # stopped: start again
            await self.start()
            return True
        if not self.survey.changeable or self.finished > 1:
            return False
        await self.chat.say(f"/start survey_{self.survey.id}")
        await self.chat.tap("Change my answers")
        self.reopened = True
        await self.check()
        return True

    async def check(self) -> None:
        """The database holds what the resident chose; the live question is the current one."""
        assert not self.chat.refused_here, "no request refused by Telegram"
        row = await self.row()
        if row is not None:
            q = self.survey.question(row["current"])
            assert q is not None and row["message_id"] is not None, self.chat.transcript()
            live = self.chat.message(row["message_id"])
            assert q.text in self.chat.visible(live), self.chat.transcript()
            for _, d in self.chat._buttons(live):
                assert tuple(int(x) for x in (d or "").split(":")[1:3]) == (
                    row["id"],
                    row["step"],
                ), f"a button of another step on the live question\n{self.chat.transcript()}"
            assert self.chat.live_question_keyboards() == (1 if self.chat._buttons(live) else 0)
            assert await stored_answers(self.h, row["id"]) == self.expected, self.chat.transcript()
            draft = row["draft"]
            stored_draft = None if draft is None else tuple(json.loads(draft))
            assert stored_draft == self.draft, self.chat.transcript()
            return
        done = await self.h.rows(
            "SELECT COUNT(*) AS n FROM survey_completions WHERE survey_id = ? AND respondent = ?",
            (self.survey.id, self.key),
        )
        if not done[0]["n"] or not self.expected:
            return
        # Just finished: the answers on the route taken are stored, the rest were dropped.
        final = dom.final_route(self.survey, self.expected)
        assert final is not None
        want = {qid: self.expected[qid] for qid in final}
        if self.survey.anonymous:
            rows = await self.h.rows(
                "SELECT id FROM survey_responses WHERE survey_id = ? AND status = 'complete'",
                (self.survey.id,),
            )
            stored = [await stored_answers(self.h, r["id"]) for r in rows]
            assert want in stored, self.chat.transcript()
        else:
            rows = await self.h.rows(
                "SELECT id FROM survey_responses WHERE survey_id = ? AND respondent = ?",
                (self.survey.id, self.key),
            )
            assert await stored_answers(self.h, rows[0]["id"]) == want, self.chat.transcript()
        assert self.chat.live_question_keyboards() == 0
        self.expected = want if self.survey.changeable else {}
        self.finished += 1
        self.reopened = False


WALK_STEPS = 60
_walk_chats = itertools.count(790001)


async def walk(tidy: Tidy, survey_id: str, data: st.DataObject) -> None:
    survey = tidy.h.services.content.survey_by_id[survey_id]
    w = Walk(tidy.h, tidy.chat(next(_walk_chats)), survey, data)
    await w.start()
    for _ in range(WALK_STEPS):
        if not await w.step():
            break


# No shrinking: a failing walk prints its whole conversation at once (shrinking one takes
# minutes); derandomised, so the same walks run every time.
WALKS = settings(
    max_examples=100,
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@WALKS
@given(survey_id=st.sampled_from([CS, NP, PR]), data=st.data())
async def test_random_walk_over_the_shipped_surveys(
    shipped: Tidy, survey_id: str, data: st.DataObject
) -> None:
    await walk(shipped, survey_id, data)


@WALKS
@given(data=st.data())
async def test_random_walk_over_the_mechanics_survey(small: Tidy, data: st.DataObject) -> None:
    await walk(small, MECHANICS, data)
