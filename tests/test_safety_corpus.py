"""Safeguarding measured on the labelled corpus (tests/data/safety_corpus.yaml, written before the
lexicon was tuned): recall per category, overall, and the false-alarm rate on ordinary messages,
plus every NAG name, area and venue the content lists. The confusion table is printed at the end
of every test run (tests/conftest.py, pytest_terminal_summary).

"Right help" means the expected category (or its `also`) is among the blocks the reply shows
(at most max_blocks, most urgent first); "any help" means some safeguarding reply was sent.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from pathlib import Path

import yaml

from bot.content import Content
from bot.content.safety import place_names
from bot.context import safety_detector

CORPUS = Path(__file__).parent / "data" / "safety_corpus.yaml"
REPORTS: list[str] = []  # printed by conftest's terminal summary

MIN_OVERALL = 0.98
MIN_CATEGORY = 0.95
MAX_FALSE_ALARMS = 0.02


def test_recall_per_category_and_false_alarms_meet_the_targets(content: Content):
    data = yaml.safe_load(CORPUS.read_text(encoding="utf-8"))
    detector = safety_detector(content)
    shown = content.safety.max_blocks
    categories = [c.id for c in content.safety.categories]

    table: dict[str, Counter[str]] = defaultdict(Counter)
    right: Counter[str] = Counter()
    any_help: Counter[str] = Counter()
    total: Counter[str] = Counter()
    for item in data["danger"]:
        expected = item["category"]
        assert expected in categories, f"corpus uses unknown category {expected!r}"
        found = detector.find(item["text"]).categories[:shown]
        total[expected] += 1
        table[expected][found[0] if found else "none"] += 1
        any_help[expected] += bool(found)
        right[expected] += bool({expected, *item.get("also", ())} & set(found))

    ordinary = list(data["ordinary"]) + place_names(content)
    alarms = [text for text in ordinary if detector.find(text)]
    for text in ordinary:
        found = detector.find(text).categories
        table["ordinary"][found[0] if found else "none"] += 1

    n = sum(total.values())
    overall_right = sum(right.values()) / n
    overall_any = sum(any_help.values()) / n
    false_rate = len(alarms) / len(ordinary)
    REPORTS.append(
        _report(
            table, categories, total, right, any_help, overall_right, overall_any, alarms, ordinary
        )
    )

    assert overall_any >= MIN_OVERALL, f"any help {overall_any:.1%}"
    assert overall_right >= MIN_OVERALL, f"right help {overall_right:.1%}"
    for c in categories:
        assert total[c] >= 10, f"the corpus needs more {c} messages"
        assert right[c] / total[c] >= MIN_CATEGORY, f"{c}: {right[c]}/{total[c]}"
    assert false_rate <= MAX_FALSE_ALARMS, f"false alarms {len(alarms)}: {alarms}"


def _report(
    table, categories, total, right, any_help, overall_right, overall_any, alarms, ordinary
) -> str:  # noqa: ANN001
    cols = ["none", *categories]
    short = {c: c[:6] for c in cols}
    lines = [
        "Safeguarding corpus: rows = labelled category, columns = first help shown",
        f"{'':18}{'recall':>8}" + "".join(f"{short[c]:>7}" for c in cols),
    ]
    for row in [*categories, "ordinary"]:
        rate = f"{right[row]}/{total[row]}" if row != "ordinary" else f"{len(alarms)} FA"
        lines.append(f"{row:18}{rate:>8}" + "".join(f"{table[row][c] or '.':>7}" for c in cols))
    n = sum(total.values())
    lines.append(
        f"right help {sum(right.values())}/{n} ({overall_right:.1%}), any help "
        f"{sum(any_help.values())}/{n} ({overall_any:.1%}), false alarms {len(alarms)}/{len(ordinary)}"
        f" ({len(alarms) / len(ordinary):.1%})"
    )
    return "\n".join(lines)
