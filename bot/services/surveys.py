"""Opening a survey for a resident, as plain values for any front end: whether it can be
answered now, what must be asked first (the area, consent), whether one in progress resumes,
whether it was answered already, starting a new response, resuming one, reopening a finished
one to change its answers, and the /survey list.

The rules are bot/domain/surveys.py's; the answers so far are storage/surveys.py's. The chat
(bot/handlers/surveys.py) turns each outcome into its message.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Literal

from bot.content.surveys import Survey
from bot.domain import surveys as dom
from storage.surveys import Answer, Response, SurveyStore

OpeningKind = Literal["closed", "upcoming", "ask_first", "not_for_you", "resume", "done", "start"]


@dataclass(frozen=True)
class Opening:
    """What opening a survey does: `closed` or `upcoming` (not open today), `ask_first` (the
    `need` first: the area, or consent), `not_for_you` (another NAG's, or link-only opened from
    the list), `resume` (the response `existing` carries on), `done` (answered, and it can't be
    answered twice), `start` (a new response)."""

    kind: OpeningKind
    need: dom.Need | None = None
    existing: Response | None = None


async def opening(
    store: SurveyStore,
    survey: Survey,
    respondent: str,
    nag_id: str | None,
    *,
    consent_answered: bool,
    day: date,
    via_link: bool,
) -> Opening:
    """What opening `survey` does for this respondent (their NAG, whether they answered the
    consent question) on `day`, reached by its link or not.

    A survey already started carries on however it is reached (a link-only one from the
    /survey list, which lists it while it is in progress); one that needs something the
    resident hasn't given yet waits for it.
    """
    state = dom.status(survey, day)
    if state != "open":
        return Opening("closed" if state == "closed" else "upcoming")
    existing = await store.find(survey.id, respondent, "open")
    if existing is not None:
        return Opening("resume", existing=existing)
    need = dom.first_need(survey, has_area=nag_id is not None, consent_answered=consent_answered)
    if need is not None:
        return Opening("ask_first", need=need)
    if not dom.may_open(survey, nag_id, via_link):
        return Opening("not_for_you")
    if not survey.repeatable and await store.has_completed(survey.id, respondent):
        return Opening("done")
    return Opening("start")


async def start(
    store: SurveyStore, survey: Survey, respondent: str, nag_id: str | None, now: datetime
) -> Response:
    """A new response, on the survey's first question."""
    first = dom.first_question(survey)
    assert first is not None  # the validator guarantees at least one question
    return await store.start(survey.id, respondent, nag_id, first.id, now)


async def resume(store: SurveyStore, resp: Response, now: datetime) -> dict[str, Answer]:
    """Carry on with a response in progress (its last use is now); its answers so far."""
    await store.touch(resp.id, now)
    return await store.answers(resp.id)


@dataclass(frozen=True)
class Reopened:
    """A finished response reopened on the first question, with the answers it keeps until
    they are changed."""

    resp: Response
    answers: dict[str, Answer]


async def reopen(
    store: SurveyStore, survey: Survey, respondent: str, now: datetime
) -> Reopened | None:
    """Reopen the respondent's finished response to change its answers (None: there is none
    any more, e.g. reopened from another message)."""
    resp = await store.find(survey.id, respondent, "complete")
    first = dom.first_question(survey)
    if resp is None or first is None:
        return None
    await store.reopen(resp.id, first.id, now)
    reopened = replace(resp, current=first.id, step=resp.step + 1, draft=None, message_id=None)
    return Reopened(reopened, await store.answers(resp.id))


Note = Literal["in_progress", "done", ""]


@dataclass(frozen=True)
class Listing:
    """The /survey list: `need_area` when every survey it could list needs an area the
    resident has not given (and none is in progress); else the surveys, each with its note."""

    need_area: bool
    items: tuple[tuple[Survey, Note], ...] = ()


async def listing(
    store: SurveyStore, surveys: Sequence[Survey], respondent: str, nag_id: str | None, day: date
) -> Listing:
    """The surveys open to this respondent on `day` (and any in progress)."""
    done = set(await store.completed_surveys(respondent))
    in_progress = {r.survey_id for r in await store.open_of(respondent)}
    if nag_id is None and not in_progress:
        return Listing(need_area=True)  # every listed survey needs an area (dom.needs_area)
    items: list[tuple[Survey, Note]] = []
    for survey in surveys:
        if dom.status(survey, day) != "open":
            continue
        if not (dom.listed_for(survey, nag_id) or survey.id in in_progress):
            continue
        if survey.id in in_progress:
            note: Note = "in_progress"
        elif survey.id in done and not survey.repeatable:
            note = "done"
        else:
            note = ""
        items.append((survey, note))
    return Listing(need_area=False, items=tuple(items))
