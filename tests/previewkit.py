"""Start the preview in-process for tests: a temporary database, the test config, a pinned clock."""

from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path
from typing import Any

from bot.content import load_content
from bot.plumbing.clock import FixedClock
from bot.plumbing.config import load_config
from bot.preview.main import Preview
from bot.preview.people import preview_config
from tests.conftest import LONDON, ROOT, write_config

RESIDENT_A, RESIDENT_B, RESIDENT_C = 100001, 100002, 100003


def copy_content(tmp_path: Path) -> Path:
    """A private copy of content/ that a test may edit."""
    target = tmp_path / "content"
    shutil.copytree(ROOT / "content", target)
    return target


async def start_preview(
    tmp_path: Path,
    content_dir: Path | None = None,
    *,
    config_extra: str = "",
    officers: bool = True,
    **kwargs: Any,
) -> Preview:
    """A running preview on 127.0.0.1 (an ephemeral port); stop it with `await p.stop()`."""
    config_path = write_config(tmp_path, config_extra)
    if not officers:
        text = config_path.read_text(encoding="utf-8")
        start = text.index("officers:")
        end = text.index("survey:")
        config_path.write_text(text[:start] + text[end:], encoding="utf-8")
    cfg = preview_config(
        load_config(config_path, env={}), tmp_path / "preview.sqlite3", content_dir
    )
    content = load_content(cfg.content_dir, cfg.tz)
    clock = FixedClock(datetime(2026, 11, 23, 12, 0, tzinfo=LONDON))
    preview = Preview(cfg, content, port=0, clock=clock, **kwargs)
    await preview.start()
    return preview
