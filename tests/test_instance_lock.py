"""One instance per database (issue 20): a second `run`, `preview` or lock attempt on the same
file is refused with one line naming the holder; the kernel frees the lock when the holder dies,
so a kill -9 never leaves the database locked."""

from __future__ import annotations

import asyncio
import os
import signal
import stat
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from storage.lock import AlreadyRunning, InstanceLock, lock_path
from tests import builders as b
from tests.conftest import ROOT, TEST_SECRET, TEST_TOKEN, write_config
from tests.fakes.server import FakeBotApiServer

HOLD = (
    "import sys; from storage.lock import InstanceLock; "
    "lock = InstanceLock(sys.argv[1], command='holder').acquire(); "
    "print('locked', flush=True); sys.stdin.read()"
)


@contextmanager
def holder(db: Path) -> Iterator[subprocess.Popen[str]]:
    """Another process holding the lock on `db` until it is killed (or its stdin closes)."""
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(db)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "locked"
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=30)
        for stream in (proc.stdin, proc.stdout):
            if stream is not None:
                stream.close()


def test_a_second_lock_in_the_same_process_is_refused_naming_the_first(tmp_path: Path):
    db = tmp_path / "bot.sqlite3"
    with InstanceLock(db, command="safermk-bot run"):
        with pytest.raises(AlreadyRunning) as err:
            InstanceLock(db).acquire()
        line = str(err.value)
        assert "\n" not in line
        assert f"pid {os.getpid()}" in line and "safermk-bot run" in line and "started" in line
        assert str(db) in line
        assert stat.S_IMODE(lock_path(db).stat().st_mode) == 0o600
    # Released: the next one takes it.
    with InstanceLock(db):
        pass


def test_another_process_holds_it_and_sigkill_frees_it_at_once(tmp_path: Path):
    db = tmp_path / "bot.sqlite3"
    with holder(db) as proc:
        with pytest.raises(AlreadyRunning, match=f"pid {proc.pid} \\(holder, started "):
            InstanceLock(db).acquire()
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        # The lock file (with the dead pid in it) is still there; the lock is not.
        assert lock_path(db).exists()
        lock = InstanceLock(db).acquire()
        try:
            assert lock.held
            assert f"pid {os.getpid()}" in lock_path(db).read_text()
        finally:
            lock.release()


def _cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    config = tmp_path / "config.yaml"
    config.write_text(
        f'storage:\n  path: "{tmp_path / "bot.sqlite3"}"\n'
        f'content:\n  dir: "{ROOT / "content"}"\n'
        f'survey:\n  secret: "{TEST_SECRET}"\n',
        encoding="utf-8",
    )
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        # Never reached: the lock is taken before the Bot API is asked anything.
        "TELEGRAM_BOT_TOKEN": "12345:" + "A" * 35,
        "TELEGRAM_API_URL": "http://127.0.0.1:9",
    }
    return subprocess.run(
        [sys.executable, "-m", "bot", *args, "--config", str(config)],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _assert_refused(proc: subprocess.CompletedProcess[str], db: Path, pid: int) -> None:
    assert proc.returncode == 1, proc.stdout + proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert f"is in use by pid {pid} (holder, started " in lines[0], lines[0]
    assert str(db) in lines[0]
    assert "Traceback" not in proc.stderr


def test_run_on_a_locked_database_exits_1_with_one_line(tmp_path: Path):
    db = tmp_path / "bot.sqlite3"
    with holder(db) as proc:
        result = _cli(tmp_path, "run")
        _assert_refused(result, db, proc.pid)
    assert not db.exists()  # refused before the database (or the secret) was touched


def test_preview_on_a_locked_database_exits_1_and_fresh_removes_nothing(tmp_path: Path):
    db = tmp_path / "preview.sqlite3"
    db.write_bytes(b"")  # stands for the running preview's database
    with holder(db) as proc:
        result = _cli(tmp_path, "preview", "--db", str(db), "--port", "0", "--fresh")
        _assert_refused(result, db, proc.pid)
    assert db.exists()


async def _start_bot(tmp_path: Path, api_url: str) -> asyncio.subprocess.Process:
    env = {
        **os.environ,
        "TELEGRAM_API_URL": api_url,
        "TELEGRAM_BOT_TOKEN": TEST_TOKEN,
        "PYTHONPATH": str(ROOT),
    }
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        "--config",
        str(tmp_path / "config.yaml"),
        env=env,
        cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def _answers(server: FakeBotApiServer, proc: asyncio.subprocess.Process, chat: int) -> None:
    """Wait until the bot answers /start in `chat` (it runs and holds the lock); fail at once
    if it exits instead."""
    server.push(b.text_update(chat, "/start"))
    exited = asyncio.ensure_future(proc.wait())
    waiting = asyncio.ensure_future(
        server.wait_for(lambda: bool(server.api.texts(chat)), timeout=60)
    )
    await asyncio.wait({exited, waiting}, return_when=asyncio.FIRST_COMPLETED)
    if exited.done():
        waiting.cancel()
        _, err = await proc.communicate()
        raise AssertionError(f"the bot exited ({proc.returncode}): {err.decode()[-2000:]}")
    exited.cancel()
    waiting.result()


async def test_a_second_run_is_refused_and_a_kill_9_frees_the_database(tmp_path: Path):
    """The real `run` twice on one database: the second exits 1 naming the first; after the
    first is killed with SIGKILL, the next start runs at once."""
    server = await FakeBotApiServer().start()
    write_config(tmp_path)
    db = tmp_path / "bot.sqlite3"
    first = await _start_bot(tmp_path, server.url)
    later: asyncio.subprocess.Process | None = None
    try:
        await _answers(server, first, 515151)
        second = await _start_bot(tmp_path, server.url)
        _, err = await asyncio.wait_for(second.communicate(), 60)
        lines = err.decode().strip().splitlines()
        assert second.returncode == 1 and len(lines) == 1, err.decode()
        assert lines[0].startswith(f"the database {db} is in use by pid {first.pid} ")
        assert "(safermk-bot run, started " in lines[0]

        first.send_signal(signal.SIGKILL)
        await first.communicate()
        later = await _start_bot(tmp_path, server.url)
        await _answers(server, later, 515152)
    finally:
        for proc in (first, later):
            if proc is not None and proc.returncode is None:
                proc.send_signal(signal.SIGTERM)
                await asyncio.wait_for(proc.communicate(), 30)
        await server.stop()
    assert later.returncode == 0
