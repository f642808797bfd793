"""CSV export of survey responses: one row per completed response, one column per question.

No chat ids or respondent keys are written. Rows are streamed from SQLite in batches and written
as they arrive, so memory stays flat however many responses there are. Used by /results (sent as
a document) and by `safermk-bot export SURVEY --out FILE.csv [--nag ID] [--since DATE]`.
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
from bot.domain.surveys import csv_value, safe_cell
from bot.surveys_content import Survey
from storage.db import Database
from storage.surveys import SurveyStore


def header(survey: Survey) -> list[str]:
    return ["response", "nag", "completed_on", *(q.id for q in survey.questions)]


async def write_csv(
    store: SurveyStore,
    survey: Survey,
    out: TextIO,
    nag_id: str | None = None,
    since: str | None = None,
) -> int:
    """Write the CSV to `out`; return the number of responses written."""
    writer = csv.writer(out)
    writer.writerow(header(survey))
    questions = {q.id: q for q in survey.questions}
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

    async for batch in store.iterate_answers(survey.id, nag_id, since):
        for row in batch:
            if row.response_id != current:
                if current is not None:
                    flush()
                current = row.response_id
                meta = (row.nag_id or "", row.completed_on or "")
                answers = {}
            if row.question_id in questions:
                answers.setdefault(row.question_id, []).append(row.value)
    if current is not None:
        flush()
    return n


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

    async def export() -> int | None:
        db = await Database(cfg.db_path).open()
        try:
            try:
                out = open(out_path, "w", newline="", encoding="utf-8")
            except OSError as err:
                print(f"cannot write {args.out}: {err.strerror or err}", file=sys.stderr)
                return None
            try:
                with out:
                    return await write_csv(SurveyStore(db), survey, out, args.nag, since)
            except OSError as err:
                # Disk full or the like: no half-written file is left to be mistaken for results.
                out_path.unlink(missing_ok=True)
                print(f"cannot write {args.out}: {err.strerror or err}", file=sys.stderr)
                return None
        finally:
            await db.close()

    n = asyncio.run(export())
    if n is None:
        return 2
    print(f"{args.out}: {n} responses")
    return 0
