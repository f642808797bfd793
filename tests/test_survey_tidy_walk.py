"""Tidy surveys (issue 12): a randomised walk over every shipped survey and the small mechanics
survey (tests/content_small), through the real Application, checking the chat after every step
(tests/survey_tidy.py) and the database against a model of what it must hold.

    .venv/bin/python -m pytest -q -p no:cacheprovider tests/test_survey_tidy_walk.py
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field
from typing import Any

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from bot import callback_data as cd
from bot.content import Question, Survey
from bot.domain import surveys as dom
from tests import builders as b
from tests.conftest import TEST_SECRET, Harness
from tests.survey_tidy import (  # noqa: F401 (_print_figures, small, shipped: fixtures)
    CS,
    MECHANICS,
    NP,
    PR,
    QUESTION_PREFIXES,
    Tidy,
    TidyChat,
    _print_figures,
    open_row,
    shipped,
    small,
    stored_answers,
)

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
