"""`safermk-bot export` from the command line: a bad --out gives one clear line and exit code 2,
never a traceback, and leaves nothing half-written behind."""

from __future__ import annotations

import concurrent.futures
import os
from pathlib import Path

import pytest

from bot.cli import main as real_cli_main
from tests.conftest import Harness, write_config
from tests.test_results import seed_safety
from tests.test_surveys import CS


def cli_main(argv: list[str]) -> int:
    # The CLI runs its own event loop, as it does from a shell.
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(real_cli_main, argv).result()


async def test_export_to_a_folder_is_one_clear_line_and_exit_2(
    harness: Harness, tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    await seed_safety(harness)
    cfg = write_config(tmp_path)
    folder = tmp_path / "exports"
    folder.mkdir()
    capsys.readouterr()
    assert cli_main(["--config", str(cfg), "export", CS, "--out", str(folder)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    assert str(folder) in err and "folder" in err
    assert list(folder.iterdir()) == []


async def test_export_to_a_missing_or_unwritable_place_is_one_clear_line(
    harness: Harness, tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    await seed_safety(harness)
    cfg = write_config(tmp_path)
    missing = tmp_path / "no-such-folder" / "out.csv"
    capsys.readouterr()
    assert cli_main(["--config", str(cfg), "export", CS, "--out", str(missing)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err and str(missing) in err, err
    not_a_folder = tmp_path / "plain-file"
    not_a_folder.write_text("x")
    assert cli_main(["--config", str(cfg), "export", CS, "--out", f"{not_a_folder}/out.csv"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err and "out.csv" in err, err
    if os.geteuid() == 0:
        return  # root may write anywhere: the permission case can't be shown
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        assert cli_main(["--config", str(cfg), "export", CS, "--out", str(locked / "x.csv")]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "Traceback" not in err and "x.csv" in err, err
    finally:
        locked.chmod(0o700)
