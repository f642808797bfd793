"""Surveys' part of /mydata and /forget: every response still linked to a resident, described
for them, and erased on request (split from bot/handlers/surveys.py)."""

from __future__ import annotations

import logging
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from bot.content import Texts
from bot.content.keys import TextKey
from bot.context import Services
from bot.domain.surveys import pseudonym
from bot.render.text import (
    answer_text,
    e,
)

logger = logging.getLogger(__name__)

# Kinds of pending destination (the resident's row keeps "kind:argument" while the bot asks for
# their area first; bot/handlers/navigation.py carries them on).
TO_SURVEY = "survey"  # argument: the survey's id
TO_LIST = "surveys"  # the /survey list


def respondent_key(services: Services, chat_id: int) -> str:
    return _pseudonym(services.config.survey_secret, chat_id)


# Every private message asks whether its chat has a survey in progress (InSurvey, by this key):
# the HMAC is worked out once per chat while it stays among the recent ones.
_pseudonym = lru_cache(maxsize=16384)(pseudonym)


async def collect(services: Services, chat_id: int) -> list[dict[str, Any]]:
    """Every response still linked to this person (anonymous finished ones are not: that is the
    point), with its answers, and the surveys they took part in."""
    key = respondent_key(services, chat_id)
    out: list[dict[str, Any]] = []
    for resp in await services.surveys.responses_of(key):
        survey = services.content.survey_by_id.get(resp.survey_id)
        answers = await services.surveys.answers(resp.id)
        entry: dict[str, Any] = {
            "survey": resp.survey_id,
            "title": survey.title if survey else resp.survey_id,
            "status": str(resp.status),
            "started": resp.started_on.isoformat(),
            "finished": resp.completed_on.isoformat() if resp.completed_on else None,
            "answers": [],
        }
        if resp.draft is not None:
            entry["picks_not_yet_confirmed"] = list(resp.draft)
        current = survey.question(resp.current) if survey else None
        if resp.status == "open":
            entry["current_question"] = current.text if current else resp.current
            # The number of the message in this chat that shows that question (so an answer
            # typed later can be shown under it); forgotten when the survey is finished.
            entry["question_message"] = resp.message_id
        for qid, answer_ in answers.items():
            q = survey.question(qid) if survey else None
            text = answer_text(services.texts(), q, answer_) if q else ", ".join(answer_ or ())
            entry["answers"].append({"question": q.text if q else qid, "answer": text})
        out.append(entry)
    linked = {e["survey"] for e in out}
    for survey_id in await services.surveys.completed_surveys(key):
        if survey_id not in linked:  # an anonymous survey: only the note that they took part
            survey = services.content.survey_by_id.get(survey_id)
            out.append(
                {
                    "survey": survey_id,
                    "title": survey.title if survey else survey_id,
                    "status": "anonymous",  # took part; the answers are not linked to them
                    "answers": [],
                }
            )
    return out


STATUS_WORDS: dict[str, TextKey] = {
    "open": "survey.mydata_open",
    "complete": "survey.mydata_complete",
    "anonymous": "survey.mydata_anonymous",
}


def describe(t: Texts, data: list[dict[str, Any]], tz: ZoneInfo) -> list[str]:
    lines = []
    for entry in data:
        status = STATUS_WORDS.get(entry["status"])
        entry = {**entry, "status": t.get(status) if status else entry["status"]}
        lines.append(
            t.get(
                "survey.mydata_response",
                title=e(entry["title"]),
                status=e(entry["status"]),
                n=len(entry["answers"]),
            )
        )
        for a in entry["answers"]:
            answer_ = a["answer"] if len(a["answer"]) <= 200 else a["answer"][:199] + "…"
            lines.append(
                t.get("survey.mydata_answer", question=e(a["question"][:80]), answer=e(answer_))
            )
    return lines


async def erase(services: Services, chat_id: int) -> None:
    await services.surveys.erase(respondent_key(services, chat_id))
