"""The Polish draft (issue 23) read straight from its YAML files, without the bot's content
loader: every Polish key is a key of English, with English's placeholders and HTML tags, within
Telegram's limits; the overlays of content/pl/ name only ids the English content has."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from bench.pl_coverage import (
    CONTENT,
    FRAMEWORK_KEYS,
    MAX_BUTTON_BYTES,
    MAX_MESSAGE,
    PL,
    TEXT_FILES,
    overlay_report,
    placeholders,
    problems,
    resident_facing,
    tags,
    texts,
)


def load(path: Path) -> Any:
    with path.open(encoding="utf-8") as f:
        return yaml.safe_load(f)


@pytest.mark.parametrize("pattern", TEXT_FILES)
def test_polish_keys_are_english_keys_with_the_same_placeholders_and_tags(pattern: str):
    english, polish = texts("en")[pattern], texts("pl")[pattern]
    assert polish, f"{pattern.format('pl')} is missing or empty"
    assert set(polish) - set(english) <= FRAMEWORK_KEYS
    for key, value in polish.items():
        if key in english:
            assert placeholders(value) == placeholders(english[key]), key
            assert tags(value) == tags(english[key]), key
        assert len(value) <= MAX_MESSAGE, key
        if key.startswith("button."):
            assert len(value.encode()) <= MAX_BUTTON_BYTES, key


@pytest.mark.parametrize("pattern", TEXT_FILES)
def test_every_text_a_resident_can_see_is_translated(pattern: str):
    english, polish = texts("en")[pattern], texts("pl")[pattern]
    missing = [k for k in english if resident_facing(k) and k not in polish]
    assert not missing


def test_the_checks_catch_a_lost_placeholder_a_broken_tag_and_a_long_button():
    assert list(problems("area.set", "Okolica: <b>{nazwa}</b>", "Area: <b>{name}</b>"))
    assert list(problems("area.set", "Okolica: <b>{name}", "Area: <b>{name}</b>"))
    assert list(problems("button.x", "Ż" * 33, "OK"))
    assert list(problems("menu.hello", "Tom & Jerry", "Hello"))
    assert not list(problems("area.set", "Okolica: <b>{name}</b>", "Area: <b>{name}</b>"))


def test_the_language_block_marks_the_file_as_an_unreviewed_draft():
    meta = load(CONTENT / "texts.pl.yaml")["language"]
    assert meta["code"] == "pl" and meta["name"] == "Polski" and meta["english_name"] == "Polish"
    assert meta["status"] == "draft" and meta["reviewed_by"] is None


def test_calendar_names_have_as_many_items_as_english():
    english, polish = texts("en")[TEXT_FILES[0]], texts("pl")[TEXT_FILES[0]]
    for key in ("calendar.weekdays", "calendar.months", "calendar.months_short"):
        assert len(polish[key].split(",")) == len(english[key].split(",")), key


def test_the_overlays_name_only_english_ids_and_fit_telegram():
    _, found = overlay_report()
    assert not found


def test_survey_options_are_keyed_by_the_english_option_ids():
    for path in sorted((CONTENT / "surveys").glob("*.yaml")):
        english = load(path)
        polish = load(PL / "surveys" / path.name)
        for q in english["questions"]:
            ids = {o["id"] for o in q.get("options") or ()}
            labels = (polish["questions"].get(q["id"]) or {}).get("options") or {}
            assert set(labels) == ids, (path.name, q["id"])
