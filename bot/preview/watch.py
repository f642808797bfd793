"""Follow the content folder: when a file changes, validate and swap it in like /reload.

Polls file times and sizes once a second (no new dependency, works on every file system and
with editors that save by renaming); `check()` does one round, so tests need not wait.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Awaitable, Callable
from pathlib import Path

logger = logging.getLogger(__name__)

Snapshot = dict[str, tuple[int, int, int]]


def snapshot(directory: Path) -> Snapshot:
    """(mtime, size, inode) of every file under `directory`, skipping editors' temporary files."""
    out: Snapshot = {}
    for root, dirs, files in os.walk(directory):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for name in files:
            if name.startswith((".", "#")) or name.endswith(("~", ".swp", ".tmp")):
                continue
            path = os.path.join(root, name)
            try:
                st = os.stat(path)
            except OSError:  # removed between listing and stat
                continue
            out[path] = (st.st_mtime_ns, st.st_size, st.st_ino)
    return out


class ContentWatcher:
    """Calls `on_change()` after any file under `directory` was added, changed or removed."""

    def __init__(
        self,
        directory: Path,
        on_change: Callable[[], Awaitable[None]],
        interval: float = 1.0,
    ) -> None:
        self.directory = directory
        self.on_change = on_change
        self.interval = interval
        self._last = snapshot(directory)
        self._task: asyncio.Task[None] | None = None
        # One round at a time: a reload can take seconds (training the understanding layer), and
        # a second round started meanwhile must not report the same change again.
        self._lock = asyncio.Lock()

    async def check(self) -> bool:
        """One round: True (after on_change) if something changed since the last round."""
        async with self._lock:
            now = await asyncio.to_thread(snapshot, self.directory)
            if now == self._last:
                return False
            self._last = now
            await self.on_change()
            return True

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            try:
                await self.check()
            except Exception:  # keep watching: the next save may fix it
                logger.exception("Content reload failed")

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="content-watcher")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self._task = None
