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
from bot.content import ContentError, load_content
from bot.content.surveys import Survey
from bot.domain.disclosure import Groups, Selection, Tally, csv_value, group, safe_cell, select
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
    if args.nag and args.nag not in content.nag_by_id:
        print(f"unknown NAG {args.nag!r}", file=sys.stderr)
        return 2
    since = None
    if args.since:
        try:
            since = date.fromisoformat(args.since).isoformat()
        except ValueError:
            print(f"--since {args.since!r} is not a date like 2026-12-01", file=sys.stderr)
            return 2
    if not cfg.db_path.exists():
        print(f"database {cfg.db_path} not found", file=sys.stderr)
        return 2

    out_path = Path(args.out)
    if out_path.is_dir():
        print(
            f"--out {args.out} is a folder: give a file name, e.g. {out_path / 'results.csv'}",
            file=sys.stderr,
        )
        return 2

    async def export() -> int:
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
            if selection == "nag":
                print(
                    f"NAG {args.nag!r} can't be exported: it has fewer than {k} responses, or"
                    f" exporting it would let NAGs with fewer than {k} be worked out",
                    file=sys.stderr,
                )
                return REFUSED
            if selection == "small":
                print(
                    f"nothing exported: this selection has fewer than {k} completed responses",
                    file=sys.stderr,
                )
                return REFUSED
            try:
                out = open(out_path, "w", newline="", encoding="utf-8")
            except OSError as err:
                print(f"cannot write {args.out}: {err.strerror or err}", file=sys.stderr)
                return 2
            try:
                with out:
                    n = await write_csv(store, survey, out, groups, selection)
            except OSError as err:
                # Disk full or the like: no half-written file is left to be mistaken for results.
                out_path.unlink(missing_ok=True)
                print(f"cannot write {args.out}: {err.strerror or err}", file=sys.stderr)
                return 2
            start = groups.starts[selection.start] if selection.start else None
            first = groups.starts[0] if groups.starts else ""
            moved = ""
            if since and start != week_of(since) and week_of(since) > first:
                where = f"the week of {start}" if start else "the first response"
                moved = f" (from {where}: the nearest start that keeps every group at {k} or more)"
            print(f"{args.out}: {n} responses{moved}")
            return 0
        finally:
            await db.close()

    return asyncio.run(export())
