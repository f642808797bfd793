"""Configuration: defaults, environment overrides, one-line errors with exit code 2."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import main
from bot.plumbing.config import ConfigError, load_config
from tests.conftest import TEST_TOKEN


def test_defaults_without_a_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)
    cfg = load_config(env={"TELEGRAM_BOT_TOKEN": TEST_TOKEN})
    assert cfg.api_url == "https://api.telegram.org"
    assert cfg.db_path == Path("data/safermk.sqlite3")
    assert cfg.content_dir == Path("content")
    assert cfg.tz.key == "Europe/London"
    assert cfg.settings.broadcast.rate_per_second == 30
    assert cfg.source is None


def test_environment_overrides_file(tmp_path: Path):
    p = tmp_path / "c.yaml"
    p.write_text('telegram:\n  token: "1:x"\n  api_url: "https://example.org"\n')
    cfg = load_config(
        p, env={"TELEGRAM_BOT_TOKEN": TEST_TOKEN, "TELEGRAM_API_URL": "http://127.0.0.1:8081/"}
    )
    assert cfg.token == TEST_TOKEN
    assert cfg.api_url == "http://127.0.0.1:8081"


def test_example_config_is_valid(tmp_path: Path):
    example = Path(__file__).resolve().parent.parent / "config.example.yaml"
    cfg = load_config(example, env={"TELEGRAM_BOT_TOKEN": TEST_TOKEN})
    assert cfg.settings.survey.min_count == 5


@pytest.mark.parametrize(
    ("yaml_text", "expected"),
    [
        ("storage:\n  paht: x\n", "config key 'storage.paht': unknown key"),
        ("broadcast:\n  rate_per_second: 100\n", "config key 'broadcast.rate_per_second'"),
        ("broadcast:\n  quiet_hours: 'late'\n", "config key 'broadcast.quiet_hours'"),
        ("timezone: Mars/Olympus\n", "config key 'timezone': Value error, unknown time zone"),
        ("officers:\n  - {id: 5, role: boss}\n", "config key 'officers.0.role'"),
        ("telegram:\n  api_url: ftp://x\n", "config key 'telegram.api_url'"),
        ("telegram: [\n", "not valid YAML"),
        ("- a\n- b\n", "the top level must be a mapping"),
    ],
)
def test_bad_config_is_one_line_exit_2(tmp_path: Path, capsys, yaml_text: str, expected: str):
    p = tmp_path / "c.yaml"
    p.write_text(yaml_text)
    with pytest.raises(ConfigError) as info:
        load_config(p, env={"TELEGRAM_BOT_TOKEN": TEST_TOKEN})
    assert expected in str(info.value)
    assert "\n" not in str(info.value)
    assert main(["run", "--config", str(p)]) == 2
    err = capsys.readouterr().err
    assert expected in err and "Traceback" not in err


def test_missing_token_explains_botfather(tmp_path: Path, capsys, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    p = tmp_path / "c.yaml"
    p.write_text("timezone: Europe/London\n")
    assert main(["run", "--config", str(p)]) == 2
    err = capsys.readouterr().err
    assert "@BotFather" in err and "TELEGRAM_BOT_TOKEN" in err and "Traceback" not in err


def test_malformed_token_is_rejected_without_echoing_it(tmp_path: Path):
    with pytest.raises(ConfigError) as info:
        load_config(None, env={"TELEGRAM_BOT_TOKEN": "not-a-token-secret-value"})
    assert "telegram.token" in str(info.value)
    assert "not-a-token-secret-value" not in str(info.value)


def test_missing_explicit_config_file(tmp_path: Path):
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(tmp_path / "nope.yaml", env={"TELEGRAM_BOT_TOKEN": TEST_TOKEN})


def test_malformed_token_from_the_environment_names_the_variable(tmp_path: Path):
    p = tmp_path / "c.yaml"
    p.write_text("timezone: Europe/London\n")
    with pytest.raises(ConfigError) as info:
        load_config(p, env={"TELEGRAM_BOT_TOKEN": "not-a-token-secret-value"})
    message = str(info.value)
    # The variable overrides the file, so the file is not where to look.
    assert message.startswith("TELEGRAM_BOT_TOKEN ")
    assert str(p) not in message and "not-a-token-secret-value" not in message


def test_malformed_token_in_the_file_names_the_file_and_key(tmp_path: Path):
    p = tmp_path / "c.yaml"
    p.write_text('telegram:\n  token: "not-a-token-secret-value"\n')
    with pytest.raises(ConfigError) as info:
        load_config(p, env={})
    message = str(info.value)
    assert message.startswith(f"{p}: config key 'telegram.token': ")
    assert "TELEGRAM_BOT_TOKEN" not in message and "not-a-token-secret-value" not in message


def test_log_format_from_the_file_and_the_environment(tmp_path: Path):
    p = tmp_path / "c.yaml"
    p.write_text("logging:\n  format: json\n")
    empty = tmp_path / "empty.yaml"
    empty.write_text("")
    env = {"TELEGRAM_BOT_TOKEN": TEST_TOKEN}
    assert load_config(empty, env).log_format == "text"
    assert load_config(p, env).log_format == "json"
    assert load_config(p, {**env, "SAFERMK_LOG_FORMAT": "text"}).log_format == "text"


def test_bad_log_format_is_one_line_naming_the_key_or_variable(
    tmp_path: Path, capsys, monkeypatch: pytest.MonkeyPatch
):
    p = tmp_path / "c.yaml"
    p.write_text("logging:\n  format: yaml\n")
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TEST_TOKEN)
    monkeypatch.delenv("SAFERMK_LOG_FORMAT", raising=False)
    assert main(["run", "--config", str(p)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"{p}: config key 'logging.format': ") and err.count("\n") == 1
    monkeypatch.chdir(tmp_path)  # no ./config.yaml: the value comes only from the variable
    with pytest.raises(ConfigError) as info:
        load_config(None, env={"TELEGRAM_BOT_TOKEN": TEST_TOKEN, "SAFERMK_LOG_FORMAT": "xml"})
    assert str(info.value).startswith("SAFERMK_LOG_FORMAT (config key 'logging.format'): ")
