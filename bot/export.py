"""CSV export of survey responses: one row per completed response, one column per question.

No chat ids or respondent keys are written; NAG and time are coarsened so no row can be singled
out by them (see `write_csv`), and a selection of fewer than `survey.min_count` is refused. Rows
are streamed from SQLite in batches and written as they arrive, so memory stays flat however many
responses there are. Used by /results (sent as a document) and by
`safermk-bot export SURVEY --out FILE.csv [--nag ID] [--since DATE]` (exit code 3 when refused).
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import sys
from datetime import date
from pathlib import Path
from typing import TextIO

from bot.config import Config
from bot.content import Content, ContentError, load_content
from bot.content.surveys import Survey
from bot.domain.disclosure import (
    Groups,
    Refusal,
    Selection,
    Tally,
    csv_value,
    group,
    safe_cell,
    select,
)
from storage.db import Database
from storage.surveys import SurveyStore, week_of


def header(survey: Survey) -> list[str]:
    return ["response", "nag", "from_week", *(q.id for q in survey.questions)]


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
    since = groups.starts[selection.start] if selection.start else None
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


REFUSED = 3  # exit code: the selection would single out a group smaller than the threshold


def run_export(cfg: Config, args: argparse.Namespace) -> int:
    """The `export` command: check the arguments, then stream the CSV to --out."""
    try:
        content = load_content(cfg.content_dir, cfg.tz)
    except ContentError as err:
        for p in err.problems:
            print(p, file=sys.stderr)
        return 1
    survey = next((s for s in content.surveys if s.id == args.survey), None)
    if survey is None:
        known = ", ".join(s.id for s in content.surveys) or "none"
        print(f"unknown survey {args.survey!r} (known: {known})", file=sys.stderr)
        return 2
    problem = _argument_problem(cfg, args, content)
    if problem is not None:
        print(problem, file=sys.stderr)
        return 2
    since = date.fromisoformat(args.since).isoformat() if args.since else None
    return asyncio.run(_export(cfg, args, content, survey, since))


def _argument_problem(cfg: Config, args: argparse.Namespace, content: Content) -> str | None:
    """What is wrong with --nag, --since, the database or --out (None: nothing)."""
    if args.nag and args.nag not in content.nag_by_id:
        return f"unknown NAG {args.nag!r}"
    if args.since:
        try:
            date.fromisoformat(args.since)
        except ValueError:
            return f"--since {args.since!r} is not a date like 2026-12-01"
    if not cfg.db_path.exists():
        return f"database {cfg.db_path} not found"
    out_path = Path(args.out)
    if out_path.is_dir():
        return f"--out {args.out} is a folder: give a file name, e.g. {out_path / 'results.csv'}"
    return None


async def _export(
    cfg: Config, args: argparse.Namespace, content: Content, survey: Survey, since: str | None
) -> int:
    """Check the selection against the threshold, then write the file (an exit code)."""
    db = await Database(cfg.db_path).open()
    try:
        store = SurveyStore(db)
        blocks = await store.blocks(survey.id, answers=False)
        k = cfg.settings.survey.min_count
        groups = group(
            {key: Tally(c.completed) for key, c in blocks.items()},
            [n.id for n in content.nags],
            k,
        )
        selection = select(groups, args.nag, week_of(since) if since else None, k)
        if not isinstance(selection, Selection):
            print(_refusal(selection, args.nag, k), file=sys.stderr)
            return REFUSED
        n = await _write_file(store, survey, args.out, groups, selection)
        if n is None:
            return 2
        print(f"{args.out}: {n} responses{_moved(groups, selection, since, k)}")
        return 0
    finally:
        await db.close()


def _refusal(refusal: Refusal, nag: str | None, k: int) -> str:
    if refusal == "nag":
        return (
            f"NAG {nag!r} can't be exported: it has fewer than {k} responses, or"
            f" exporting it would let NAGs with fewer than {k} be worked out"
        )
    return f"nothing exported: this selection has fewer than {k} completed responses"


async def _write_file(
    store: SurveyStore, survey: Survey, out_name: str, groups: Groups, selection: Selection
) -> int | None:
    """Write the CSV to `out_name`; the rows written, or None (reported) when it cannot."""
    out_path = Path(out_name)
    try:
        out = open(out_path, "w", newline="", encoding="utf-8")
    except OSError as err:
        print(f"cannot write {out_name}: {err.strerror or err}", file=sys.stderr)
        return None
    try:
        with out:
            return await write_csv(store, survey, out, groups, selection)
    except OSError as err:
        # Disk full or the like: no half-written file is left to be mistaken for results.
        out_path.unlink(missing_ok=True)
        print(f"cannot write {out_name}: {err.strerror or err}", file=sys.stderr)
        return None


def _moved(groups: Groups, selection: Selection, since: str | None, k: int) -> str:
    """Why the export starts earlier than --since asked, if it does ("" if not)."""
    start = groups.starts[selection.start] if selection.start else None
    first = groups.starts[0] if groups.starts else ""
    if since and start != week_of(since) and week_of(since) > first:
        where = f"the week of {start}" if start else "the first response"
        return f" (from {where}: the nearest start that keeps every group at {k} or more)"
    return ""
