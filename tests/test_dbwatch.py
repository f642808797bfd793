"""A fatal condition while running (bot/dbwatch.py): the database file deleted or replaced under
the bot stops it with one line and a non-zero exit, instead of writing on into a file nobody will
open again."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import sys
from pathlib import Path

import pytest

from bot import dbwatch
from tests import builders as b
from tests.conftest import ROOT, TEST_TOKEN, Harness, write_config
from tests.fakes.server import FakeBotApiServer


def watch_job(h: Harness):  # noqa: ANN201 - a python-telegram-bot Job
    assert h.app.job_queue is not None
    (job,) = h.app.job_queue.get_jobs_by_name(dbwatch.JOB)
    return job


async def test_the_watch_stays_quiet_while_the_file_is_the_one_opened(harness: Harness):
    job = watch_job(harness)
    assert job.data.opened is not None, "recorded at start"
    await job.run(harness.app)
    assert harness.services.fatal is None


@pytest.mark.parametrize("how", ["deleted", "replaced"])
async def test_a_deleted_or_replaced_database_file_stops_the_bot(harness: Harness, how: str):
    path = Path(harness.db.path)
    if how == "deleted":
        os.unlink(path)
    else:
        os.rename(path, path.with_suffix(".old"))
        path.write_bytes(b"")  # another file where the database was
    await watch_job(harness).run(harness.app)
    assert harness.services.fatal == (
        f"The database file {path} was {how} while the bot was running"
    )


async def test_run_exits_non_zero_with_one_line_when_the_database_folder_is_removed(tmp_path):
    """The real `python -m bot run` against the Bot API double: remove the database's folder
    and the process closes everything and exits 1 with the reason as its last line."""
    server = await FakeBotApiServer().start()
    data = tmp_path / "data"
    config = write_config(tmp_path)
    text = config.read_text(encoding="utf-8").replace(
        str(tmp_path / "bot.sqlite3"), str(data / "bot.sqlite3")
    )
    config.write_text(text, encoding="utf-8")
    env = {
        **os.environ,
        "TELEGRAM_API_URL": server.url,
        "TELEGRAM_BOT_TOKEN": TEST_TOKEN,
        "PYTHONPATH": str(ROOT),
    }
    log = tmp_path / "stderr.log"
    with log.open("wb") as stderr:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", "--config", str(config),
            env=env, cwd=tmp_path, stdout=stderr, stderr=stderr,
        )  # fmt: skip
    try:
        # An answer: start-up (and the watch's record of the file it opened) is over.
        server.push(b.text_update(4242, "/help"))
        await server.wait_for(lambda: bool(server.api.texts(4242)), timeout=60)
        shutil.rmtree(data)
        try:
            await asyncio.wait_for(proc.wait(), timeout=dbwatch.DB_WATCH_S + 30)
        except TimeoutError:
            raise AssertionError(f"still running: {log.read_text()[-3000:]}") from None
        err = log.read_bytes()
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGKILL)
            await proc.wait()
        await server.stop()
    lines = err.decode().strip().splitlines()
    assert proc.returncode == 1, err.decode()[-2000:]
    assert (
        lines[-1]
        == f"The database file {data / 'bot.sqlite3'} was deleted while the bot was running"
    )
    assert "Traceback" not in err.decode()
