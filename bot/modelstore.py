"""Trained understanding models kept between starts, so a restart does not train them again.

A folder of files named by the hash of everything a model depends on (the examples, both
lexicons, the names masked, how it is trained): content that changes gets a new file, and a file
is never read for other content. `SAFERMK_MODEL_CACHE` names the folder; by default it is the
user's cache folder (`$XDG_CACHE_HOME/safermk-bot` or `~/.cache/safermk-bot`). A folder that
cannot be written only means training at every start: nothing fails. The models hold no
personal data (they are learnt from the editors' examples), and the files are private anyway.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

logger = logging.getLogger(__name__)

KEEP = 4  # newest files kept; older ones (old content) are removed


class FolderStore:
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def get(self, key: str) -> bytes | None:
        try:
            return (self.folder / f"{key}.npz").read_bytes()
        except OSError:
            return None

    def put(self, key: str, data: bytes) -> None:
        try:
            self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            tmp = self.folder / f".{key}.{os.getpid()}.tmp"
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.replace(tmp, self.folder / f"{key}.npz")
            old = sorted(self.folder.glob("*.npz"), key=lambda p: p.stat().st_mtime)[:-KEEP]
            for path in old:
                path.unlink(missing_ok=True)
        except OSError as exc:
            logger.info("Trained models not kept between starts: %s", type(exc).__name__)


def default_store() -> FolderStore:
    folder = os.environ.get("SAFERMK_MODEL_CACHE")
    if folder:
        return FolderStore(Path(folder))
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return FolderStore(Path(base) / "safermk-bot")
