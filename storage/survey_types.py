"""Survey rows and the helpers every survey repository shares.

Responses are keyed by a pseudonymous respondent key computed by the caller (never a chat id);
an anonymous row keeps only a random id, a random key and the week.
"""

from __future__ import annotations

import secrets
import sqlite3
from dataclasses import dataclass, field
from datetime import date, timedelta

from storage.db import from_row
from storage.model import ResponseStatus

RS = ResponseStatus  # short, inside SQL text

# An answer: the chosen values in order (one for most types), or None when skipped.
Answer = tuple[str, ...] | None


@dataclass(frozen=True)
class Response:
    id: int
    survey_id: str
    respondent: str
    nag_id: str | None
    status: ResponseStatus
    current: str | None
    step: int
    draft: tuple[str, ...] | None  # picks not yet confirmed with Done (None: no draft)
    started_on: date
    completed_on: date | None
    # The message showing the current question (None: not known, or the response isn't open).
    message_id: int | None = None


@dataclass(frozen=True)
class SurveyCounts:
    """Raw aggregates for one group of completed responses (a filter, or one NAG-week block)."""

    completed: int
    # question_id -> number of completed responses that answered it (not skipped)
    answered: dict[str, int]
    # question_id -> value -> number of responses that chose it
    values: dict[str, dict[str, int]]
    # question_id -> value -> sum of the 0-based ranks it was given ("top N" ordering)
    ranks: dict[str, dict[str, int]] = field(default_factory=dict)


@dataclass(frozen=True)
class AnswerRow:
    response_id: int
    nag_id: str | None
    completed_on: str | None
    question_id: str
    rank: int
    value: str | None


def as_response(r: sqlite3.Row) -> Response:
    # NULL draft: no picks changed yet, the question shows the saved answer; "[]" is a draft with
    # every pick taken off, which must not fall back to the saved answer.
    return from_row(Response, r)


def unlinked_key() -> str:
    """A random key that replaces the pseudonym on rows that must no longer be linkable."""
    return "anon:" + secrets.token_hex(12)


def week_of(day: str) -> str:
    """The Monday of the ISO week holding `day` (YYYY-MM-DD): all an anonymous row keeps."""
    d = date.fromisoformat(day[:10])
    return (d - timedelta(days=d.weekday())).isoformat()


def random_id() -> int:
    """A random row id for a finished anonymous response.

    Ids handed out in order would tell the order people started in, which residents' timestamps
    could be matched against. Negative, so SQLite's next id for a new response (largest + 1)
    never depends on them.
    """
    return -1 - secrets.randbelow(2**62)
