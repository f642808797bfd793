"""Opening a survey for a resident, as plain values for any front end: whether it can be
answered now, what must be asked first (the area, consent), whether one in progress resumes,
whether it was answered already, and starting a new response.

The rules are bot/domain/surveys.py's; the answers so far are storage/surveys.py's. The chat
(bot/handlers/surveys.py) turns each outcome into its message.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

from bot.content.surveys import Survey
from bot.domain import surveys as dom
from storage.surveys import Response, SurveyStore

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
