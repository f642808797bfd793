"""The http: section and the webhook keys: defaults, one-line errors, the webhook secret."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from bot.cli import main
from bot.plumbing.config import ConfigError, load_config, resolve_webhook_secret
from tests.conftest import TEST_TOKEN

ENV = {"TELEGRAM_BOT_TOKEN": TEST_TOKEN}
HOOK = "https://bot.example.org/telegram"
SECRET = "s" * 40


def config(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "c.yaml"
    p.write_text(f'storage:\n  path: "{tmp_path / "db.sqlite3"}"\n{text}', encoding="utf-8")
    return p


def error(tmp_path: Path, text: str, env: dict[str, str] | None = None) -> str:
    with pytest.raises(ConfigError) as err:
        load_config(config(tmp_path, text), env={**ENV, **(env or {})})
    line = str(err.value)
    assert "\n" not in line
    return line


def test_polling_is_the_default_and_the_server_is_off_without_a_port(tmp_path: Path):
    cfg = load_config(config(tmp_path, ""), env=ENV)
    assert not cfg.webhook
    http = cfg.settings.http
    assert (http.host, http.port, http.wanted(False)) == ("127.0.0.1", None, False)
    on = load_config(config(tmp_path, "http:\n  port: 9100\n"), env=ENV).settings.http
    assert on.wanted(False) and on.bind_port == 9100
    enabled = load_config(config(tmp_path, "http:\n  enabled: true\n"), env=ENV).settings.http
    assert enabled.wanted(False) and enabled.bind_port == 8080


def test_webhook_mode_with_its_url_and_secret(tmp_path: Path):
    text = f'telegram:\n  mode: webhook\n  webhook_url: "{HOOK}"\n'
    cfg = load_config(config(tmp_path, text), env={**ENV, "TELEGRAM_WEBHOOK_SECRET": SECRET})
    assert cfg.webhook and cfg.webhook_secret == SECRET
    assert cfg.settings.http.wanted(True)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("telegram:\n  mode: webhook\n", "config key 'telegram.webhook_url': webhook mode needs"),
        (
            'telegram:\n  webhook_url: "http://bot.example.org/tg"\n',
            "config key 'telegram.webhook_url': Value error, must be the public https:// URL",
        ),
        (
            'telegram:\n  webhook_url: "https://bot.example.org:8080/tg"\n',
            "Telegram posts only to ports 443, 80, 88 or 8443",
        ),
        ('telegram:\n  webhook_url: "https://bot.example.org/metrics"\n', "must not be one of"),
        ('telegram:\n  webhook_url: "https://bot.example.org/{token}"\n', "may hold only"),
        ("telegram:\n  mode: push\n", "config key 'telegram.mode': Input should be 'polling'"),
        ("http:\n  port: 70000\n", "config key 'http.port': Input should be less than or equal"),
        ("http:\n  port: -1\n", "config key 'http.port': Input should be greater than or equal"),
        ("http:\n  port: eighty\n", "config key 'http.port': Input should be a valid integer"),
        ("http:\n  prot: 80\n", "config key 'http.prot': unknown key"),
        ("telegram:\n  webhook_secret: short\n", "must be 32 to 256 characters"),
        (
            f'telegram:\n  mode: webhook\n  webhook_url: "{HOOK}"\nhttp:\n  enabled: false\n',
            "config key 'http.enabled': webhook mode needs the HTTP server",
        ),
    ],
)
def test_bad_values_give_one_line_naming_the_key(tmp_path: Path, text: str, expected: str):
    assert expected in error(tmp_path, text)


def test_a_bad_secret_from_the_environment_names_the_variable_not_the_value(tmp_path: Path):
    bad = "has spaces and is long enough to pass the length check"
    line = error(tmp_path, "", {"TELEGRAM_WEBHOOK_SECRET": bad})
    assert line.startswith("TELEGRAM_WEBHOOK_SECRET (config key 'telegram.webhook_secret')")
    assert bad not in line


def test_the_generated_webhook_secret_is_private_and_kept(tmp_path: Path):
    text = f'telegram:\n  mode: webhook\n  webhook_url: "{HOOK}"\n'
    cfg = load_config(config(tmp_path, text), env=ENV)
    resolved, created = resolve_webhook_secret(cfg)
    assert created == tmp_path / "webhook-secret"
    assert stat.S_IMODE(created.stat().st_mode) == 0o600
    secret = resolved.webhook_secret
    assert len(secret) >= 32
    again, created_again = resolve_webhook_secret(cfg)
    assert created_again is None and again.webhook_secret == secret
    polling = load_config(config(tmp_path, ""), env=ENV)
    assert resolve_webhook_secret(polling) == (polling, None), "polling needs none"


def test_run_refuses_a_bad_webhook_config_with_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TEST_TOKEN)
    path = config(tmp_path, "telegram:\n  mode: webhook\n")
    assert main(["run", "--config", str(path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "telegram.webhook_url" in err[0]


def test_a_webhook_secret_file_telegram_would_refuse_is_reported_in_one_line(tmp_path: Path):
    text = f'telegram:\n  mode: webhook\n  webhook_url: "{HOOK}"\n'
    (tmp_path / "webhook-secret").write_text("a secret with spaces in it, long enough anyway\n")
    with pytest.raises(ConfigError) as err:
        resolve_webhook_secret(load_config(config(tmp_path, text), env=ENV))
    assert "webhook-secret: the webhook secret file holds characters" in str(err.value)
    assert "spaces" not in str(err.value)


def test_the_preview_never_starts_the_live_bots_server_or_webhook(tmp_path: Path):
    from bot.preview.people import preview_config

    text = f'telegram:\n  mode: webhook\n  webhook_url: "{HOOK}"\nhttp:\n  port: 9100\n'
    cfg = preview_config(load_config(config(tmp_path, text), env=ENV), tmp_path / "p.sqlite3")
    assert not cfg.webhook and not cfg.settings.http.wanted(cfg.webhook)
