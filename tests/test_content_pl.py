"""The Polish draft (issue 23) read straight from its YAML files, without the bot's content
loader: every Polish key is a key of English, with English's placeholders and HTML tags, within
Telegram's limits; the overlays of content/pl/ name only ids the English content has."""

from __future__ import annotations

import re
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


# ---------------------------------------------------------------- safeguarding and plain words

FOLD = str.maketrans("ąćęłńóśźżĄĆĘŁŃÓŚŹŻ", "acelnoszzACELNOSZZ")
MAX_BLOCK, MAX_FOOTER = 350, 300  # as content/safety.yaml's loader allows


def places(kind: str, entry: str) -> list[list[str]]:
    """The alternatives of each place of an entry: a phrase's places are its words, a group's or
    a `together` pattern's are its parts joined by +, each alternative maybe several words."""
    if kind in ("words", "exactly"):
        return [[entry]]
    parts = entry.split("+") if kind in ("together", "groups") else entry.split(" ")
    return [[a.strip() for a in part.split("|") if a.strip()] for part in parts]


def untwinned(entries: list[tuple[str, str]]) -> list[str]:
    """Words with Polish letters whose twin without them is missing: from the same place, or
    (a word, a whole message) from the list."""
    listed = {text for _, text in entries}
    out = []
    for kind, entry in entries:
        for alts in places(kind, entry):
            out += [a for a in alts if a.translate(FOLD) not in (*alts, *listed)]
    return out


def test_every_polish_word_is_also_listed_without_accents():
    for name in ("safety.yaml", "intents.yaml"):
        raw = load(PL / name)
        entries = [("phrases", p) for p in raw.get("safe_phrases") or []]
        entries += [("groups", g) for g in (raw.get("groups") or {}).values()]
        for cat in (raw.get("categories") or raw.get("intents") or {}).values():
            for key in ("words", "phrases", "together", "exactly", "cues"):
                entries += [(key, e) for e in cat.get(key) or []]
        assert not untwinned(entries), (name, untwinned(entries)[:10])


def test_the_twin_check_finds_a_missing_twin():
    assert untwinned([("phrases", "mam nóż|noża")]) == ["nóż", "noża"]
    assert untwinned([("together", "były mąż|syn + bije")]) == ["były mąż"]
    assert not untwinned([("phrases", "nóż|noz"), ("words", "się"), ("words", "sie")])


def test_polish_lexicons_name_english_categories_and_intents_with_their_own_groups():
    safety, intents = load(PL / "safety.yaml"), load(PL / "intents.yaml")
    english = load(CONTENT / "safety.yaml")
    assert set(safety["categories"]) == {c["id"] for c in english["categories"]}
    assert set(intents["intents"]) <= {i["id"] for i in load(CONTENT / "intents.yaml")["intents"]}
    for raw in (safety, intents):  # merged into the English groups: never replace one
        assert all(name.startswith("pl_") for name in raw.get("groups") or {})
        assert not set(raw.get("groups") or {}) & set(english["groups"])


def test_no_star_in_together_patterns_where_the_matcher_ignores_it():
    for raw in (load(PL / "safety.yaml"), load(PL / "intents.yaml")):
        for cat in (raw.get("categories") or raw.get("intents")).values():
            assert not [t for t in cat.get("together") or [] if "*" in t]


def test_polish_replies_keep_the_english_helplines_and_fit_one_block():
    english = {c["id"]: c["reply"] for c in load(CONTENT / "safety.yaml")["categories"]}
    safety = load(PL / "safety.yaml")
    assert len(safety["footer"].strip()) <= MAX_FOOTER
    assert "999" in safety["footer"] and "Polish" in safety["footer"]
    for cid, entry in safety["categories"].items():
        reply = entry["reply"].strip()
        assert len(reply) <= MAX_BLOCK, cid
        for number in re.findall(r"<b>[^<]*\d[^<]*</b>|\b\d{3,}\b", english[cid]):
            for digits in re.findall(r"\d[\d ]*\d|\d", number):
                assert digits in reply, (cid, digits)
        assert re.findall(r'href="([^"]+)"', reply) == re.findall(r'href="([^"]+)"', english[cid])
        assert tags(reply) == tags(english[cid]), cid


# ---------------------------------------------------------------- labelled examples

EXAMPLES = CONTENT / "examples" / "pl"


def test_polish_examples_use_known_labels_and_are_enough_to_learn_from():
    topics = {c["id"] for c in load(CONTENT / "safety.yaml")["categories"]}
    intents = {i["id"] for i in load(CONTENT / "intents.yaml")["intents"]} | {"area", "outside_mk"}
    seen: dict[str, str] = {}
    danger, ordinary, covered = 0, 0, set()
    for path in sorted(EXAMPLES.glob("*.yaml")):
        raw = load(path)
        for ex in raw.get("danger") or []:
            assert set(ex["need"]) <= topics and set(ex.get("fair") or []) <= topics, ex
            covered |= set(ex["need"])
            danger += 1
            assert seen.setdefault(ex["text"].lower(), "danger") == "danger", ex["text"]
        for ex in [*(raw.get("ordinary") or []), *(raw.get("messages") or [])]:
            assert ex.get("intent", "area") in intents, ex
            ordinary += "messages" not in raw
            label = ex.get("intent", "none")
            assert seen.setdefault(ex["text"].lower(), label) == label, ex["text"]
    assert danger >= 150 and ordinary >= 150 and covered == topics
