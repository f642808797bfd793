"""The understanding layer measured on labelled messages (issue 19), printed on every test run.

- **Examples** (content/examples/): what the model learns from and the rules were tuned on, so
  these figures are the tuned ones: danger messages labelled with every topic they need (`need`)
  and the topics also fair (`fair`), ordinary messages with crime words, plain words by intent.
- **Held-out** (tests/data/heldout19_*.yaml, set A): written blind from the issue's text before
  any tuning; since round 4 (bench/README.md §7) sets A-D are development data, read for failure
  patterns but never trained on. Reported, with a floor that only catches a collapse.

"Exactly right" means every needed topic is among the topics shown (at most max_blocks) and no
topic shown is neither needed nor fair. bench/understanding.py prints the same figures for the
rules alone and the model alone, and cross-validated figures for the examples.
"""

from __future__ import annotations

from bench.understanding import (
    HELDOUT_INTENTS,
    HELDOUT_TOPICS,
    IntentScore,
    Labelled,
    TopicScore,
    load_intents,
    load_topics,
)
from bot.content import Content
from bot.content.safety import place_names
from bot.context import understanding_for

REPORTS: list[str] = []  # printed by conftest's terminal summary


def _topics(content: Content, items: list[Labelled]) -> TopicScore:
    u = understanding_for(content)
    score = TopicScore()
    for item in items:
        score.add(item, u.topics(item.text).categories[: content.safety.max_blocks])
    return score


def _report(title: str, content: Content, score: TopicScore) -> str:
    topics = [c.id for c in content.safety.categories]
    return f"{title}: {score.summary()}\n{score.table(topics)}"


def test_the_examples_cover_what_the_issue_asks(content: Content):
    ex = content.examples
    danger = [t for t in ex.topics if t.need]
    crime_words = [t for t in ex.topics if not t.need]
    intents = list(ex.intent_items())
    assert len(danger) >= 300 and len(crime_words) >= 100 and len(intents) >= 400
    assert {t for d in danger for t in d.need} == {c.id for c in content.safety.categories}
    assert {i for _, i in intents} >= {c.id for c in content.intents.categories}


def test_tuned_figures_on_the_examples(content: Content):
    ex = content.examples
    items = [Labelled(t.text, t.need, t.fair) for t in ex.topics]
    items += [Labelled(text) for text, _ in ex.intents]
    items += [Labelled(name) for name in place_names(content)]
    score = _topics(content, items)
    REPORTS.append(_report("Examples (tuned on)", content, score))
    # Floors at what the layer reaches now (2026-12-07), so a change that loses ground fails.
    assert score.some_help / score.danger >= 0.98, score.examples_missed
    assert score.exact / score.danger >= 0.87, score.examples_wrong
    assert score.wrong / score.danger <= 0.12, score.examples_wrong
    assert score.alarms / score.ordinary <= 0.035, score.examples_alarm


def test_held_out_figures_are_reported(content: Content):
    score = _topics(content, load_topics(HELDOUT_TOPICS))
    REPORTS.append(_report("Held-out (never tuned on)", content, score))
    u = understanding_for(content)
    intents = IntentScore()
    for item in load_intents(HELDOUT_INTENTS):
        want = item.intent if item.intent not in ("area", "outside_mk") else None
        intents.add(Labelled(item.text, intent=want), u.intent(item.text))
    REPORTS.append(f"Held-out plain words: {intents.summary()}")
    # Floors that catch a collapse only: these figures are reported, not tuned for.
    assert score.some_help / score.danger >= 0.85
    assert intents.right / intents.total >= 0.5
