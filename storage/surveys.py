"""Survey responses repository: sessions, answers as they are given, completion, erasure, results.

All survey SQL lives in SurveyStore's parts: answering (storage/survey_answering.py), results
(storage/survey_results.py) and a respondent's own data (storage/survey_privacy.py). The rows
are storage/survey_types.py's, re-exported here so callers import them from one place.
"""

from __future__ import annotations

from collections.abc import Callable

from storage.db import Database
from storage.survey_answering import SurveyAnswering
from storage.survey_privacy import SurveyPrivacy
from storage.survey_results import SurveyResultQueries
from storage.survey_types import Answer, AnswerRow, Response, SurveyCounts, week_of

__all__ = ["Answer", "AnswerRow", "Response", "SurveyCounts", "SurveyStore", "week_of"]


class SurveyStore(SurveyAnswering, SurveyResultQueries, SurveyPrivacy):
    def __init__(self, db: Database) -> None:
        self.db = db
        # Respondent keys with a survey in progress, mirrored in memory so the message filter can
        # decide without a query; loaded at start-up and kept in step by SurveyAnswering and
        # SurveyPrivacy.
        self._open: set[str] = set()
        # Called after each completed response (the bot's metrics count them; no argument, so
        # nothing about the respondent leaves this module).
        self.on_complete: Callable[[], None] | None = None
