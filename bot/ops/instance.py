"""The CLI's side of the one-instance-per-database lock (storage/lock.py): one line and an exit
code when the lock cannot be taken."""

from __future__ import annotations

import sys
from pathlib import Path

from storage.lock import AlreadyRunning, InstanceLock, LockError

# The same codes as `run`'s other start-up refusals: 1 may pass by itself (the other instance
# stops), 2 needs the operator (the folder is not writable).
IN_USE, CANNOT_LOCK = 1, 2


def instance_lock(db_path: Path, command: str) -> InstanceLock | int:
    """This process's lock on the database for `command` (run, preview; hold it until exit), or
    the exit code after one line on stderr naming the instance that holds it."""
    try:
        return InstanceLock(db_path, command=f"safermk-bot {command}").acquire()
    except AlreadyRunning as exc:
        print(exc, file=sys.stderr)
        return IN_USE
    except LockError as exc:
        print(exc, file=sys.stderr)
        return CANNOT_LOCK
