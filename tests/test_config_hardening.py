"""`run` refuses a weak survey secret and keeps a generated one beside the database.

The CLI is driven through `main([...])` in-process; `run` is pointed at a closed port on
127.0.0.1, so a test that gets past the configuration ends at the Bot API check ("Could not
reach", exit 1) without any network.
"""

from __future__ import annotations

import logging
import socket
import stat
import sys
import threading
from pathlib import Path

import pytest

from bot.cli import main
from bot.plumbing.config import load_config, resolve_survey_secret
from bot.plumbing.logsetup import setup_logging
from tests.conftest import TEST_TOKEN

ROOT = Path(__file__).resolve().parent.parent
GOOD_SECRET = "a-perfectly-good-secret-of-40-characters"


@pytest.fixture(autouse=True)
def cli_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """The token and an unreachable Bot API; Python's hooks and logging restored afterwards."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TEST_TOKEN)
    monkeypatch.setenv("TELEGRAM_API_URL", f"http://127.0.0.1:{port}")
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    monkeypatch.setattr(sys, "unraisablehook", sys.unraisablehook)
    monkeypatch.setattr(threading, "excepthook", threading.excepthook)
    yield
    setup_logging(logging.WARNING)


def config_with(tmp_path: Path, survey: str = "", name: str = "config.yaml") -> Path:
    path = tmp_path / name
    path.write_text(
        f'storage:\n  path: "{tmp_path / "data" / "bot.sqlite3"}"\n'
        f'content:\n  dir: "{ROOT / "content"}"\n' + (f"survey:\n{survey}" if survey else ""),
        encoding="utf-8",
    )
    return path


def run(path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(["run", "--config", str(path)])
    return code, capsys.readouterr().err


@pytest.mark.parametrize(
    ("survey", "expected"),
    [
        ('  secret: "change-me"\n', "is the example placeholder"),
        ('  secret: ""\n', "is empty"),
        ('  secret: "   "\n', "is empty"),
        ('  secret: "short-but-not-empty"\n', "too short (19 characters, at least 32)"),
    ],
)
def test_weak_secret_refused_with_how_to_make_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], survey: str, expected: str
):
    code, err = run(config_with(tmp_path, survey), capsys)
    assert code == 2
    assert len(err.strip().splitlines()) == 1, err
    assert "config key 'survey.secret'" in err and expected in err
    assert "secrets.token_urlsafe(32)" in err
    assert "Traceback" not in err
    assert not (tmp_path / "data").exists(), "nothing is created when the config is refused"


def test_generated_secret_kept_beside_the_database_and_reused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    config = config_with(tmp_path)
    secret_path = tmp_path / "data" / "survey-secret"

    code, err = run(config, capsys)
    assert code == 1 and "Could not reach the Bot API" in err, err
    assert secret_path.is_file()
    assert stat.S_IMODE(secret_path.stat().st_mode) == 0o600
    value = secret_path.read_text(encoding="utf-8").strip()
    assert len(value) >= 32
    assert value not in err, "the secret itself is never printed"
    assert err.count("Generated the survey secret") == 1 and str(secret_path) in err
    assert "back it up together with the database" in err
    # No temporary file left; the instance lock's file (storage/lock.py) stays by design.
    left = sorted(p.name for p in secret_path.parent.iterdir())
    assert left == ["bot.sqlite3.lock", "survey-secret"], "no temp left"

    code, err = run(config, capsys)
    assert code == 1
    assert secret_path.read_text(encoding="utf-8").strip() == value, "reused, not replaced"
    assert "Generated the survey secret" not in err

    resolved, created = resolve_survey_secret(load_config(config), create=True)
    assert created is None
    assert resolved.settings.survey.secret.get_secret_value() == value


def test_quick_start_without_a_config_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
):
    (tmp_path / "content").symlink_to(ROOT / "content")
    monkeypatch.chdir(tmp_path)
    code = main(["run"])
    err = capsys.readouterr().err
    assert code == 1 and "Could not reach the Bot API" in err, err
    assert (tmp_path / "data" / "survey-secret").is_file()


def test_configured_secret_is_used_as_is(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    config = config_with(tmp_path, f'  secret: "{GOOD_SECRET}"\n')
    code, err = run(config, capsys)
    assert code == 1 and "Could not reach the Bot API" in err, err
    assert not (tmp_path / "data" / "survey-secret").exists()
    resolved, created = resolve_survey_secret(load_config(config), create=True)
    assert created is None
    assert resolved.settings.survey.secret.get_secret_value() == GOOD_SECRET


def test_damaged_secret_file_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "survey-secret").write_text("x\n")
    code, err = run(config_with(tmp_path), capsys)
    assert code == 2
    assert "survey-secret: the survey secret file is damaged" in err
    assert len(err.strip().splitlines()) == 1


def test_check_content_and_export_keep_working(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    placeholder = config_with(tmp_path, '  secret: "change-me"\n', "placeholder.yaml")
    assert main(["--config", str(placeholder), "check-content"]) == 0
    # Export reads the secret like run does, but never creates one.
    config = config_with(tmp_path)
    out = tmp_path / "out.csv"
    assert main(["--config", str(config), "export", "community-safety", "--out", str(out)]) == 2
    assert "not found" in capsys.readouterr().err  # no database yet: nothing to export
    assert not (tmp_path / "data" / "survey-secret").exists()
    assert (
        main(["--config", str(placeholder), "export", "community-safety", "--out", str(out)]) == 2
    )
    assert "is the example placeholder" in capsys.readouterr().err


# ---------------------------------------------------------------- unreadable or odd config files


@pytest.mark.parametrize("command", [["run"], ["check-content"], ["export", "x", "--out", "o"]])
@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (lambda p: p.write_bytes(b"timezone: Europe/London\n# caf\xe9\n"), "is not UTF-8 text"),
        (lambda p: p.mkdir(), "is a folder, not a config file"),
        (lambda p: p.write_text('telegram:\n  api_url: "http://exa mple"\n'), "telegram.api_url"),
        (lambda p: p.write_text('telegram:\n  api_url: "http://host:99999"\n'), "telegram.api_url"),
        (lambda p: p.write_text('telegram:\n  api_url: "https://"\n'), "telegram.api_url"),
    ],
    ids=["latin-1", "folder", "space-in-url", "bad-port", "no-host"],
)
def test_unusable_config_file_is_one_line_exit_2(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    make,
    expected: str,
    command: list[str],
):
    monkeypatch.delenv("TELEGRAM_API_URL")
    path = tmp_path / "config.yaml"
    make(path)
    code = main(["--config", str(path), *command])
    err = capsys.readouterr().err
    assert code == 2, err
    assert len(err.strip().splitlines()) == 1, err
    assert expected in err and str(path) in err
    assert "Traceback" not in err


def test_api_url_with_a_space_from_the_environment(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("TELEGRAM_API_URL", "http://exa mple")
    code = main(["run", "--config", str(config_with(tmp_path))])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err
    assert err.startswith("TELEGRAM_API_URL (config key 'telegram.api_url'): ")
