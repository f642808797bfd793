"""Content the bot cannot work with is a `file:line` problem, not a silent OK."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.cli import main

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    dest = tmp_path / "content"
    shutil.copytree(ROOT / "content", dest)
    # Surveys name NAGs; without NAGs they would add problems of their own.
    shutil.rmtree(dest / "surveys")
    return dest


@pytest.mark.parametrize(
    "body",
    ["nags: []\n", "nags:\n  []\n", "nags: [ ]  # none yet\n"],
)
def test_no_nags_is_a_problem(copy: Path, capsys: pytest.CaptureFixture[str], body: str):
    (copy / "nags.yaml").write_text("# The Neighbourhood Action Groups.\n\n" + body)
    assert main(["check-content", str(copy)]) == 1
    err = capsys.readouterr().err
    assert "content/nags.yaml:3: there are no NAGs" in err, err
    assert "Traceback" not in err


def test_nags_yaml_with_nags_is_still_ok(copy: Path, capsys: pytest.CaptureFixture[str]):
    assert main(["check-content", str(copy)]) == 0
    assert "OK (28 NAGs" in capsys.readouterr().out
