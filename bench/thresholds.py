"""Cross-validated grid over the understanding layer's thresholds (content/examples/ only).

Never reads a held-out set. Each fold's models are trained once; every combination of thresholds
is then scored on that fold's test part. Prints the best settings by exact - wrong - false
alarms, the best by "some help", and the intent threshold's effect.

    .venv/bin/python -m bench.thresholds        # about 2 minutes on 2 vCPUs
"""

from __future__ import annotations

import itertools
import sys
from typing import Any

import bot.domain.understanding as U
from bench.understanding import ROOT, IntentScore, Labelled, TopicScore, _understanding
from bot.content import load_content
from bot.content.examples import split

GRID: dict[str, list[float]] = {
    "KEEP_RULE_TOPIC": [0.3, 0.4, 0.5],
    "ORDINARY": [0.3, 0.4],
    "SURE_NOT": [0.3, 0.4],
    "ADD_MODEL_TOPIC": [0.5, 0.55, 0.6, 0.7],
    "KEEP_URGENT": [0.5, 0.65, 0.8],
    "KEEP_LONE_URGENT": [0.0, 0.3],
}


def _summary(s: TopicScore) -> tuple[float, float, str]:
    d, o = s.danger, s.ordinary
    line = (
        f"help {s.some_help / d:.1%} exact {s.exact / d:.1%} wrong {s.wrong / d:.1%}"
        f" FA {s.alarms / o:.1%}"
    )
    return s.exact / d - s.wrong / d - s.alarms / o, s.some_help / d, line


def main(folds: int = 5) -> int:
    content_dir = ROOT / "content"
    examples = load_content(content_dir).examples
    models: list[tuple[Any, Any, list[Labelled], list[tuple[str, str]]]] = []
    for k in range(folds):
        train, test = split(examples, k, folds)
        content, u = _understanding(content_dir, train)
        items = [Labelled(i.text, i.need, i.fair) for i in test.topic_items()]
        models.append((content, u, items, list(test.intent_items())))
    results = []
    for combo in itertools.product(*GRID.values()):
        for name, value in zip(GRID, combo, strict=True):
            setattr(U, name, value)
        s = TopicScore()
        for content, u, items, _ in models:
            u._found.clear()
            shown = content.safety.max_blocks
            for item in items:
                s.add(item, u.topics(item.text).categories[:shown])
        results.append((*_summary(s), combo))
    print("   ", list(GRID))
    for balance, _, line, combo in sorted(results, reverse=True)[:6]:
        print(f"best balance {combo} {line} ({balance:.3f})")
    for _, _, line, combo in sorted(results, key=lambda r: (-r[1], -r[0]))[:6]:
        print(f"most help    {combo} {line}")
    for value in (0.2, 0.3, 0.4, 0.5):
        U.TAKE_MODEL_INTENT = value
        score = IntentScore()
        for _, u, _, intents in models:
            for text, intent in intents:
                score.add(Labelled(text, intent=intent), u.intent(text))
        print(f"TAKE_MODEL_INTENT {value}: {score.summary()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
