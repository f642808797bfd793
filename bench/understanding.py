"""Understanding residents, measured: candidates side by side on the same labelled messages.

    python -m bench.understanding              # tuning corpora (the model cross-validated)
    python -m bench.understanding --heldout D  # one of issue 19's held-out sets
    python -m bench.understanding --dev        # round 8: variants, cross-validated and on A-H

Topics (safeguarding help). A danger message is labelled with `need` (every topic whose help must
appear) and `fair` (topics also acceptable); any other topic shown is help for a topic that is
not there. Figures, as issue 19 asks:
- some help: the reply shows at least one topic;
- exactly right: every needed topic shown, none that is neither needed nor fair;
- wrong topic: some topic shown that is neither needed nor fair;
- false alarm: an ordinary message got any help.

Intents: the share routed to the labelled intent; out of scope handled without a wrong feature.

Candidates for topics: the hand-written rules alone (`rules`), the linear model alone (`model`),
and the two together (`hybrid`, what the bot runs: bot/domain/understanding.py). The model is
trained on content/examples/; on the tuning corpora its figures are by 5-fold cross-validation
(each message scored by a model that never saw it), so they can be compared with the rules'.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
HELDOUT_TOPICS = DATA / "heldout19_topics.yaml"
HELDOUT_INTENTS = DATA / "heldout19_intents.yaml"
HELDOUT = {
    "A": (HELDOUT_TOPICS, HELDOUT_INTENTS),  # run once mid-way (see bench/README.md §7)
    "B": (DATA / "heldout19b_topics.yaml", DATA / "heldout19b_intents.yaml"),  # end of round 1
    "C": (DATA / "heldout19c_topics.yaml", DATA / "heldout19c_intents.yaml"),  # end of round 2
    # after round 3's veto of a lone one-word 999 line:
    "D": (DATA / "heldout19d_topics.yaml", DATA / "heldout19d_intents.yaml"),
    # written blind before round 4, run once on its final code (bench/README.md §7):
    "E": (DATA / "heldout19e_topics.yaml", DATA / "heldout19e_intents.yaml"),
    # written blind before round 5 (when A-E became examples), run once on its final code:
    "F": (DATA / "heldout19f_topics.yaml", DATA / "heldout19f_intents.yaml"),
    # written blind before round 6 (when F became examples), run once on its final code:
    "G": (DATA / "heldout19g_topics.yaml", DATA / "heldout19g_intents.yaml"),
    # written blind after round 6, run once on round 7's final code (bench/README.md §7):
    "H": (DATA / "heldout19h_topics.yaml", DATA / "heldout19h_intents.yaml"),
    # written blind after round 7 (2026-12-07), not yet run: for the round that follows
    "I": (DATA / "heldout19i_topics.yaml", DATA / "heldout19i_intents.yaml"),
    # written blind during round 8 (2026-12-07), run once on its final code (bench/README.md §7)
    "J": (DATA / "heldout19j_topics.yaml", DATA / "heldout19j_intents.yaml"),
    # written blind at the start of round 9 (2026-12-08), run once on its final code (§7)
    "K": (DATA / "heldout19k_topics.yaml", DATA / "heldout19k_intents.yaml"),
    # written blind during round 9 (2026-12-08), not yet run: for round 10's final code
    "L": (DATA / "heldout19l_topics.yaml", DATA / "heldout19l_intents.yaml"),
}  # each run once and reported; A-E are examples since round 5 (content/examples/blind19.yaml),
# F since round 6 (blind19f.yaml), G since round 7 (blind19g.yaml), H since round 8 (blind19h.yaml),
# I and J since round 9 (blind19i.yaml, blind19j.yaml); K was in round 10 and taken out again


EXAMPLE_SETS = "ABCDEFGHIJ"  # the held-out sets run once and since taken in as examples


@dataclass(frozen=True)
class Labelled:
    text: str
    need: frozenset[str] = frozenset()  # empty: an ordinary message, no help wanted
    fair: frozenset[str] = frozenset()
    intent: str | None = None


def load_topics(path: Path) -> list[Labelled]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    out = [
        Labelled(str(d["text"]), frozenset(d["need"]), frozenset(d.get("fair") or ()))
        for d in data.get("danger") or ()
    ]
    out += [Labelled(str(d["text"]), intent=d.get("intent")) for d in data.get("ordinary") or ()]
    return out


def load_intents(path: Path) -> list[Labelled]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    # A file of messages, or a topics file's ordinary part (each with its intent).
    items = data.get("messages") or data.get("ordinary") or ()
    return [Labelled(str(d["text"]), intent=str(d["intent"])) for d in items]


@dataclass
class TopicScore:
    danger: int = 0
    some_help: int = 0
    exact: int = 0
    wrong: int = 0
    ordinary: int = 0
    alarms: int = 0
    needed: Counter[str] = field(default_factory=Counter)
    given: Counter[str] = field(default_factory=Counter)  # needed and shown
    missed: Counter[str] = field(default_factory=Counter)
    wrongly: Counter[str] = field(default_factory=Counter)  # shown, neither needed nor fair
    examples_wrong: list[str] = field(default_factory=list)
    examples_alarm: list[str] = field(default_factory=list)
    examples_missed: list[str] = field(default_factory=list)

    def add(self, item: Labelled, shown: Sequence[str]) -> None:
        got = set(shown)
        if not item.need:
            self.ordinary += 1
            if got:
                self.alarms += 1
                self.examples_alarm.append(f"{item.text!r} -> {sorted(got)}")
            return
        self.danger += 1
        self.some_help += bool(got)
        bad = got - item.need - item.fair
        lacking = item.need - got
        self.wrong += bool(bad)
        self.exact += not bad and not lacking
        for t in item.need:
            self.needed[t] += 1
            (self.given if t in got else self.missed)[t] += 1
        for t in bad:
            self.wrongly[t] += 1
        if bad:
            self.examples_wrong.append(f"{item.text!r} -> {sorted(got)} (need {sorted(item.need)})")
        elif lacking:
            self.examples_missed.append(
                f"{item.text!r} -> {sorted(got)} (need {sorted(item.need)})"
            )

    def summary(self) -> str:
        d, o = max(self.danger, 1), max(self.ordinary, 1)
        return (
            f"some help {self.some_help}/{self.danger} ({self.some_help / d:.1%}), exactly right "
            f"{self.exact}/{self.danger} ({self.exact / d:.1%}), wrong topic {self.wrong}/"
            f"{self.danger} ({self.wrong / d:.1%}), false alarms {self.alarms}/{self.ordinary} "
            f"({self.alarms / o:.1%})"
        )

    def table(self, topics: Sequence[str]) -> str:
        lines = [f"{'topic':18}{'needed':>7}{'given':>7}{'missed':>7}{'wrong':>7}"]
        for t in topics:
            lines.append(
                f"{t:18}{self.needed[t]:>7}{self.given[t]:>7}{self.missed[t]:>7}"
                f"{self.wrongly[t]:>7}"
            )
        return "\n".join(lines)


@dataclass
class IntentScore:
    total: int = 0
    right: int = 0
    scope_total: int = 0  # out of scope and council
    scope_ok: int = 0
    confusion: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    examples: list[str] = field(default_factory=list)

    def add(self, item: Labelled, got: str | None) -> None:
        want = item.intent or "none"
        got_ = got or "none"
        self.total += 1
        self.right += got_ == want
        self.confusion[want][got_] += 1
        if want in ("out_of_scope", "council"):
            self.scope_total += 1
            self.scope_ok += got_ in (want, "out_of_scope", "none", "help")
        if got_ != want:
            self.examples.append(f"{item.text!r}: {want} -> {got_}")

    def summary(self) -> str:
        return (
            f"intents right {self.right}/{self.total} ({self.right / max(self.total, 1):.1%}); "
            f"out of scope without a wrong feature {self.scope_ok}/{self.scope_total} "
            f"({self.scope_ok / max(self.scope_total, 1):.1%})"
        )


# ---------------------------------------------------------------- the candidates


LANG = "en"  # --lang: the language whose understanding is measured (its view of the content)


def _understanding(content_dir: Path, examples: Any = None) -> Any:
    from bot.content import load_content
    from bot.context import understanding_for

    content = load_content(content_dir)
    if LANG != "en":
        content = content.view(LANG)  # its words laid over English's, as the bot reads them
    return content, understanding_for(content, examples)


def topic_candidates(
    content_dir: Path, examples: Any = None
) -> dict[str, Callable[[str], Sequence[str]]]:
    content, u = _understanding(content_dir, examples)
    shown = content.safety.max_blocks
    return {
        "rules": lambda text: u.rules_topics(text)[:shown],
        "model": lambda text: u.model_topics(text)[:shown],
        "hybrid": lambda text: u.topics(text).categories[:shown],
    }


def run(heldout: str | None, folds: int = 5, files: Sequence[str] | None = None) -> str:
    from bot.content import load_content
    from bot.content.examples import split

    out: list[str] = []
    content_dir = ROOT / "content"
    if heldout or files:
        topics_path, intents_path = (Path(files[0]), Path(files[1])) if files else HELDOUT[heldout]
        heldout = heldout or "(files)"
        topic_sets = {"held-out": load_topics(topics_path)}
        cands = topic_candidates(content_dir)
        scores = {name: TopicScore() for name in cands}
        for item in topic_sets["held-out"]:
            for name, f in cands.items():
                scores[name].add(item, f(item.text))
        _report_topics(out, f"held-out set {heldout} (issue 19)", scores)
        intents = load_intents(intents_path)
        _report_intents(out, f"held-out set {heldout} (issue 19)", content_dir, intents, None)
        return "\n".join(out)
    examples = load_content(content_dir).examples
    scores = {name: TopicScore() for name in ("rules", "model", "hybrid")}
    intent_scores: dict[str, IntentScore] = {}
    for k in range(folds):
        train, test = split(examples, k, folds)
        cands = topic_candidates(content_dir, train)
        for item in test.topic_items():
            lab = Labelled(item.text, item.need, item.fair)
            for name, f in cands.items():
                scores[name].add(lab, f(lab.text))
        _, u = _understanding(content_dir, train)
        for text, intent in test.intent_items():
            for name, route in (("rules", u.rules_intent), ("model", u.model_intent),
                                ("hybrid", u.intent)):  # fmt: skip
                intent_scores.setdefault(name, IntentScore()).add(
                    Labelled(text, intent=intent), route(text)
                )
    _report_topics(out, f"tuning examples, {folds}-fold cross-validation", scores)
    out.append("\nIntents, tuning examples, cross-validated:")
    for name, s in intent_scores.items():
        out.append(f"  {name:7} {s.summary()}")
    return "\n".join(out)


def _report_topics(out: list[str], title: str, scores: dict[str, TopicScore]) -> None:
    from bot.content import load_content

    topics = [c.id for c in load_content(ROOT / "content").safety.categories]
    out.append(f"Topics, {title}:")
    for name, s in scores.items():
        out.append(f"  {name:7} {s.summary()}")
    best = scores.get("hybrid") or next(iter(scores.values()))
    out.append("\nBy topic (hybrid): needed, given, missed, wrongly given")
    out.append(best.table(topics))
    for label, ex in (("wrong topic", best.examples_wrong), ("missed", best.examples_missed),
                      ("false alarm", best.examples_alarm)):  # fmt: skip
        for line in ex:
            out.append(f"  {label}: {line}")


def _report_intents(
    out: list[str], title: str, content_dir: Path, items: list[Labelled], examples: Any
) -> None:
    _, u = _understanding(content_dir, examples)
    out.append(f"\nIntents, {title}:")
    for name, route in (("rules", u.rules_intent), ("model", u.model_intent), ("hybrid", u.intent)):
        s = IntentScore()
        for item in items:
            # A place or postcode (in MK or not) is the area search's, not an intent.
            want = None if item.intent in ("area", "outside_mk") else item.intent
            s.add(Labelled(item.text, intent=want), route(item.text))
        out.append(f"  {name:7} {s.summary()}")
        if name == "hybrid":
            out.extend(f"    {line}" for line in s.examples)


# Round 9's variants of the hybrid (earlier rounds' are in bench/README.md §7), each a set of
# bot/domain/understanding.py settings: the shipped one, round 7's, each mechanism taken out.
OFF = 1.01  # a threshold no score reaches
VARIANTS: dict[str, dict[str, Any]] = {
    "shipped": {},
    "round 7's settings": {
        "CRY_WORDS": 0, "LONE_URGENT_GIVES_WAY": 0.0, "CLAUSE_WORDS": False, "JOKES": False,
        "ASKING_LONE": False,
    },
    "no first-person cry": {"CRY_WORDS": 0},
    "a lone 999 phrase never gives way": {"LONE_URGENT_GIVES_WAY": 0.0},
    "clauses with a rules' word read alone too": {"CLAUSE_WORDS": True},
    "no joke frame": {"JOKES": False},
    "a lone model topic needs no more when asking": {"ASKING_LONE": False},
    # how the model is trained (bot/domain/textmodel.py; each retrains every fold)
    "20 epochs (40 shipped)": {"textmodel.EPOCHS": 20},
    "60 epochs": {"textmodel.EPOCHS": 60},
    "pieces of 3 to 6 letters (3 to 5 shipped)": {"textmodel.NGRAMS": (3, 4, 5, 6)},
    "pieces of 2 to 5 letters": {"textmodel.NGRAMS": (2, 3, 4, 5)},
}  # fmt: skip


def _with(settings: dict[str, Any], f: Callable[[], Any]) -> Any:
    """f() with module settings changed: "NAME" in bot/domain/understanding.py, "textmodel.NAME"
    in bot/domain/textmodel.py."""
    import bot.domain.textmodel as T
    import bot.domain.understanding as U

    def where(key: str) -> tuple[Any, str]:
        module, _, name = key.rpartition(".")
        return (T if module == "textmodel" else U), name

    saved = {k: getattr(*where(k)) for k in settings}
    try:
        for k, v in settings.items():
            setattr(*where(k), v)
        T.word_features.cache_clear()  # a word's pieces depend on NGRAMS
        return f()
    finally:
        for k, v in saved.items():
            setattr(*where(k), v)
        T.word_features.cache_clear()


def dev(folds: int = 5, only: Sequence[str] | None = None) -> str:
    """Every variant, on the tuning examples (cross-validated) and on the sets A-G together
    (in-sample since rounds 5-7 took them in as examples: side by side, never to rank)."""
    import bot.domain.understanding as U
    from bot.content import load_content

    U.KEEP_TRAINED = 2 * (folds + 1)  # with and without frames: each fold trained once
    content_dir = ROOT / "content"
    examples = load_content(content_dir).examples
    taken_in = [HELDOUT[k] for k in EXAMPLE_SETS]  # never a set still held out (G on)
    topic_items = [i for topics, _ in taken_in for i in load_topics(topics)]
    plain_items = [Labelled(i.text) for _, f in taken_in for i in load_intents(f)]
    out = ["variant | set | some help | exactly right | wrong topic | false alarms"]
    tables: list[str] = []
    for name, settings in VARIANTS.items():
        if only and name not in only:
            continue
        cv, held, plain, topics = _with(
            settings, lambda: _dev_scores(content_dir, examples, topic_items, plain_items, folds)
        )
        alarms, ordinary = held.alarms + plain.alarms, held.ordinary + plain.ordinary
        out.append(_row(name, "examples, cross-validated", cv))
        out.append(
            _row(name, f"{EXAMPLE_SETS[0]}-{EXAMPLE_SETS[-1]} (in-sample)", held)
            + f" of crime-word ordinary; {alarms / ordinary:.1%} of all {ordinary} ordinary"
        )
        if name == "shipped":
            sets = f"{EXAMPLE_SETS[0]}-{EXAMPLE_SETS[-1]}"
            tables.append(f"{sets} by topic (shipped, in-sample):\n{held.table(topics)}")
            tables += [f"  wrong topic: {x}" for x in held.examples_wrong]
            tables += [f"  missed: {x}" for x in held.examples_missed]
            tables += [f"  false alarm: {x}" for x in held.examples_alarm + plain.examples_alarm]
    return "\n".join(out + tables)


def _dev_scores(
    content_dir: Path,
    examples: Any,
    topic_items: list[Labelled],
    plain_items: list[Labelled],
    folds: int,
) -> tuple[TopicScore, TopicScore, TopicScore, list[str]]:
    from bot.content.examples import split

    cv = TopicScore()
    for k in range(folds):
        train, test = split(examples, k, folds)
        content, u = _understanding(content_dir, train)
        for item in test.topic_items():
            shown = u.topics(item.text).categories[: content.safety.max_blocks]
            cv.add(Labelled(item.text, item.need, item.fair), shown)
    content, u = _understanding(content_dir)
    held, plain = TopicScore(), TopicScore()
    for score, items in ((held, topic_items), (plain, plain_items)):
        for item in items:
            score.add(item, u.topics(item.text).categories[: content.safety.max_blocks])
    return cv, held, plain, [c.id for c in content.safety.categories]


def _row(name: str, where: str, s: TopicScore) -> str:
    d, o = max(s.danger, 1), max(s.ordinary, 1)
    return (
        f"{name} | {where} ({s.danger} danger, {s.ordinary} ordinary) | {s.some_help / d:.1%} | "
        f"{s.exact / d:.1%} | {s.wrong / d:.1%} | {s.alarms / o:.1%}"
    )


def speed(texts: Sequence[str], repeat: int = 3) -> str:
    """µs per message for the whole understanding layer on text it has never seen: this
    thread's CPU time (time.thread_time_ns), so other processes on a shared machine do not
    count; GC paused while timing."""
    _, u = _understanding(ROOT / "content")
    times: list[float] = []
    gc.collect()
    gc.disable()
    try:
        for r in range(repeat):
            for i, text in enumerate(texts):
                t = f"{text} {r}{i}"  # never the same text twice
                start = time.thread_time_ns()
                u.understand(t)
                times.append((time.thread_time_ns() - start) / 1e3)
    finally:
        gc.enable()
    times.sort()
    p99 = times[int(len(times) * 0.99)]
    return f"understanding layer: median {statistics.median(times):.0f} µs, p99 {p99:.0f} µs " \
           f"per message ({len(times)} unique messages)"  # fmt: skip


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--heldout", choices=sorted(HELDOUT), help="a held-out set (A to L)")
    parser.add_argument("--speed", action="store_true")
    parser.add_argument("--dev", action="store_true", help="the variants, CV and the sets taken in")
    parser.add_argument("--variant", action="append", choices=sorted(VARIANTS),
                        help="with --dev: only this variant (repeatable)")  # fmt: skip
    parser.add_argument("--files", nargs=2, metavar=("TOPICS", "INTENTS"),
                        help="score two files in the held-out sets' format")  # fmt: skip
    parser.add_argument("--lang", default="en", help="read as this language (e.g. pl, its view)")
    args = parser.parse_args(argv)
    global LANG
    LANG = args.lang
    if args.speed:
        from bot.content import load_content

        ex = load_content(ROOT / "content").examples
        print(speed([t for t, _ in ex.intent_items()] + [i.text for i in ex.topic_items()]))
        return 0
    if args.dev:
        print(dev(only=args.variant))
        return 0
    print(run(args.heldout, files=args.files))
    return 0


if __name__ == "__main__":
    sys.exit(main())
