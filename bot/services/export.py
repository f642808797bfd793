"""CSV export of survey responses as a service: one row per completed response, one column per
question, for any front end (the `safermk-bot export` CLI in bot/export.py, the officers' chat
/results through bot/services/results.py).

No chat ids or respondent keys are written; NAG and time are coarsened so no row can be singled
out by them (see `write_csv`), and a selection of fewer than the threshold is refused with a
reason (`plan`). Rows are streamed from SQLite in batches and written as they arrive, so memory
stays flat however many responses there are.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TextIO

from bot.content.surveys import Question, Survey
from bot.domain.disclosure import Groups, Refusal, Selection, Tally, group, select
from storage.surveys import SurveyStore, week_of


@dataclass(frozen=True)
class Plan:
    """An export that may be written: the selection checked against the threshold."""

    survey: Survey
    groups: Groups
    selection: Selection
    since: str | None  # the date asked for (ISO), if any
    min_count: int

    @property
    def start(self) -> str | None:
        """The week the export counts from (None: from the first response)."""
        return start_of(self.groups, self.selection)

    @property
    def moved(self) -> bool:
        """Whether the export starts earlier than `since` asked, to keep every group at
        `min_count` or more (then `start` says from when)."""
        first = self.groups.starts[0] if self.groups.starts else ""
        since = self.since
        return bool(since and self.start != week_of(since) and week_of(since) > first)


def csv_value(q: Question, answer: tuple[str, ...] | None) -> str:
    """One CSV cell: labels joined with '; ' (ranked for top N); empty when skipped."""
    if not answer:
        return ""
    if q.type in ("text", "number", "rating"):
        return answer[0]
    return "; ".join(q.label(v) for v in answer)


def safe_cell(value: str) -> str:
    """Spreadsheet formula injection: a cell must not start with = + - @ (or a tab/CR)."""
    if value and value[0] in "=+-@\t\r" and not re.fullmatch(r"-?\d+(\.\d+)?", value):
        return "'" + value
    return value


def header(survey: Survey) -> list[str]:
    return ["response", "nag", "from_week", *(q.id for q in survey.questions)]


def start_of(groups: Groups, selection: Selection) -> str | None:
    return groups.starts[selection.start] if selection.start else None


def file_name(survey_id: str, nag: str | None, start: str | None) -> str:
    """The CSV's file name: the survey, then the NAG and start week when filtered."""
    return f"{survey_id}{'-' + nag if nag else ''}{'-from-' + start if start else ''}.csv"


async def plan(
    store: SurveyStore,
    survey: Survey,
    nag_order: Sequence[str],
    min_count: int,
    nag: str | None = None,
    since: str | None = None,
) -> Plan | Refusal:
    """Check an export of `survey` (one NAG, from the ISO date `since`, when given) against
    the threshold: the plan to write, or why it is refused ("nag" or "small")."""
    blocks = await store.blocks(survey.id, answers=False)
    groups = group({key: Tally(c.completed) for key, c in blocks.items()}, nag_order, min_count)
    selection = select(groups, nag, week_of(since) if since else None, min_count)
    if not isinstance(selection, Selection):
        return selection
    return Plan(survey, groups, selection, since, min_count)


async def write(store: SurveyStore, export: Plan, out: TextIO) -> int:
    """Write the planned CSV to `out`; return the rows written."""
    return await write_csv(store, export.survey, out, export.groups, export.selection)


async def write_csv(
    store: SurveyStore,
    survey: Survey,
    out: TextIO,
    groups: Groups,
    selection: Selection,
) -> int:
    """Write the CSV of `selection` (checked by `select`) to `out`; return the rows written.

    A row's NAG is left empty unless that NAG's results can be shown, and its week is the
    allowed start week it counts from (see bot/domain/surveys.py, rule 1): so every NAG and
    period in any export, or in the difference between two exports, holds 0 or at least
    `survey.min_count` responses, and no row can be singled out by where or when it came from.
    Rows come in the order of their random ids, not the order people answered.
    """
    writer = csv.writer(out)
    writer.writerow(header(survey))
    questions = {q.id: q for q in survey.questions}
    since = start_of(groups, selection)
    n = 0
    current: int | None = None
    meta: tuple[str, str] = ("", "")
    answers: dict[str, list[str | None]] = {}

    def flush() -> None:
        nonlocal n
        n += 1
        # A running number, not the database id: nothing in the file links back to a row.
        cells = [str(n), *meta]
        for q in survey.questions:
            values = answers.get(q.id)
            picked = tuple(v for v in values if v is not None) if values else ()
            cells.append(safe_cell(csv_value(q, picked or None)))
        writer.writerow(cells)

    async for batch in store.iterate_answers(survey.id, selection.nag, since):
        for row in batch:
            if row.response_id != current:
                if current is not None:
                    flush()
                current = row.response_id
                week = week_of(row.completed_on) if row.completed_on else ""
                meta = (groups.label(row.nag_id), groups.start_of(week) if week else "")
                answers = {}
            if row.question_id in questions:
                answers.setdefault(row.question_id, []).append(row.value)
    if current is not None:
        flush()
    return n
