"""The Polish draft's safeguarding words and plain words, measured on Polish messages.

    python -m bench.pl_understanding                 # tests/data/pl_tuning.yaml
    python -m bench.pl_understanding --file F.yaml   # any file in the same format

The Polish words (content/pl/safety.yaml, content/pl/intents.yaml) are added to the English
lexicons as issue 23's language framework does (same categories, `pl_` groups, aliases and safe
phrases merged, the Polish reply), and the Polish frames (content/pl/frames.yaml) to the
English ones. Reported, as bench/understanding.py does for English:
- rules: the lexicon alone; hybrid: the lexicon with the model trained on content/examples/pl/
  (and, as `hybrid en+pl`, on the English examples too);
- some help / exactly right / wrong topic over danger messages, false alarms over ordinary ones,
  and the share of ordinary messages routed to their labelled intent.

The tuning set was written blind from the label definitions (tests/data/pl_tuning.yaml); the
lexicon was tuned on it, so its figures flatter the rules: a held-out set is the real measure.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml

from bot.content import Content, load_content
from bot.content.base import Collector
from bot.content.frames import frames_in
from bot.content.safety import nag_place_names, place_names
from bot.domain.safety import Detector, Lexicon
from bot.domain.understanding import Training, Understanding

ROOT = Path(__file__).resolve().parent.parent
CONTENT = ROOT / "content"
PL = CONTENT / "pl"
TUNING = ROOT / "tests" / "data" / "pl_tuning.yaml"
PATTERNS = ("words", "phrases", "together", "exactly", "cues")
AREA_LABELS = ("area", "outside_mk")


def _load(path: Path) -> Any:
    if not path.is_file():
        return {}
    with path.open(encoding="utf-8") as f:
        return yaml.safe_load(f) or {}


def merged(base: Lexicon, extra: dict[str, Any], key: str) -> Lexicon:
    """`base` with a content/pl/ file's words added (as the language framework adds them)."""
    entries = extra.get(key) or {}
    cats = []
    for c in base.categories:
        e = entries.get(c.id) or {}
        if isinstance(e, list):
            e = {"phrases": e}
        more = {k: (*getattr(c, k), *e[k]) for k in PATTERNS if e.get(k)}
        cats.append(replace(c, reply=str(e.get("reply") or c.reply).strip(), **more))
    groups = {
        k: tuple(a.strip() for a in str(v).split("|"))
        for k, v in (extra.get("groups") or {}).items()
    }
    return replace(
        base,
        categories=tuple(cats),
        aliases={**base.aliases, **(extra.get("aliases") or {})},
        groups={**base.groups, **groups},
        safe_phrases=(*base.safe_phrases, *(extra.get("safe_phrases") or ())),
        footer=str(extra.get("footer") or base.footer).strip(),
    )


def english_content() -> Content:
    """The English content, loaded from a copy without the other languages' texts files (the
    loader of main, before the language framework, wants every key in every language)."""
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "content"
        shutil.copytree(
            CONTENT, copy, ignore=lambda _d, names: [n for n in names if _not_english(n)]
        )
        return load_content(copy, ZoneInfo("Europe/London"))


def _not_english(name: str) -> bool:
    return name.startswith("texts.") and not name.startswith("texts.en.")


def polish_lexicons(content: Content) -> tuple[Lexicon, Lexicon]:
    safety = merged(content.safety, _load(PL / "safety.yaml"), "categories")
    intents = merged(content.intents, _load(PL / "intents.yaml"), "intents")
    return safety, replace(intents, aliases={**safety.aliases, **intents.aliases})


def polish_titles() -> list[str]:
    """The Polish campaign and survey titles (masked like the English ones)."""
    titles = [
        c.get("title", "") for c in (_load(PL / "campaigns.yaml").get("campaigns") or {}).values()
    ]
    titles += [_load(p).get("title", "") for p in sorted((PL / "surveys").glob("*.yaml"))]
    return [t for t in titles if t]


def training(folders: list[Path]) -> Training:
    topics: list[tuple[str, frozenset[str], frozenset[str]]] = []
    intents: list[tuple[str, str]] = []
    for folder in folders:
        for path in sorted(folder.glob("*.yaml")):
            raw = _load(path)
            for ex in raw.get("danger") or ():
                topics.append((ex["text"], frozenset(ex["need"]), frozenset(ex.get("fair") or ())))
            for ex in raw.get("ordinary") or ():
                topics.append((ex["text"], frozenset(), frozenset()))
                if ex.get("intent"):
                    intents.append((ex["text"], ex["intent"]))
            intents += [(ex["text"], ex["intent"]) for ex in raw.get("messages") or ()]
    return Training(topics, intents)


def score(found: dict[str, tuple[str, ...]], data: dict[str, Any]) -> dict[str, float]:
    danger, ordinary = data.get("danger") or [], data.get("ordinary") or []
    some = right = wrong = 0
    for ex in danger:
        got = set(found[ex["text"]])
        ok = set(ex["need"]) | set(ex.get("fair") or ())
        some += bool(got)
        right += set(ex["need"]) <= got and got <= ok
        wrong += bool(got - ok)
    alarms = sum(bool(found[ex["text"]]) for ex in ordinary)
    n, m = max(1, len(danger)), max(1, len(ordinary))
    return {
        "some help": 100 * some / n,
        "exactly right": 100 * right / n,
        "wrong topic": 100 * wrong / n,
        "false alarms": 100 * alarms / m,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--file", type=Path, default=TUNING)
    parser.add_argument("--misses", action="store_true", help="list every message scored wrong")
    args = parser.parse_args(argv)
    data = _load(args.file)
    content = english_content()
    safety, intents = polish_lexicons(content)
    frames = frames_in(Collector(CONTENT), PL, content.frames)  # English's and content/pl/'s
    names = [*place_names(content), *polish_titles()]
    texts = [ex["text"] for ex in (data.get("danger") or []) + (data.get("ordinary") or [])]
    detector = Detector(safety, names)
    rules = {t: detector.find(t).categories for t in texts}
    runs = {"rules": rules}
    readers = {}
    for label, folders in (
        ("hybrid pl", [CONTENT / "examples" / "pl"]),
        ("hybrid en+pl", [CONTENT / "examples", CONTENT / "examples" / "pl"]),
    ):
        u = Understanding(
            safety, intents, names, nag_place_names(content), training(folders), AREA_LABELS,
            frames=frames,
        )  # fmt: skip
        readers[label] = u
        runs[label] = {t: u.topics(t).categories for t in texts}
    n_danger, n_ord = len(data.get("danger") or []), len(data.get("ordinary") or [])
    print(f"{args.file.name}: {n_danger} danger, {n_ord} ordinary messages")
    print(f"{'':14}" + "".join(f"{k:>15}" for k in score(rules, data)))
    for label, found in runs.items():
        print(f"{label:14}" + "".join(f"{v:14.1f}%" for v in score(found, data).values()))
    ordinary = data.get("ordinary") or []
    for label, u in readers.items():
        hits = sum(
            (u.intent(ex["text"]) or "none") == ex.get("intent", "none")
            or (ex.get("intent") in AREA_LABELS and u.intent(ex["text"]) in (None, *AREA_LABELS))
            for ex in ordinary
        )
        share = 100 * hits / max(1, len(ordinary))
        print(f"intents, {label}: {hits} of {len(ordinary)} ({share:.0f}%)")
    if args.misses:
        _misses(data, runs["rules"], readers["hybrid pl"])
    return 0


def _misses(data: dict[str, Any], rules: dict[str, tuple[str, ...]], u: Understanding) -> None:
    for ex in data.get("danger") or ():
        got, ok = set(rules[ex["text"]]), set(ex["need"]) | set(ex.get("fair") or ())
        if not set(ex["need"]) <= got or got - ok:
            print(f"  DANGER need={ex['need']} rules={sorted(got)}: {ex['text']}")
    for ex in data.get("ordinary") or ():
        if rules[ex["text"]]:
            print(f"  ALARM {list(rules[ex['text']])}: {ex['text']}")
        intent = u.intent(ex["text"])
        if (intent or "none") != ex.get("intent", "none") and ex.get("intent") not in AREA_LABELS:
            print(f"  INTENT want={ex.get('intent')} got={intent}: {ex['text']}")


if __name__ == "__main__":
    sys.exit(main())
