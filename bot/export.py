"""The `safermk-bot export SURVEY --out FILE.csv [--nag ID] [--since DATE]` command: checks
the arguments, opens the file and reports (exit code 3 when the selection is refused). Which rows
go in the CSV, the refusal of small selections and the writing belong to bot/services/export.py,
which the officers' chat /results uses too.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import date
from pathlib import Path

from bot.content import Content, ContentError, load_content
from bot.content.surveys import Survey
from bot.domain.disclosure import Refusal
from bot.plumbing.config import Config
from bot.services import export as ex
from storage.db import Database
from storage.surveys import SurveyStore

REFUSED = 3  # exit code: the selection would single out a group smaller than the threshold
HOLDS = (
    "The file holds one row per completed response (no chat ids or names): for admins only,"
    " not to be shared. Share the figures officers see in /results instead."
)


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
        k = cfg.settings.survey.min_count
        nags = [n.id for n in content.nags]
        export = await ex.plan(store, survey, nags, k, args.nag, since)
        if not isinstance(export, ex.Plan):
            print(_refusal(export, args.nag, k), file=sys.stderr)
            return REFUSED
        n = await _write_file(store, export, args.out)
        if n is None:
            return 2
        print(f"{args.out}: {n} responses{_moved(export)}")
        print(HOLDS)
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


async def _write_file(store: SurveyStore, export: ex.Plan, out_name: str) -> int | None:
    """Write the CSV to `out_name`; the rows written, or None (reported) when it cannot."""
    out_path = Path(out_name)
    try:
        out = open(out_path, "w", newline="", encoding="utf-8")
    except OSError as err:
        print(f"cannot write {out_name}: {err.strerror or err}", file=sys.stderr)
        return None
    try:
        with out:
            return await ex.write(store, export, out)
    except OSError as err:
        # Disk full or the like: no half-written file is left to be mistaken for results.
        out_path.unlink(missing_ok=True)
        print(f"cannot write {out_name}: {err.strerror or err}", file=sys.stderr)
        return None


def _moved(export: ex.Plan) -> str:
    """Why the export starts earlier than --since asked, if it does ("" if not)."""
    if export.moved:
        start = export.start
        where = f"the week of {start}" if start else "the first response"
        return (
            f" (from {where}: the nearest start that keeps every group at"
            f" {export.min_count} or more)"
        )
    return ""
