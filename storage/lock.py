"""One process per database: an advisory lock file beside it (`<db>.lock`).

`run`, `preview` and `restore` take the lock before the database opens and hold it for the
process lifetime. It is an `fcntl.flock` lock, so the kernel drops it when the holder exits in
any way (kill -9 included): a stale lock file never blocks a start. The file keeps the holder's
pid, command and start time only so the refusal can name who holds it; its presence alone means
nothing. flock locks belong to an open file description, so a second open + flock in the same
process conflicts too (which is what the tests use).
"""

from __future__ import annotations

import fcntl
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType

LOCK_SUFFIX = ".lock"


class AlreadyRunning(Exception):
    """The database is locked by another process; str() is one line naming it."""


class LockError(Exception):
    """The lock file cannot be created or opened; str() is one line naming it."""


def lock_path(db_path: Path) -> Path:
    return db_path.with_name(db_path.name + LOCK_SUFFIX)


def _holder(fd: int) -> str:
    """What the holder wrote into the lock file (pid, command, start), or '' if unreadable."""
    try:
        raw = os.pread(fd, 4096, 0)
    except OSError:
        return ""
    return raw.decode("utf-8", "replace").strip().replace("\n", " ")


class InstanceLock:
    """The lock on one database; `acquire()` or use as a context manager, `release()` frees it."""

    def __init__(self, db_path: Path | str, command: str = "") -> None:
        self.db_path = Path(db_path)
        self.path = lock_path(self.db_path)
        self.command = command or Path(sys.argv[0]).name  # shown to a refused second start
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self) -> InstanceLock:
        """Take the lock or raise AlreadyRunning / LockError with one line; never waits."""
        if self._fd is not None:
            return self
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        except OSError as exc:
            raise LockError(
                f"cannot create the lock file {self.path}: {exc.strerror or exc}"
            ) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _holder(fd)
            os.close(fd)
            who = holder or "another process (its pid was not recorded yet)"
            raise AlreadyRunning(
                f"the database {self.db_path} is in use by {who}; stop it first"
            ) from None
        except OSError as exc:
            os.close(fd)
            raise LockError(f"cannot lock {self.path}: {exc.strerror or exc}") from None
        self._fd = fd
        self._record()
        return self

    def _record(self) -> None:
        """Write who holds the lock (best effort: the lock itself is what counts)."""
        assert self._fd is not None
        started = datetime.now(UTC).isoformat(timespec="seconds")
        text = f"pid {os.getpid()} ({self.command}, started {started})\n"
        try:
            os.fchmod(self._fd, 0o600)
            os.ftruncate(self._fd, 0)
            os.pwrite(self._fd, text.encode("utf-8"), 0)
        except OSError:
            pass

    def release(self) -> None:
        """Free the lock (the file stays: removing it could race with another start)."""
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        try:
            os.ftruncate(fd, 0)
        except OSError:
            pass
        os.close(fd)  # closing the last descriptor drops the flock

    def __enter__(self) -> InstanceLock:
        return self.acquire()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()
