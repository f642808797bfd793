"""Answering and leaving a survey, as plain values for any front end: whether a press is on the
current question, saving an answer (and finishing on the last one), a multi-choice draft, Back,
and what stopping does (keeping a changed survey's answers when they still make a whole route).

Every decision is bot/domain/surveys.py's and every write storage/surveys.py's; the chat
(bot/handlers/survey_answers.py, survey_leaving.py) parses the update, calls these and renders.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime

from bot.content.surveys import Question, Survey
from bot.domain import surveys as dom
from storage.surveys import Answer, Response, SurveyStore


@dataclass(frozen=True)
class OnQuestion:
    """A response on its current question."""

    resp: Response
    survey: Survey
    question: Question


def is_current(resp: Response | None, respondent: str, step: int | None = None) -> bool:
    """`resp` is this respondent's, still open, and on the shown `step` (when given)."""
    if resp is None or resp.respondent != respondent or resp.status != "open":
        return False
    return step is None or resp.step == step


def on_question(
    surveys: Mapping[str, Survey], resp: Response | None, respondent: str, step: int | None = None
) -> OnQuestion | None:
    """`resp` if it is current (`is_current`) and its survey and question are still in the
    content; else None (nothing may be recorded)."""
    if resp is None or not is_current(resp, respondent, step):
        return None
    survey = surveys.get(resp.survey_id)
    q = survey.question(resp.current) if survey else None
    if survey is None or q is None:
        return None
    return OnQuestion(resp, survey, q)


async def pressed(
    store: SurveyStore, surveys: Mapping[str, Survey], respondent: str, response: int, step: int
) -> OnQuestion | None:
    """The response a button names, if the press is on its current question."""
    return on_question(surveys, await store.get(response), respondent, step)


async def current(
    store: SurveyStore, surveys: Mapping[str, Survey], respondent: str
) -> OnQuestion | None:
    """The respondent's survey in progress, on its current question."""
    return on_question(surveys, await store.current(respondent), respondent)


@dataclass(frozen=True)
class Answered:
    """An answer saved: `answers` with it; `moved` is the response on the `next` question, or
    None when the survey is finished."""

    answers: dict[str, Answer]
    next: Question | None
    moved: Response | None


async def give(
    store: SurveyStore, at: OnQuestion, value: Answer, now: datetime, today: date
) -> Answered:
    """Save the answer to the current question; move on to the next, or finish the response
    (keeping only the answers on the resident's final route)."""
    survey, resp, q = at.survey, at.resp, at.question
    answers = await store.answers(resp.id)
    answers[q.id] = value
    nxt = dom.next_question(survey, q, answers)
    await store.save_answer(resp.id, q.id, value, nxt.id if nxt else None, now)
    if nxt is not None:
        # The state just written is known here: the caller renders from it, not a read-back.
        moved = replace(resp, current=nxt.id, step=resp.step + 1, draft=None, message_id=None)
        return Answered(answers, nxt, moved)
    keep = dom.final_route(survey, answers) or list(answers)
    await store.complete(
        resp, keep, anonymous=survey.anonymous, now=now, today=today.isoformat()
    )  # fmt: skip
    return Answered(answers, None, None)


def shown_picks(resp: Response, answers: Mapping[str, Answer], q: Question) -> tuple[str, ...]:
    """The picks on screen: the draft being changed, else the answer given before."""
    return resp.draft if resp.draft is not None else (answers.get(q.id) or ())


@dataclass(frozen=True)
class Drafted:
    """A pick toggled: the response with its new draft, and the answers saved so far."""

    resp: Response
    answers: dict[str, Answer]


async def toggle(
    store: SurveyStore, at: OnQuestion, option: str, now: datetime
) -> Drafted | dom.Invalid:
    """Add or remove one pick of a multi-choice or top-N question (kept as a draft)."""
    answers = await store.answers(at.resp.id)
    result = dom.toggle(at.question, shown_picks(at.resp, answers, at.question), option)
    if isinstance(result, dom.Invalid):
        return result
    await store.set_draft(at.resp.id, result, now)
    return Drafted(replace(at.resp, draft=result), answers)


async def picks(store: SurveyStore, at: OnQuestion) -> tuple[str, ...] | dom.Invalid:
    """Done pressed: the picks to answer with, or why they can't be."""
    chosen = shown_picks(at.resp, await store.answers(at.resp.id), at.question)
    problem = dom.check_picks(at.question, chosen)
    return problem if problem is not None else chosen


@dataclass(frozen=True)
class Back:
    """The response moved back (shown in `in_message`), and the answers saved so far."""

    resp: Response
    answers: dict[str, Answer]


async def back(
    store: SurveyStore, at: OnQuestion, now: datetime, in_message: int | None
) -> Back | None:
    """Back to the question asked before this one on the resident's route (None: it is the
    first)."""
    answers = await store.answers(at.resp.id)
    prev = dom.previous_question(at.survey, at.question.id, answers)
    if prev is None:
        return None
    await store.move(at.resp.id, prev.id, now, in_message)
    moved = replace(
        at.resp, current=prev.id, step=at.resp.step + 1, draft=None, message_id=in_message
    )
    return Back(moved, answers)


# ---------------------------------------------------------------- leaving


@dataclass(frozen=True)
class Leaving:
    """What stopping a response does: whether it is a change of a finished survey's answers,
    the answers saved, and the answers kept (None: all are deleted)."""

    changing: bool
    answers: dict[str, Answer]
    keep: list[str] | None

    @property
    def asks_first(self) -> bool:
        """Saved answers would be deleted: the resident is asked before."""
        return bool(self.answers) and self.keep is None


async def leaving(store: SurveyStore, survey: Survey, resp: Response) -> Leaving:
    changing = (
        survey.changeable
        and not survey.repeatable
        and await store.has_completed(survey.id, resp.respondent)
    )
    answers = await store.answers(resp.id)
    keep = dom.final_route(survey, answers) if changing else None
    return Leaving(changing, answers, keep)


async def stop(
    store: SurveyStore, survey: Survey, resp: Response, now: datetime, today: date
) -> Leaving:
    """Stop the response: a change of answers that still makes a whole route keeps them (the
    survey stays answered), else the response is cancelled (a change: the survey is no longer
    answered)."""
    left = await leaving(store, survey, resp)
    if left.keep is not None:
        await store.complete(
            resp, left.keep, anonymous=survey.anonymous, now=now, today=today.isoformat()
        )
    else:
        await store.cancel(resp.id, now, forget_completion=left.changing)
    return left
