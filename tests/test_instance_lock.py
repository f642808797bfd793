"""One instance per database (issue 20): a second `run`, `preview` or lock attempt on the same
file is refused with one line naming the holder; the kernel frees the lock when the holder dies,
so a kill -9 never leaves the database locked."""

from __future__ import annotations

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
from tests.conftest import ROOT, TEST_SECRET

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
