"""The broadcast section's pacing keys: defaults, bounds, and what the pacer takes from them."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.plumbing.config import ConfigError, load_config
from bot.telegram.pacing import Pacer

TOKEN = "123456789:" + "A" * 35


def cfg(tmp_path: Path, text: str):  # noqa: ANN201
    p = tmp_path / "c.yaml"
    p.write_text(text)
    return load_config(p, env={"TELEGRAM_BOT_TOKEN": TOKEN})


def test_defaults_are_thirty_a_second_and_no_paid_broadcasts(tmp_path: Path) -> None:
    b = cfg(tmp_path, "").settings.broadcast
    assert (b.rate_per_second, b.paid, b.paid_rate_per_second) == (30, False, 1000)
    assert b.paid_stars_per_message == 0.1
    p = Pacer.from_settings(b)
    assert p.rate == 30 and not p.paid


def test_paid_mode_paces_bulk_at_the_paid_rate(tmp_path: Path) -> None:
    b = cfg(tmp_path, "broadcast:\n  paid: true\n  paid_rate_per_second: 500\n").settings.broadcast
    p = Pacer.from_settings(b)
    assert p.paid and p.rate == 500


@pytest.mark.parametrize(
    "text",
    [
        "broadcast:\n  rate_per_second: 31\n",
        "broadcast:\n  paid_rate_per_second: 1001\n",
        "broadcast:\n  paid_rate_per_second: 0\n",
        "broadcast:\n  paid: maybe\n",
    ],
)
def test_out_of_range_is_one_line_naming_the_key(tmp_path: Path, text: str) -> None:
    with pytest.raises(ConfigError) as info:
        cfg(tmp_path, text)
    key = text.split("\n")[1].split(":")[0].strip()
    assert f"config key 'broadcast.{key}'" in str(info.value)
    assert "\n" not in str(info.value)


def test_the_example_config_loads(tmp_path: Path) -> None:
    example = Path(__file__).resolve().parent.parent / "config.example.yaml"
    b = load_config(example, env={"TELEGRAM_BOT_TOKEN": TOKEN}).settings.broadcast
    assert b.rate_per_second == 30 and b.paid is False
