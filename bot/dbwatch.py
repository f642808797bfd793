"""A fatal condition while running: the database file deleted or replaced under the bot.

SQLite keeps writing to the file it opened, so once the file is unlinked (its folder removed, a
volume unmounted and remounted, a restore copied over it) every write "succeeds" into a file
nobody will ever open again: answers, consents and broadcast progress vanish at the next start,
silently. Every DB_WATCH_S seconds this compares the path's device and inode with the ones the
bot opened; when the file is gone or another file is in its place, the bot stops like any other
fatal condition (bot/fatal.py `stop_fatally`): everything closed, `run` exits non-zero with one
line, and the supervisor restarts it on whatever is at the path now (a new database is created
and migrated if nothing is).
"""

from __future__ import annotations

import os
from typing import Any

from telegram.ext import Application, JobQueue

from bot.context import BotContext, Services, services_of
from bot.fatal import stop_fatally
from bot.features import Feature

DB_WATCH_S = 10.0  # seconds between checks: a stat() call each


class FileIdentity:
    """The (device, inode) of the database file the bot opened, recorded at start."""

    def __init__(self) -> None:
        self.opened: tuple[int, int] | None = None


def identity(services: Services) -> tuple[int, int] | None:
    try:
        st = os.stat(services.db.path)
    except OSError:
        return None
    return st.st_dev, st.st_ino


def problem(services: Services, opened: tuple[int, int] | None) -> str | None:
    """One line when the database file is no longer the one the bot opened, else None."""
    if opened is None:
        return None  # in memory, or not known at start: nothing to compare
    now = identity(services)
    path = services.db.path
    if now is None:
        return f"The database file {path} was deleted while the bot was running"
    if now != opened:
        return f"The database file {path} was replaced while the bot was running"
    return None


JOB = "database-watch"


async def _start(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Record the file the bot opened (the job holds it: rebuilt at every start)."""
    if app.job_queue is None:
        return
    for job in app.job_queue.get_jobs_by_name(JOB):
        if isinstance(job.data, FileIdentity):
            job.data.opened = identity(services_of(app))


async def check(context: BotContext) -> None:
    """The job: stop the bot if its database file is gone or replaced."""
    held = context.job.data if context.job is not None else None
    if not isinstance(held, FileIdentity):
        return
    reason = problem(context.services, held.opened)
    if reason is not None:
        stop_fatally(context.application, reason)


def _jobs(jq: JobQueue[Any], services: Services) -> None:
    jq.run_repeating(check, interval=DB_WATCH_S, first=DB_WATCH_S, name=JOB, data=FileIdentity())


FEATURE = Feature(name="database watch", jobs=_jobs, on_start=_start)
