"""Cross-validated grid over the understanding layer's thresholds (content/examples/).

Each fold's models are trained once, and each message's rules' finding, frames and model scores
are worked out once (memoised); every combination of thresholds then re-runs only the decision
(bot/domain/understanding.py's `topics`). Prints the best settings by exact - wrong - false
alarms among those that give some help to at least --min-help of danger messages, and the
intent threshold's effect. With --dev, the same settings are also scored on the held-out sets
A-F, which have each been run once and reported and since rounds 5 and 6 are part of the
examples (content/examples/blind19.yaml, blind19f.yaml), so these figures are in-sample
(bench/README.md §7): side by side, never used to rank.

    .venv/bin/python -m bench.thresholds             # about 2 minutes on 2 vCPUs
    .venv/bin/python -m bench.thresholds --dev
"""

from __future__ import annotations

import argparse
import itertools
import sys
from collections.abc import Callable, Sequence
from typing import Any

import bot.domain.understanding as U
from bench.understanding import (
    EXAMPLE_SETS,
    HELDOUT,
    ROOT,
    IntentScore,
    Labelled,
    TopicScore,
    _understanding,
    load_intents,
    load_topics,
)
from bot.content import load_content
from bot.content.examples import split

OFF = 1.01  # a threshold no score reaches: the mechanism switched off
GRID: dict[str, list[float]] = {
    "ADD_MODEL_TOPIC": [0.6, 0.7],
    "ASKING_KEEP": [0.5, 0.6, 0.7],
    "CALM": [0.2, 0.3],
    "VETO_URGENT": [0.4, 0.5],
    "KEEP_LONE_URGENT": [0.5, 0.6],
}
# Round 6 also tried the 999 line beside other help when the message says it is happening now
# (from a score of 0.3 or 0.4): no better than without, so it was taken out.
# Round 5's grid: KEEP_RULE_TOPIC 0.5-0.6, ADD_MODEL_TOPIC 0.6-0.7, KEEP_LONE_URGENT 0.3-0.5,
# SURE_NOT 0.3-0.4, VETO_URGENT 0-0.5, CALM 0-0.3.
# Round 4's grid: KEEP_RULE_TOPIC 0.4-0.6, ADD_MODEL_TOPIC 0.55-0.7, ADD_LONE_TOPIC 0.55 or off,
# VETO_URGENT 0-0.4 (then only beside other help, the past or a question), ASKING_KEEP 0 or 0.6,
# SURE_DANGER off, 0.7 or 0.8.
# Round 2's grid (before the frames): KEEP_RULE_TOPIC 0.3-0.5, ORDINARY 0.3-0.4, SURE_NOT
# 0.3-0.4, ADD_MODEL_TOPIC 0.5-0.7, KEEP_URGENT 0.5-0.8, KEEP_LONE_URGENT 0 or 0.3.


def _memoised(u: Any) -> None:
    """Work out each message's rules' finding, frames and scores once per fold."""
    for owner, name in ((u.safety, "find"), (u, "frames"), (u, "_scores")):
        original = getattr(owner, name)
        memo: dict[Any, Any] = {}

        def cached(*args: Any, _f: Callable[..., Any] = original, _m: dict = memo) -> Any:
            if args not in _m:
                _m[args] = _f(*args)
            return _m[args]

        setattr(owner, name, cached)


def _summary(s: TopicScore) -> tuple[float, float, str]:
    d, o = max(s.danger, 1), max(s.ordinary, 1)
    line = (
        f"help {s.some_help / d:.1%} exact {s.exact / d:.1%} wrong {s.wrong / d:.1%}"
        f" FA {s.alarms / o:.1%}"
    )
    return s.exact / d - s.wrong / d - s.alarms / o, s.some_help / d, line


def _score(sets: Sequence[tuple[Any, Any, list[Labelled]]]) -> TopicScore:
    s = TopicScore()
    for content, u, items in sets:
        u._found.clear()
        shown = content.safety.max_blocks
        for item in items:
            s.add(item, u.topics(item.text).categories[:shown])
    return s


def _dev_sets(content_dir: Any) -> list[tuple[Any, Any, list[Labelled]]]:
    content, u = _understanding(content_dir)
    _memoised(u)
    items: list[Labelled] = []
    for name, (topics, intents) in HELDOUT.items():
        if name not in EXAMPLE_SETS:  # only the sets taken in as examples: G is never tuned on
            continue
        items += load_topics(topics)
        items += [Labelled(i.text) for i in load_intents(intents)]  # plain words: no help
    return [(content, u, items)]


def main(argv: Sequence[str] | None = None, folds: int = 5) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dev", action="store_true", help="also score the sets A-F (in-sample)")
    parser.add_argument("--min-help", type=float, default=0.95)
    args = parser.parse_args(argv)
    content_dir = ROOT / "content"
    examples = load_content(content_dir).examples
    models: list[tuple[Any, Any, list[Labelled]]] = []
    intents: list[tuple[Any, list[tuple[str, str]]]] = []
    for k in range(folds):
        train, test = split(examples, k, folds)
        content, u = _understanding(content_dir, train)
        _memoised(u)
        items = [Labelled(i.text, i.need, i.fair) for i in test.topic_items()]
        models.append((content, u, items))
        intents.append((u, list(test.intent_items())))
    dev = _dev_sets(content_dir) if args.dev else []
    results = []
    for combo in itertools.product(*GRID.values()):
        for name, value in zip(GRID, combo, strict=True):
            setattr(U, name, value)
        results.append((*_summary(_score(models)), combo))
    print("   ", list(GRID))
    eligible = [r for r in results if r[1] >= args.min_help]
    for balance, _, line, combo in sorted(eligible, reverse=True)[:8]:
        print(f"best balance {combo} {line} ({balance:.3f})")
        if dev:
            for name, value in zip(GRID, combo, strict=True):
                setattr(U, name, value)
            print(f"    on A-F (in-sample): {_summary(_score(dev))[2]}")
    for _, _, line, combo in sorted(results, key=lambda r: (-r[1], -r[0]))[:4]:
        print(f"most help    {combo} {line}")
    for take, after_none in itertools.product((0.0, 0.2, 0.3), (0.1, 0.2, 0.3, OFF)):
        U.TAKE_MODEL_INTENT, U.NEXT_INTENT = take, after_none
        score = IntentScore()
        for u, pairs in intents:
            for text, intent in pairs:
                score.add(Labelled(text, intent=intent), u.intent(text))
        print(f"TAKE_MODEL_INTENT {take}, NEXT_INTENT {after_none}: {score.summary()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
