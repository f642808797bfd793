"""Tidy surveys (issue 12): the chat that checks itself after every step, and its figures.

Shared by tests/test_survey_tidy.py (the journeys) and tests/test_survey_tidy_walk.py (the
randomised walk). After EVERY step, the chat holds at most one message with live question
buttons and every message fits one phone screen (`TidyChat`). A failing check prints the
conversation. The figures (steps, journeys, most live question keyboards seen, longest survey
message) are printed at the end of each module's run.
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from bot import callback_data as cd
from bot.content import Content
from bot.domain import surveys as dom
from bot.preview.double import EDITS, Rules
from tests.conftest import TEST_SECRET, Harness, close_harness, make_harness
from tests.fakes.botapi import Call, FakeBotApi
from tests.helpers import SCREEN, Conversation

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
